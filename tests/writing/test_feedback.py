"""Feedback sheets: the teacher's annotations and the critique's quoted suggestions marked where
they apply (re-found when the text moved, listed when not found), as HTML and as a Word file
with real comments."""

from __future__ import annotations

import io

from docx import Document

from writer_app.storage.marking import Mark, MarkedProject
from writer_app.writing.feedback import file_stem, notes, sheet_docx, sheet_html, spans, write_sheets
from writer_app.writing.gradebook import grade_rows

TEXT = "秋天\n秋天来了，树叶黄了。我和奶奶去公园散步。\n奶奶说，落叶是树的信。"


def _one(annotations=(), suggestions=(), mark=None):
    crit = {
        "total": 40,
        "max_total": 60,
        "rubric": "gaokao",
        "source": "model",
        "suggestions": list(suggestions),
    }
    m = MarkedProject(7, "u", "李四", "秋天", "", "", TEXT, crit, True, mark, list(annotations))
    (row,) = grade_rows([m], lambda n: None)
    return m, row


def test_notes_are_placed_by_offset_or_quote_and_overlaps_are_listed_not_marked():
    ann = [
        {"start": 3, "end": 8, "quote": TEXT[3:8], "body": "好开头", "author": "王老师"},
        {
            "start": 0,
            "end": 2,
            "quote": "奶奶说",
            "body": "引语",
            "author": "王老师",
        },  # moved: found by quote
        {"start": 0, "end": 1, "quote": "不在文中", "body": "旧批注", "author": ""},
    ]
    sug = [
        {"quote": "来了，树叶", "issue": "平淡", "fix": "写颜色"},
        {"quote": "我和奶奶", "issue": "x", "fix": "y"},
    ]
    m, row = _one(ann, sug)
    found = notes(m, row)
    assert [n.label for n in found] == ["1", "2", "3", "a", "b"]
    assert found[1].start == TEXT.index("奶奶说") and found[2].start == -1 and found[2].author == "教师"
    pieces = spans(TEXT, found, skip=3)
    assert "".join(TEXT[a:b] for a, b, _ in pieces) == TEXT[3:]
    labels = [n.label for _, _, n in pieces if n is not None]
    assert labels == ["1", "b", "2"]  # "来了，树叶" overlaps note 1: listed, not marked


def test_the_html_sheet_escapes_the_text_and_shows_the_teacher_s_total():
    m, row = _one(
        [{"start": 3, "end": 5, "quote": "秋天", "body": "<b>点题</b>", "author": "王老师"}],
        mark=Mark(7, 48.0, "语言清新"),
    )
    html = sheet_html(m, row, "高三2班", "WenQuanYi Micro Hei", 9.5)
    assert "总分 48/60（教师评定）" in html and "点评估分 40/60" in html and "语言清新" in html
    assert "&lt;b&gt;点题&lt;/b&gt;" in html and "<b>点题</b>" not in html
    assert html.count("秋天") >= 2 and "font-size:9.5pt" in html and "高三2班" in html


def test_the_word_sheet_carries_each_note_as_a_comment_on_its_passage(tmp_path):
    m, row = _one(
        [{"start": 3, "end": 8, "quote": TEXT[3:8], "body": "好开头", "author": "王老师"}],
        [{"quote": "落叶是树的信", "issue": "比喻好", "fix": "再展开一句"}],
    )
    doc = Document(io.BytesIO(sheet_docx(m, row, "高三2班")))
    comments = {c.author: c.text for c in doc.comments}
    assert comments["王老师"] == "[1] 好开头" and comments["点评"] == "[a] 比喻好；再展开一句"
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "秋天来了，树叶黄了。" in body and "奶奶说，落叶是树的信。" in body
    written, failed = write_sheets([row], {7: m}, tmp_path, "docx", group="高三2班")
    assert written == [tmp_path / f"{file_stem(row)}.docx"] and failed == []
    assert file_stem(row) == "反馈-李四-7"
