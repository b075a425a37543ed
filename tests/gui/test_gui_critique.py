"""A critique's suggestion applied as a rewrite: shown as a diff, then accepted or rejected."""

from __future__ import annotations

from guihelp import model_settings
from PySide6.QtCore import Qt

from writer_app.writing.draft import DraftEvent, DraftKind

ESSAY = "坚持的意义\n" + "\n".join(
    [
        "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。" * 3,
        "冬天的早晨很冷，我还是按时起床，把跑鞋的鞋带系紧，走进黑漆漆的操场。",
        "一年过去了，我的八百米成绩从四分钟提高到了三分二十秒。",
    ]
)
NEW = "晨光里，我踩着跑道上的白霜一圈圈地跑。"


def test_a_suggestion_is_rewritten_shown_as_a_diff_and_accepted_or_rejected(make_window, qtbot, tiny_model):
    w = make_window(model_settings(tiny_model))
    w.draft_tab.editor.replace_all_undoably(ESSAY)
    w.critique_tab.no_model.setChecked(True)
    with qtbot.waitSignal(w.generation_finished, timeout=60_000):
        qtbot.mouseClick(w.critique_tab.run_button, Qt.MouseButton.LeftButton)
    sugg = w.critique_tab.suggestions
    assert sugg.count() >= 3
    assert not w.critique_tab.rewrite_button.isEnabled()
    sugg.setCurrentRow(0)
    quote = sugg.item(0).data(Qt.ItemDataRole.UserRole)
    assert w.critique_tab.rewrite_button.isEnabled() and quote in ESSAY
    asked = []

    def rewrite(passage, instruction, before, after, cancel):
        asked.append((passage, instruction))
        yield DraftEvent(DraftKind.TEXT, NEW)

    w.wb.rewrite = rewrite  # the model's part is tested in tests/writing; here, the window's flow

    # reject: nothing changes
    with qtbot.waitSignal(w.generation_finished, timeout=30_000):
        qtbot.mouseClick(w.critique_tab.rewrite_button, Qt.MouseButton.LeftButton)
    assert asked[0][0] == quote and "：" in asked[0][1]  # the passage, and the suggestion's issue and fix
    review = w.critic.review
    html = review.diff.toHtml()
    assert "line-through" in html and "#c8f0c8" in html  # deleted and inserted words, marked
    assert "白霜" in review.diff.toPlainText()
    review.reject_button.click()
    assert w.draft_tab.editor.toPlainText() == ESSAY

    # accept: the passage is replaced, the rest stays, one undo brings it back
    with qtbot.waitSignal(w.generation_finished, timeout=30_000):
        qtbot.mouseClick(w.critique_tab.rewrite_button, Qt.MouseButton.LeftButton)
    w.critic.review.accept_button.click()
    text = w.draft_tab.editor.toPlainText()
    assert NEW in text and text == ESSAY.replace(quote, NEW, 1)
    assert w.library.projects.get(w.project.id).answer == text
    w.draft_tab.editor.undo()
    assert w.draft_tab.editor.toPlainText() == ESSAY
