"""The gradebook rows: the teacher's total over the critique's, bands, the histogram, the class's
common problems, and the table as CSV and .xlsx read back."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from writer_app.resources import resources_dir
from writer_app.storage.marking import Mark, MarkedProject
from writer_app.writing.gradebook import (
    band_for,
    common_problems,
    grade_rows,
    histogram,
    table,
    to_csv,
    to_xlsx,
)
from writer_app.writing.rubric import load_rubric

RUBRIC = load_rubric(resources_dir(), "gaokao")


def _marked(pid, total, *, mark=None, evidence=(), dims=(15, 14, 6), deductions=(), student=None):
    crit = None
    if total is not None:
        crit = {
            "total": total,
            "max_total": 60,
            "rubric": "gaokao",
            "source": "model",
            "dimensions": [
                {"key": k, "name": n, "score": s, "max": 20}
                for (k, n), s in zip(
                    (("content", "内容"), ("expression", "表达"), ("development", "发展")), dims, strict=True
                )
            ],
            "evidence": [{"kind": k, "amount": a, "message": f"{k} {a}"} for k, a in evidence],
            "deductions": [{"rule": r, "points": -2} for r in deductions],
        }
    name = student if student is not None else f"学生{pid}"
    return MarkedProject(
        pid, f"u{pid}", name, "题目", "", "", "题目\n正文十个字正文十个字", crit, True, mark, []
    )


def test_rows_take_the_teacher_s_total_and_band_it():
    rows = grade_rows(
        [_marked(1, 35, mark=Mark(1, 50.0, "好")), _marked(2, 35), _marked(3, None)], lambda n: RUBRIC
    )
    assert (rows[0].final, rows[0].band, rows[0].total) == (50.0, "一等", 35)
    assert (rows[1].final, rows[1].band) == (35, "二等")
    assert (rows[2].final, rows[2].band, rows[2].source) == (None, "", "")
    assert rows[0].chars == 10 and rows[0].dimensions == {"内容": 15, "表达": 14, "发展": 6}
    assert band_for(RUBRIC, 60, 60) == "一等" and band_for(None, 60, 60) == ""


def test_histogram_and_common_problems_count_each_essay_once():
    rows = grade_rows(
        [
            _marked(1, 59, evidence=[("repeat", 3), ("copy", 0.25)]),
            _marked(
                2, 60, evidence=[("repeat", 1)], deductions=["字数不足：500/800，每少50字扣1分 (too short)"]
            ),
            _marked(
                3,
                5,
                deductions=["缺少标题 (missing title)", "不足200字，总分不超过10分 (under 200 characters)"],
            ),
            _marked(4, None),
        ],
        lambda n: RUBRIC,
    )
    assert histogram(rows) == [(0, 10, 1), (10, 20, 0), (20, 30, 0), (30, 40, 0), (40, 50, 0), (50, 60, 2)]
    problems = dict(common_problems(rows))
    assert problems["重复句"] == 2 and problems["照抄"] == 1 and problems["篇幅不足"] == 2
    assert problems["缺少标题"] == 1 and problems["发展偏弱"] == 3  # 6/20 in each critiqued essay


def test_csv_and_xlsx_read_back_the_same_table_and_never_run_a_formula():
    rows = grade_rows(
        [
            _marked(1, 41, mark=Mark(1, 45.0, '=HYPERLINK("x")'), evidence=[("copy", 0.3)]),
            _marked(2, 30, student="+1"),
        ],
        lambda n: RUBRIC,
    )
    header, lines = table(rows)
    got = list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig"))))
    assert got[0] == header and got[1][:6] == ["学生1", "题目", "10", "45", "60", "二等"]
    assert got[1][header.index("照抄")] == "30" and got[1][header.index("教师评语")].startswith("'=")
    assert got[2][0] == "'+1"
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "高三[2]班"))).active
    assert sheet.title == "高三_2_班"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header and values[1][3] == 45 and values[2][header.index("点评分")] == 30
    assert values[1][header.index("教师评语")].startswith("'=") and sheet.freeze_panes == "C2"
