"""The custom widgets: Python indices against Qt's UTF-16 positions (astral characters count
two), selections, marks, one-step replacement and the score chart."""

from __future__ import annotations

import pytest

from writer_app.gui.widgets import ScoreChart, TextEditor, pypos, qpos

ASTRAL = "甲𠀀乙𠀁丙"  # two characters outside the BMP


@pytest.mark.parametrize("index", range(len(ASTRAL) + 1))
def test_qpos_and_pypos_are_inverse(index):
    assert pypos(ASTRAL, qpos(ASTRAL, index)) == index


def test_qpos_counts_astral_characters_twice():
    assert qpos(ASTRAL, 2) == 3 and qpos(ASTRAL, 5) == 7


def test_selection_speaks_python_indices(qtbot):
    ed = TextEditor()
    qtbot.addWidget(ed)
    ed.setPlainText(ASTRAL)
    ed.select_range(1, 4)
    assert ed.selection_range() == (1, 4)
    assert ed.selected_text() == ASTRAL[1:4]


def test_find_and_select_falls_back_to_the_quote_s_leading_part(qtbot):
    ed = TextEditor()
    qtbot.addWidget(ed)
    ed.setPlainText("清晨的操场上，我一圈又一圈地奔跑。")
    assert ed.find_and_select("“我一圈又一圈地奔跑，直到天黑”")
    start, end = ed.selection_range()
    assert ed.toPlainText()[start:end].startswith("我一圈又一圈")
    assert not ed.find_and_select("完全不在文中的句子")


def test_marks_skip_ranges_outside_the_text_and_use_qt_positions(qtbot):
    ed = TextEditor()
    qtbot.addWidget(ed)
    ed.setPlainText(ASTRAL)
    ed.set_marks([(1, 3, False), (4, 99, True), (3, 3, False)])
    assert ed.marked_ranges() == [(qpos(ASTRAL, 1), qpos(ASTRAL, 3))]


def test_replace_all_undoably_is_one_undo_step(qtbot):
    ed = TextEditor()
    qtbot.addWidget(ed)
    ed.setPlainText("旧的文字")
    ed.replace_all_undoably("新的文字，整段替换")
    assert ed.toPlainText() == "新的文字，整段替换"
    ed.undo()
    assert ed.toPlainText() == "旧的文字"


def test_set_text_keep_view_keeps_the_cursor(qtbot):
    ed = TextEditor()
    qtbot.addWidget(ed)
    ed.setPlainText("一二三四五")
    ed.select_range(3, 3)
    ed.set_text_keep_view("一二三四五六七")
    assert ed.selection_range() == (3, 3)


def test_score_chart_keeps_its_bars_and_paints(qtbot):
    chart = ScoreChart()
    qtbot.addWidget(chart)
    chart.set_scores([("内容", 15, 20), ("表达", 12, 20)])
    assert chart.bars() == [("内容", 15, 20), ("表达", 12, 20)]
    chart.resize(300, 120)
    assert not chart.grab().isNull()  # paintEvent ran without error
