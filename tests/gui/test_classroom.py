"""Classroom mode in the window: the settings' server section with its connection test and
privacy note, the key in the keyring, writing through the server, and a server that dies."""

from __future__ import annotations

from dataclasses import replace

import pytest
from file_keyring import FileKeyring
from guihelp import model_settings, type_chinese
from keyring.backends import fail
from openai_stub import LlamaServer
from PySide6.QtCore import Qt

from writer_app.config import EngineSettings, ServerSettings, Settings, load_settings
from writer_app.gui.dialogs import SettingsDialog
from writer_app.gui.panels import TAB_DRAFT
from writer_app.keys import KeyStore

KEY = "class-key"
QUERY = "以“坚持”为话题，写一篇议论文。"
OLD = "这是我自己写的第一段，不能丢。"


@pytest.fixture(scope="module")
def server(tiny_model):
    srv = LlamaServer(tiny_model, api_key=KEY)
    yield srv
    srv.stop()


def classroom(url: str) -> Settings:
    return Settings(
        engine=EngineSettings(backend="server", seed=3, server=ServerSettings(url=url)), author="王老师"
    )


def test_the_dialog_tests_the_server_stores_the_key_in_the_keyring_and_says_where_text_goes(
    make_window, qtbot, server, tmp_path
):
    w = make_window(model_settings())
    w.wb.models.keys = KeyStore(FileKeyring(tmp_path / "ring.json"), env={})
    dialog = SettingsDialog(w.wb, w.settings, w, w.runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert (
        dialog.use_local.isChecked() and not dialog.privacy.isVisible() and not dialog.server_box.isEnabled()
    )
    dialog.use_server.setChecked(True)
    assert dialog.privacy.isVisible() and "发送到这台服务器" in dialog.privacy.text()
    assert not dialog.local_box.isEnabled() and "系统密钥环" in dialog.key_state.text()
    dialog.server_url.setText(server.url.removesuffix("/v1"))
    dialog.api_key.setText("wrong")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "连接失败" in dialog.test_result.text(), timeout=30_000)
    assert "HTTP 401" in dialog.test_result.text() and "\n" not in dialog.test_result.text()
    dialog.api_key.setText(KEY)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已连接" in dialog.test_result.text(), timeout=30_000)
    assert "1 个模型" in dialog.test_result.text() and "语法约束" in dialog.test_result.text()
    assert dialog.server_model.itemText(0) == "tiny" and dialog.server_model.currentText() == "tiny"
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    w.apply_settings(dialog.result_settings())
    saved, _ = load_settings(w.wb.paths.settings_file)
    assert saved.engine.backend == "server" and saved.engine.server.url == server.url.removesuffix("/v1")
    assert saved.engine.server.model == "tiny"
    assert KEY not in w.wb.paths.settings_file.read_text(encoding="utf-8")
    assert w.wb.models.keys.get(server.url) == KEY
    qtbot.waitUntil(lambda: "就绪" in w.model_label.text(), timeout=30_000)
    assert w.model_label.text().startswith("服务器：tiny @ 127.0.0.1:")
    assert "发送到这台服务器" in w.model_label.toolTip()


def test_without_a_keyring_the_key_is_kept_for_this_run_only(make_window, qtbot, server):
    w = make_window(classroom(server.url), load_model=True)
    w.wb.models.keys = KeyStore(fail.Keyring(), env={})
    qtbot.waitUntil(lambda: "HTTP 401" in w.banner.text(), timeout=30_000)
    assert "HTTP 401" in w.banner.text() and "出错" in w.model_label.text()
    dialog = SettingsDialog(w.wb, w.settings, w, w.runner)
    qtbot.addWidget(dialog)
    assert dialog.use_server.isChecked() and "本次运行" in dialog.key_state.text()
    dialog.api_key.setText(KEY)
    dialog.accept()
    assert w.wb.models.session_keys == {server.url: KEY}
    w.apply_settings(dialog.result_settings())
    qtbot.waitUntil(lambda: w.wb.models.state == "ready", timeout=30_000)


def test_a_bad_url_is_refused_in_the_dialog(make_window, qtbot):
    w = make_window()
    dialog = SettingsDialog(w.wb, w.settings, w, w.runner)
    qtbot.addWidget(dialog)
    dialog.use_server.setChecked(True)
    dialog.server_url.setText("ftp://school/v1")
    dialog.accept()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "http://" in dialog.message.text() and "\n" not in dialog.message.text()


def test_writing_through_the_server_and_a_server_that_dies_mid_draft(
    make_window, qtbot, tiny_model, small_resources
):
    srv = LlamaServer(tiny_model)
    try:
        w = make_window(replace(classroom(srv.url)), load_model=True)
        qtbot.waitUntil(lambda: w.wb.models.state == "ready", timeout=30_000)
        type_chinese(w.prompt_tab.query, QUERY)
        w.prompt_tab.length.setValue(60)
        with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
            qtbot.mouseClick(w.prompt_tab.generate_button, Qt.MouseButton.LeftButton)
        assert sig.args == ["outline", "stop"], w.banner.text()
        assert w.thought_tab.markdown().strip()
        w.tabs.setCurrentIndex(TAB_DRAFT)
        type_chinese(w.draft_tab.editor, OLD)
        w.prompt_tab.length.setValue(3000)
        w.flush()
        pid = w.project.id
        with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
            qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: len(w.draft_tab.editor.toPlainText()) > len(OLD), timeout=60_000)
            srv.kill()
        assert sig.args == ["draft", "error"]
        banner = w.banner.text()
        # killed mid-stream: the connection broke; killed between two parts of the draft (the
        # tiny model writes a part in milliseconds): the next part's request was refused
        assert ("连接中断" in banner or "连接被拒绝" in banner) and "\n" not in banner.strip()
        assert w.draft_tab.editor.toPlainText() == OLD and not w.draft_tab.editor.isReadOnly()
        assert w.library.projects.get(pid).answer == OLD
        # no silent fallback: the next request fails the same way, no local model starts
        with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
            qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
        assert sig.args == ["draft", "error"] and "连接被拒绝" in w.banner.text()
        assert w.wb.models.engine().worker_pid is None
    finally:
        srv.stop()
