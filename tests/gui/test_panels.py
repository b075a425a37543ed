"""The panels on their own: the 构思's sections and Markdown edit one text, a streamed 构思
fills its boxes read-only and gives way to the result, and the library panel's filters."""

from __future__ import annotations

from writer_app.domain import load_genres
from writer_app.gui.panels import LibraryPanel, ThoughtTab
from writer_app.resources import resources_dir

MD = "## 立意\n坚持成就自我\n\n## 素材\n- 长跑\n- 练琴\n"


def test_a_section_edit_rewrites_the_markdown_and_back(qtbot):
    tab = ThoughtTab()
    qtbot.addWidget(tab)
    tab.set_markdown(MD)
    assert tab.sections["intent"].toPlainText() == "坚持成就自我"
    with qtbot.waitSignal(tab.edited):
        tab.sections["intent"].setPlainText("坚持是日复一日的小事")
    assert "坚持是日复一日的小事" in tab.markdown() and "长跑" in tab.markdown()
    tab.raw_button.setChecked(True)
    tab.raw.setPlainText(tab.markdown().replace("练琴", "写字"))
    tab.structured_button.setChecked(True)
    assert "写字" in tab.sections["materials"].toPlainText()


def test_a_streamed_thought_fills_read_only_boxes_then_shows_the_result(qtbot):
    tab = ThoughtTab()
    qtbot.addWidget(tab)
    tab.set_markdown(MD)
    tab.begin_stream(("intent",))
    assert tab.sections["intent"].isReadOnly() and tab.sections["intent"].toPlainText() == ""
    assert not tab.generate_button.isEnabled()
    tab.show_streamed("intent", "坚持")
    tab.show_streamed("intent", "坚持让人")
    tab.show_streamed("materials", "不在流中的部分不变")
    assert tab.sections["intent"].toPlainText() == "坚持让人"
    assert "长跑" in tab.sections["materials"].toPlainText()
    assert tab.markdown() == MD  # the Markdown waits for the result
    tab.set_markdown(MD.replace("坚持成就自我", "坚持让人成长"), undoable=True)
    tab.end_stream()
    assert not tab.sections["intent"].isReadOnly() and tab.generate_button.isEnabled()
    assert tab.sections["intent"].toPlainText() == "坚持让人成长"


def test_a_stopped_stream_gives_the_old_text_back(qtbot):
    tab = ThoughtTab()
    qtbot.addWidget(tab)
    tab.set_markdown(MD)
    tab.begin_stream()
    tab.show_streamed("intent", "写到一半")
    tab.end_stream()
    assert tab.sections["intent"].toPlainText() == "坚持成就自我"


def test_library_filters_follow_the_controls(qtbot):
    panel = LibraryPanel(load_genres(resources_dir()))
    qtbot.addWidget(panel)
    panel.set_tags(["高三2班", "练习"])
    with qtbot.waitSignal(panel.filters_changed):
        panel.tag.setCurrentIndex(panel.tag.findData("练习"))
    panel.trash.setChecked(True)
    f = panel.filters()
    assert f["tag"] == "练习" and f["trashed"] is True and f["text"] == ""
    panel.set_tags(["练习"])  # the chosen tag survives a new tag list
    assert panel.tag.currentData() == "练习"
