"""The COIG-Writer loop driven through the widgets with the real tiny model (llama.cpp path)."""

from __future__ import annotations

from guihelp import model_settings, type_chinese
from PySide6.QtCore import Qt

from writer_app.gui.panels import TAB_DRAFT, TAB_HISTORY, TAB_THOUGHT

QUERY = "以“坚持”为话题，写一篇议论文，自拟标题，不少于800字。"
ESSAY = (
    "坚持的意义\n" + "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。\n" * 12
)


def test_prompt_thought_draft_stop_critique_annotate_restore_export(
    make_window, qtbot, tiny_model, small_resources, tmp_path
):
    w = make_window(model_settings(tiny_model))
    first = w.project.id
    w.new_action.trigger()
    pid = w.project.id
    assert pid != first

    # 题目: typed through the input method, as a Chinese writer does
    type_chinese(w.prompt_tab.query, QUERY)
    assert w.prompt_tab.query.toPlainText() == QUERY
    w.prompt_tab.length.setValue(1500)

    # 构思
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        qtbot.mouseClick(w.prompt_tab.generate_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["outline", "stop"], w.banner.text()
    md = w.thought_tab.markdown()
    assert "立意" in md and "结构" in md
    stored = w.library.projects.get(pid)
    assert stored.query == QUERY and stored.thought == md
    assert w.tabs.currentIndex() == TAB_THOUGHT

    # edit one section in the structured view: the Markdown follows
    intent = w.thought_tab.sections["intent"]
    intent.selectAll()
    type_chinese(intent, "坚持是把平凡的日子过成自己的节奏")
    assert "坚持是把平凡的日子过成自己的节奏" in w.thought_tab.markdown()
    assert w.thought_tab.markdown().count("立意") == md.count("立意")

    # 正文: streamed, stopped mid-way with Esc, kept, and one Ctrl+Z away from the old text
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        qtbot.mouseClick(w.draft_tab.generate_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(w.draft_tab.editor.toPlainText()) > 10, timeout=60_000)
        assert w.draft_tab.editor.isReadOnly() and w.stop_button.isVisible()
        w.stop_action.trigger()  # Esc
    assert sig.args == ["draft", "cancelled"], w.banner.text()
    partial = w.draft_tab.editor.toPlainText()
    assert partial.strip() and not w.draft_tab.editor.isReadOnly()
    assert w.library.projects.get(pid).answer == partial
    gen = w.library.projects.revisions(pid, "answer")[0]
    assert gen.kind == "generation" and "已停止" in gen.label
    w.draft_tab.editor.undo()
    assert w.draft_tab.editor.toPlainText() == ""
    w.draft_tab.editor.redo()
    assert w.draft_tab.editor.toPlainText() == partial
    w.flush()

    # 点评 with the model (of a Chinese essay: the tiny model's stopped draft is random tokens)
    w.draft_tab.editor.replace_all_undoably(ESSAY)
    with qtbot.waitSignal(w.generation_finished, timeout=180_000) as sig:
        qtbot.mouseClick(w.critique_tab.run_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["critique", "stop"], w.banner.text()
    assert "模型点评" in w.critique_tab.total.text()
    assert len(w.critique_tab.chart.bars()) >= 3
    assert w.library.projects.critiques(pid)[0]["source"] == "model"

    # a suggestion points into the draft (analysis-only critique of an essay with a loop)
    w.tabs.setCurrentIndex(TAB_DRAFT)
    w.critique_tab.no_model.setChecked(True)
    with qtbot.waitSignal(w.generation_finished, timeout=60_000):
        qtbot.mouseClick(w.critique_tab.run_button, Qt.MouseButton.LeftButton)
    sugg = w.critique_tab.suggestions
    assert sugg.count() > 0
    item = sugg.item(0)
    quote = item.data(Qt.ItemDataRole.UserRole)
    qtbot.mouseClick(sugg.viewport(), Qt.MouseButton.LeftButton, pos=sugg.visualItemRect(item).center())
    assert w.tabs.currentIndex() == TAB_DRAFT
    assert w.draft_tab.editor.selected_text() == quote

    # 批注: select, comment, highlighted
    w.draft_tab.editor.select_range(0, 5)
    type_chinese(w.annotations.comment, "标题可以更有力")
    qtbot.mouseClick(w.annotations.add_button, Qt.MouseButton.LeftButton)
    assert w.annotations.model.rowCount() == 1
    note = w.annotations.model.row_at(0)
    assert (note.quote, note.author, note.body) == (ESSAY[:5], "王老师", "标题可以更有力")
    assert len(w.draft_tab.editor.marked_ranges()) == 1
    assert w.annotation_dock.isVisible()

    # 历史: restore the stopped draft
    w.tabs.setCurrentIndex(TAB_HISTORY)
    model = w.history_tab.model
    row = next(i for i, r in enumerate(model.rows()) if r.id == gen.id)
    w.history_tab.view.setCurrentIndex(model.index(row))
    assert w.history_tab.diff.toPlainText().strip()
    qtbot.mouseClick(w.history_tab.restore_button, Qt.MouseButton.LeftButton)
    assert w.draft_tab.editor.toPlainText() == partial
    assert w.library.projects.get(pid).answer == partial

    # 导出 Markdown and PDF
    md_file, pdf_file = tmp_path / "out.md", tmp_path / "out.pdf"
    w.export_to("md", md_file)
    qtbot.waitUntil(md_file.exists, timeout=10_000)
    text = md_file.read_text(encoding="utf-8")
    assert QUERY in text and partial.strip()[:10] in text
    w.export_to("pdf", pdf_file)
    data = pdf_file.read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data  # the CJK font is embedded


def test_continue_rewrite_and_regenerate_one_section(make_window, qtbot, tiny_model, small_resources):
    w = make_window(model_settings(tiny_model))
    type_chinese(w.prompt_tab.query, QUERY)
    w.thought_tab.set_markdown("## 立意\n坚持\n\n## 风格\n朴素\n")
    w.thought_tab.edited.emit()
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        w.regenerate_section("style")
    assert sig.args == ["section", "stop"], w.banner.text()
    assert "坚持" in w.thought_tab.sections["intent"].toPlainText()  # the other section kept

    w.tabs.setCurrentIndex(TAB_DRAFT)
    editor = w.draft_tab.editor
    editor.replace_all_undoably("开头一句。结尾一句。")
    editor.select_range(5, 5)  # the cursor after the first sentence
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        qtbot.mouseClick(w.draft_tab.continue_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["continue", "stop"], w.banner.text()
    text = editor.toPlainText()
    assert text.startswith("开头一句。") and text.endswith("结尾一句。") and len(text) > 10

    editor.select_range(0, 5)
    with qtbot.waitSignal(w.generation_finished, timeout=120_000) as sig:
        w.rewrite_selection("更生动")
    assert sig.args == ["rewrite", "stop"], w.banner.text()
    assert editor.toPlainText().endswith("结尾一句。") and not editor.toPlainText().startswith("开头一句。")
    kinds = [r.label for r in w.library.projects.revisions(w.project.id, "answer")[:2]]
    assert kinds == ["改写", "续写"]
