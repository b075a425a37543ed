"""Bad things while writing: a dead worker, no model, a corrupt model, closing mid-generation.
Each gives one clear line and leaves the writer's text as it was."""

from __future__ import annotations

import os
import signal
import time

from guihelp import model_settings, type_chinese
from PySide6.QtCore import Qt

from writer_app.gui.dialogs import SettingsDialog
from writer_app.gui.panels import TAB_DRAFT

QUERY = "以“坚持”为话题，写一篇议论文。"
OLD = "这是我自己写的第一段，不能丢。"


def _one_line(text: str) -> None:
    assert text and "\n" not in text.strip() and "Traceback" not in text, text


def _prepare(w) -> int:
    type_chinese(w.prompt_tab.query, QUERY)
    w.tabs.setCurrentIndex(TAB_DRAFT)
    type_chinese(w.draft_tab.editor, OLD)
    w.prompt_tab.length.setValue(3000)
    w.flush()
    return w.project.id


def test_a_worker_killed_during_generation_leaves_the_text_untouched(make_window, qtbot, slow_model):
    w = make_window(model_settings(slow_model, n_ctx=16384))
    pid = _prepare(w)
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.wb.models.engine().worker_pid is not None, timeout=60_000)
        qtbot.waitUntil(lambda: len(w.draft_tab.editor.toPlainText()) > 0, timeout=60_000)
        os.kill(w.wb.models.engine().worker_pid, signal.SIGKILL)
    assert sig.args == ["draft", "error"]
    _one_line(w.banner.text())
    assert "推理进程" in w.banner.text()
    assert w.draft_tab.editor.toPlainText() == OLD
    assert not w.draft_tab.editor.isReadOnly()
    assert w.library.projects.get(pid).answer == OLD
    # the next request starts a new worker
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        w.prompt_tab.length.setValue(60)
        qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
    assert sig.args[1] in ("stop", "cancelled"), w.banner.text()


def test_without_a_model_writing_analysis_annotation_search_and_export_work(
    make_window, qtbot, small_resources, tmp_path
):
    w = make_window()
    assert "未设置模型" in w.model_label.text()
    pid = _prepare(w)
    qtbot.mouseClick(w.prompt_tab.generate_button, Qt.MouseButton.LeftButton)
    _one_line(w.banner.text())
    assert "还没有设置模型" in w.banner.text()
    assert w.draft_tab.editor.toPlainText() == OLD

    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        qtbot.mouseClick(w.critique_tab.run_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["critique", "stop"]
    assert "文本分析估分" in w.critique_tab.total.text()
    qtbot.waitUntil(lambda: "字数 15/3000" in w.draft_tab.stats.text(), timeout=10_000)

    w.draft_tab.editor.select_range(0, 4)
    w.annotations.comment.setPlainText("好的开头")
    qtbot.mouseClick(w.annotations.add_button, Qt.MouseButton.LeftButton)
    assert w.library.projects.annotations(pid)[0].quote == OLD[:4]

    w.prompt_tab.title.setText("坚持作文")
    w.prompt_tab.title.editingFinished.emit()
    w.new_project()
    type_chinese(w.library_panel.search, "坚持")
    qtbot.waitUntil(lambda: w.library_panel.model.rowCount() == 1, timeout=10_000)
    assert w.library_panel.model.row_at(0).id == pid

    w.open_project(pid)
    out = tmp_path / "a.txt"
    w.export_to("txt", out)
    qtbot.waitUntil(out.exists, timeout=10_000)
    assert OLD in out.read_text(encoding="utf-8")


def test_a_corrupt_model_is_refused_in_settings_and_reported_at_start(make_window, qtbot, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(4000))
    w = make_window()
    dialog = SettingsDialog(w.wb, w.settings, w)
    qtbot.addWidget(dialog)
    dialog.model.setCurrentText(str(bad))
    dialog.accept()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    _one_line(dialog.message.text())
    assert "broken.gguf" in dialog.message.text() or "GGUF" in dialog.message.text()

    w2 = make_window(model_settings(bad), load_model=True)
    qtbot.waitUntil(lambda: w2.banner.isVisible(), timeout=30_000)
    _one_line(w2.banner.text())
    assert "出错" in w2.model_label.text() or "未加载" in w2.model_label.text()
    type_chinese(w2.prompt_tab.query, QUERY)  # the window still works
    w2.flush()
    assert w2.library.projects.get(w2.project.id).query == QUERY


def test_closing_during_generation_cancels_and_stops_the_worker(make_window, qtbot, slow_model):
    w = make_window(model_settings(slow_model, n_ctx=16384))
    pid = _prepare(w)
    qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.draft_tab.editor.toPlainText()) > 0, timeout=60_000)
    worker = w.wb.models.engine().worker_pid
    assert worker is not None
    library = w.library
    w.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the worker outlived the window")
    assert w.library is None and library is not None
    from writer_app.storage.db import open_database

    db = open_database(w.wb.paths.database_file)
    try:
        answer = db.conn.execute("SELECT answer FROM projects WHERE id = ?", (pid,)).fetchone()[0]
    finally:
        db.close()
    assert answer == OLD
