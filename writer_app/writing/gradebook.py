"""The gradebook: a class's essays as rows a teacher sorts, charts and hands on.

One row per student: the newest critique's total, its band and dimensions, the computed evidence
(repeats, copied text, off-topic, assistant talk), the teacher's open annotations, and the
teacher's own total and comment. The teacher's total, where given, is the row's total and is
marked as theirs; the critique's stays beside it. The window's class view, ``writer-app class``
and the CSV/.xlsx exports all read these rows, so they never disagree.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from writer_app.storage.marking import MarkedProject
from writer_app.writing.rubric import Rubric, count_chars, split_title

# the evidence kinds the table counts (resources/rubrics/evidence.toml), with short headers
EVIDENCE_COLUMNS = (("repeat", "重复句"), ("copy", "照抄"), ("drift", "离题"), ("talk", "助手腔"))


@dataclass
class GradeRow:
    project_id: int
    student: str
    title: str
    chars: int
    total: int | None  # the newest critique's total (None: not critiqued)
    max_total: int | None
    band: str  # the total's band on the rubric's tiers ("" without tiers)
    dimensions: dict[str, int]  # dimension name → points
    dimension_max: dict[str, int]  # dimension name → its maximum
    evidence: dict[str, float]  # evidence kind → amount (a count; a share for copy)
    problems: list[str]  # one line each: the evidence found, and deductions
    source: str  # model | analysis | "" (no critique)
    current: bool  # the critique judged the current text
    annotations: int  # the teacher's open annotations on the text
    teacher_total: float | None = None
    comment: str = ""
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> float | None:
        """The row's total: the teacher's where they gave one, else the critique's."""
        return self.teacher_total if self.teacher_total is not None else self.total

    @property
    def who(self) -> str:
        return self.student or self.title or f"#{self.project_id}"


def band_for(rubric: Rubric | None, total: float | None, max_total: float | None) -> str:
    """The band of a total: the rubric's tiers applied to the total scaled to the tier scale
    (48/60 on the Gaokao rubric is 16/20: 一等)."""
    if rubric is None or total is None or not max_total or not rubric.tiers:
        return ""
    return rubric.tier_for(round(total / max_total * rubric.tier_scale))


def grade_rows(marked: Iterable[MarkedProject], rubric_for: Callable[[str], Rubric | None]) -> list[GradeRow]:
    """The class's rows; ``rubric_for`` gives the rubric a critique names (None: unknown)."""
    rows = []
    for m in marked:
        c = m.critique or {}
        rubric = rubric_for(str(c.get("rubric", ""))) if c else None
        total = c.get("total") if c else None
        evidence = {str(e.get("kind")): float(e.get("amount", 0)) for e in c.get("evidence") or []}
        problems = [str(e.get("message") or e.get("label")) for e in c.get("evidence") or []]
        problems += [str(d.get("rule")) for d in c.get("deductions") or []]
        _title, body = split_title(m.answer)
        teacher = m.mark.total if m.mark else None
        final = teacher if teacher is not None else total
        rows.append(
            GradeRow(
                project_id=m.project_id,
                student=m.student,
                title=m.title,
                chars=count_chars(body),
                total=int(total) if total is not None else None,
                max_total=int(c["max_total"]) if c.get("max_total") else None,
                band=band_for(rubric, final, c.get("max_total")),
                dimensions={str(d.get("name")): int(d.get("score", 0)) for d in c.get("dimensions") or []},
                dimension_max={str(d.get("name")): int(d.get("max", 0)) for d in c.get("dimensions") or []},
                evidence=evidence,
                problems=problems,
                source=str(c.get("source", "")),
                current=m.critique_current,
                annotations=len(m.annotations),
                teacher_total=teacher,
                comment=m.mark.comment if m.mark else "",
                suggestions=list(c.get("suggestions") or []),
            )
        )
    return rows


