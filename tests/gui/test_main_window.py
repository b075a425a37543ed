"""The window itself: layout state kept between runs."""

from __future__ import annotations


def test_window_geometry_and_tab_come_back(make_window, qtbot):
    w = make_window()
    w.resize(700, 520)  # inside the offscreen screen (800×600)
    w.tabs.setCurrentIndex(2)
    w.close()
    w2 = make_window()
    assert (w2.width(), w2.height()) == (700, 520)
    assert w2.tabs.currentIndex() == 2


def test_a_message_shows_above_the_editor_and_its_first_line_in_the_status_bar(make_window):
    w = make_window()
    w.show_message("第一行\n第二行")
    assert w.banner.isVisible() and w.banner.text() == "第一行\n第二行"
    assert w.statusBar().currentMessage() == "第一行"
    w.show_message("")
    assert not w.banner.isVisible()


def test_the_model_label_says_what_runs_where(make_window):
    from writer_app.config import EngineSettings, ServerSettings, Settings

    w = make_window()
    assert w.model_label.text() == "未设置模型"
    w.close()
    server = EngineSettings(backend="server", server=ServerSettings(url="http://192.168.1.10:8080/v1"))
    w2 = make_window(Settings(author="王老师", engine=server))
    assert w2.model_label.text().startswith("服务器：") and "192.168.1.10" in w2.model_label.text()
    assert "课堂模式" in w2.model_label.toolTip()


def test_the_status_bar_progress_belongs_to_the_job_that_showed_it(make_window, qtbot):
    """A model load ending while a batch runs takes its busy bar away (left, it animated all batch);
    a job's own progress stays until that job ends."""
    import threading

    w = make_window()
    release = threading.Event()
    w.show_progress("加载模型…", busy=True, slot="load")
    w.runner.start("load", lambda job: None)
    w.runner.start("model", lambda job: release.wait(10))
    qtbot.waitUntil(lambda: not w.runner.busy("load"), timeout=5000)
    assert w.runner.busy("model") and w.progress.isHidden()

    w.show_progress("点评中…", busy=True)
    w.runner.start("import", lambda job: None)
    qtbot.waitUntil(lambda: not w.runner.busy("import"), timeout=5000)
    assert not w.progress.isHidden() and w.progress.format() == "点评中…"
    release.set()
    assert w.runner.wait_idle(10)
    assert w.progress.isHidden()
