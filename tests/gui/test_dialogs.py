"""The first-run dialog and the settings dialog."""

from __future__ import annotations

import os

from writer_app.gui.dialogs import FirstRunDialog, SettingsDialog


def test_first_run_lists_recommended_models_with_ram_and_sources(make_window, qtbot):
    w = make_window()
    dialog = FirstRunDialog(w.wb, w.runner, w)
    qtbot.addWidget(dialog)
    items = [dialog.catalog.itemText(i) for i in range(dialog.catalog.count())]
    assert items and all("需要内存" in t and "GB" in t for t in items)
    assert any(t.startswith("★") for t in items)  # the recommended one is marked
    sources = {dialog.source.itemData(i) for i in range(dialog.source.count())}
    assert sources == {"huggingface", "modelscope"}


def test_first_run_marks_the_best_model_for_this_machine_with_its_speed(make_window, qtbot, monkeypatch):
    from writer_app.llm import fit

    monkeypatch.setattr(fit, "total_ram_gb", lambda: 6.0)  # a student laptop: 8 GB models cannot run
    w = make_window()
    dialog = FirstRunDialog(w.wb, w.runner, w)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.fit), timeout=10_000)
    texts = {dialog.catalog.itemData(i): dialog.catalog.itemText(i) for i in range(dialog.catalog.count())}
    best = [name for name, t in texts.items() if "本机推荐" in t]
    assert len(best) == 1 and dialog.catalog.currentData() == best[0] and best[0].startswith("qwen3")
    assert all("字/秒" in t for t in texts.values())
    model = dialog.catalog.model()
    for i in range(dialog.catalog.count()):
        if dialog.catalog.itemData(i) == "qwen3-8b":
            assert "内存不足" in dialog.catalog.itemText(i) and not model.item(i).isEnabled()
    assert "本机" in dialog.machine_label.text()


def test_choosing_a_gguf_file_sets_the_model_and_a_corrupt_one_is_one_line(
    make_window, qtbot, tiny_model, tmp_path
):
    w = make_window()
    dialog = FirstRunDialog(w.wb, w.runner, w)
    qtbot.addWidget(dialog)
    dialog.model_ready.connect(w.use_model)
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(100))
    assert not dialog.use_file(bad)
    assert dialog.status.text() and "\n" not in dialog.status.text()
    assert w.settings.engine.model == ""
    with qtbot.waitSignal(dialog.model_ready, timeout=10_000):
        assert dialog.use_file(tiny_model)
    assert w.settings.engine.model == "tiny" and w.wb.models.configured_name() == "tiny"
    qtbot.waitUntil(lambda: "就绪" in w.model_label.text(), timeout=60_000)
    assert "tiny" in w.model_label.text() and w.wb.models.state == "ready"


def test_settings_round_trip_and_are_saved(make_window, qtbot, tiny_model):
    w = make_window()
    dialog = SettingsDialog(w.wb, w.settings, w)
    qtbot.addWidget(dialog)
    dialog.model.setCurrentText(str(tiny_model))
    dialog.threads.setValue(2)
    dialog.n_ctx.setValue(2048)
    dialog.temperature.setValue(0.5)
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.author.setText("李老师")
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    w.apply_settings(dialog.result_settings())
    from writer_app.config import load_settings

    saved, _ = load_settings(w.wb.paths.settings_file)
    assert (saved.engine.model, saved.engine.n_threads, saved.engine.n_ctx) == (str(tiny_model), 2, 2048)
    assert (saved.engine.temperature, saved.language, saved.author) == (0.5, "en", "李老师")


def test_gpu_layers_follow_what_llama_cpp_supports(make_window, qtbot):
    import llama_cpp
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    w = make_window()
    dialog = SettingsDialog(w.wb, w.settings, w)
    qtbot.addWidget(dialog)
    dialog.set_gpu_offload(False)
    assert not dialog.gpu_layers.isEnabled() and "不支持 GPU" in dialog.gpu_state.text()
    dialog.set_gpu_offload(True)
    assert dialog.gpu_layers.isEnabled() and "可用" in dialog.gpu_state.text()

    # through the menu: the dialog opens at once and learns the answer from a probe process
    assert w.wb.models.gpu_offload is None
    expected = bool(llama_cpp.llama_supports_gpu_offload())
    seen: dict[str, object] = {}

    def inspect() -> None:
        d = QApplication.activeModalWidget()
        assert isinstance(d, SettingsDialog)
        seen["first"] = d.gpu_state.text()
        qtbot.waitUntil(lambda: "检测" not in d.gpu_state.text(), timeout=30_000)
        seen["enabled"] = d.gpu_layers.isEnabled()
        d.reject()

    QTimer.singleShot(0, inspect)
    w.open_settings()
    assert "检测" in str(seen["first"])
    assert seen["enabled"] is expected and w.wb.models.gpu_offload is expected


def test_calibrating_to_ones_own_marking_from_the_settings(make_window, qtbot, tmp_path):
    """Text-only here (no model in this test): the dialog runs Workbench.calibrate as a job,
    shows progress and the agreement reached, and refuses 29 essays with the reason."""
    import json

    from writer_app.gui.dialogs import CalibrateDialog

    w = make_window()
    paras = [
        "外婆的菜园在老屋后面。",
        "篱笆上爬满了丝瓜藤。",
        "每年春天她都栽下辣椒苗。",
        "夏天的傍晚飘着泥土的气味。",
    ]
    rows = [
        {"id": f"s{i}", "text": "\n".join(paras[: 1 + i % 4]) * (1 + i % 3), "score": 30 + i}
        for i in range(31)
    ]
    source = tmp_path / "class.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows[:29]), encoding="utf-8")
    dialog = CalibrateDialog(w.wb, w.runner, w)
    qtbot.addWidget(dialog)
    dialog.source.setText(str(source))
    dialog.text_only.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=20000)
    assert "至少需要 30" in dialog.status.text()
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=20000)
    assert "已校准：31 篇" in dialog.status.text()
    assert w.wb.paths.calibration_file.exists()
    settings = SettingsDialog(w.wb, w.settings, w, w.runner)
    qtbot.addWidget(settings)
    assert any(b.text() == "按我的评分校准点评…" for b in settings.findChildren(type(dialog.start_button)))