def dimension_names(rows: Iterable[GradeRow]) -> list[str]:
    """Every dimension the rows have, in the order they first appear."""
    names: dict[str, None] = {}
    for r in rows:
        names.update(dict.fromkeys(r.dimensions))
    return list(names)


def histogram(rows: Iterable[GradeRow], top: int = 60, bins: int = 6) -> list[tuple[int, int, int]]:
    """(low, high, count) of the rows' totals in ``bins`` equal ranges of 0…top, the last one
    closed (60 falls in 50–60)."""
    width = max(1, -(-top // bins))
    counts = [0] * bins
    for r in rows:
        if r.final is not None:
            counts[min(bins - 1, max(0, int(r.final) // width))] += 1
    return [(i * width, min(top, (i + 1) * width), counts[i]) for i in range(bins)]


# a deduction's rule text starts with one of these → the problem it names
DEDUCTION_PROBLEMS = (("缺少标题", "缺少标题"), ("字数不足", "篇幅不足"), ("不足", "篇幅不足"))
WEAK_SHARE = 0.5  # a dimension at or below half its points is weak


def common_problems(rows: Iterable[GradeRow], limit: int = 8) -> list[tuple[str, int]]:
    """What most of the class's essays share, most common first, each counted once an essay:
    each kind of computed evidence, too short or untitled, and each weak dimension."""
    counts: Counter[str] = Counter()
    labels = dict(EVIDENCE_COLUMNS) | {"loop": "重复循环"}
    for r in rows:
        found = {labels.get(kind, kind) for kind, amount in r.evidence.items() if amount > 0}
        for p in r.problems:
            found |= {name for start, name in DEDUCTION_PROBLEMS if p.startswith(start)}
        for name, score in r.dimensions.items():
            top = r.dimension_max.get(name, 0)
            if top and score <= WEAK_SHARE * top:
                found.add(f"{name}偏弱")
        counts.update(found)
    return counts.most_common(limit)


# --------------------------------------------------------------------------------------------
# the table, as files
# --------------------------------------------------------------------------------------------
def table(rows: list[GradeRow]) -> tuple[list[str], list[list[Any]]]:
    """The class table's header and rows, as the CSV and the .xlsx hold them."""
    dims = dimension_names(rows)
    header = ["学生", "题目", "字数", "总分", "满分", "等级", "评分来源", *dims]
    header += [name for _, name in EVIDENCE_COLUMNS] + ["批注", "点评分", "教师分", "教师评语"]
    out = []
    for r in rows:
        line: list[Any] = [r.student, r.title, r.chars, _num(r.final), r.max_total, r.band]
        line.append(
            "教师"
            if r.teacher_total is not None
            else {"model": "模型", "analysis": "文本估计"}.get(r.source, "")
        )
        line += [r.dimensions.get(d) for d in dims]
        for kind, _ in EVIDENCE_COLUMNS:
            amount = r.evidence.get(kind, 0.0)
            line.append(round(amount * 100) if kind == "copy" else _num(round(amount, 3)))
        line += [r.annotations, r.total, _num(r.teacher_total), r.comment]
        out.append(line)
    return header, out


def to_csv(rows: list[GradeRow]) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese as Chinese; copied text in percent."""
    header, lines = table(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else _cell(v) for v in line] for line in lines])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[GradeRow], sheet: str = "成绩") -> bytes:
    """One sheet: the header bold and frozen, the columns wide enough for Chinese."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, lines = table(rows)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = _sheet_name(sheet)
    ws.append(header)
    for line in lines:
        ws.append([_cell(v) for v in line])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2"
    for i, name in enumerate(header, 1):
        width = max([_width(name), *(_width(line[i - 1]) for line in lines)], default=6)
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, width + 2)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _num(value: float | None) -> float | int | None:
    """A whole number as an int (52, not 52.0)."""
    return int(value) if value is not None and float(value).is_integer() else value


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip() or "成绩"
    return cleaned[:31]


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)
