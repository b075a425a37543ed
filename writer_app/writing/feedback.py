"""A student's feedback sheet: their essay with the teacher's annotations and the critique's
quoted suggestions marked where they apply, the scores, and the teacher's comment.

Two forms from one layout: HTML (the window prints it to PDF with Qt, which embeds the CJK font)
and .docx, where each mark is a real Word comment anchored on the passage, so the student sees
it in Word's margin. Both mark the same spans, found here once: the teacher's annotations by
their offsets (re-found by their quote when the text moved), the suggestions by their verbatim
quote. Overlapping marks keep the first; every note is still listed under the essay.
"""

from __future__ import annotations

import functools
import html
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import WriterAppError
from writer_app.storage.marking import MarkedProject
from writer_app.writing.gradebook import EVIDENCE_COLUMNS, GradeRow


@dataclass
class Note:
    label: str  # 1, 2, … for the teacher's annotations; a, b, … for the critique's suggestions
    text: str  # what it says
    author: str
    start: int = -1  # the span in the essay (-1: not found in the current text)
    end: int = -1


def notes(marked: MarkedProject, row: GradeRow, limit: int = 8) -> list[Note]:
    """The teacher's annotations, then up to ``limit`` of the critique's suggestions, each with
    its span in the essay where it can be found."""
    text = marked.answer
    out = []
    for i, a in enumerate(marked.annotations, 1):
        start, end = int(a["start"]), int(a["end"])
        if text[start:end] != a["quote"]:
            start = text.find(a["quote"]) if a["quote"] else -1
            end = start + len(a["quote"]) if start >= 0 else -1
        out.append(Note(str(i), str(a["body"]), str(a.get("author") or "教师"), start, end))
    for i, s in enumerate(row.suggestions[:limit]):
        quote = str(s.get("quote", ""))
        start = text.find(quote) if quote else -1
        said = "；".join(x for x in (str(s.get("issue", "")), str(s.get("fix", ""))) if x)
        out.append(Note(chr(ord("a") + i), said, "点评", start, start + len(quote) if start >= 0 else -1))
    return out


def spans(text: str, found: list[Note], skip: int = 0) -> list[tuple[int, int, Note | None]]:
    """``text[skip:]`` cut into (start, end, note) pieces, each note on its own span; a span that
    overlaps an earlier one, or the skipped title, is not marked (its note is still listed)."""
    marked: list[Note] = []
    for n in found:
        if n.start >= skip and n.end > n.start and all(n.end <= m.start or n.start >= m.end for m in marked):
            marked.append(n)
    marked.sort(key=lambda n: n.start)
    out: list[tuple[int, int, Note | None]] = []
    at = skip
    for n in marked:
        if n.start > at:
            out.append((at, n.start, None))
        out.append((n.start, n.end, n))
        at = n.end
    if at < len(text):
        out.append((at, len(text), None))
    return out


def score_lines(row: GradeRow) -> list[str]:
    """The scores as the sheet states them: the total (the teacher's, when overridden), the
    band, each dimension, and what the computed evidence found."""
    if row.total is None and row.teacher_total is None:
        return ["尚未点评"]
    lines = []
    if row.teacher_total is not None:
        lines.append(f"总分 {row.teacher_total:g}/{row.max_total or 60}（教师评定）")
        if row.total is not None:
            lines.append(f"点评估分 {row.total}/{row.max_total}")
    else:
        lines.append(f"总分 {row.total}/{row.max_total}" + (f"（{row.band}）" if row.band else ""))
    if row.dimensions:
        lines.append("，".join(f"{k} {v}/{row.dimension_max.get(k, '')}" for k, v in row.dimensions.items()))
    found = [
        f"{name} {_amount(kind, row.evidence[kind])}"
        for kind, name in EVIDENCE_COLUMNS
        if row.evidence.get(kind)
    ]
    if found:
        lines.append("发现：" + "，".join(found))
    return lines


def title_length(marked: MarkedProject) -> int:
    """How much of the text is its title line (the sheet's heading shows the title once)."""
    first, sep, _rest = marked.answer.partition("\n")
    return len(first) + len(sep) if sep and first.strip() and first.strip() == marked.title.strip() else 0


def _amount(kind: str, amount: float) -> str:
    return f"{amount:.0%}" if kind == "copy" else "有" if kind == "drift" else f"{amount:g} 处"


def _header(row: GradeRow, group: str) -> tuple[str, str]:
    who = row.student or "（未署名）"
    return f"{row.title or '（无题）'}", f"{who}" + (
        f"　{group}" if group else ""
    ) + f"　{time.strftime('%Y-%m-%d')}"


# --------------------------------------------------------------------------------------------
# HTML (printed to PDF by the window)
# --------------------------------------------------------------------------------------------
def sheet_html(
    marked: MarkedProject, row: GradeRow, group: str = "", font: str = "", size_pt: float = 10.5
) -> str:
    """One student's sheet as HTML that Qt's rich text lays out (no CSS it lacks)."""
    title, byline = _header(row, group)
    esc = html.escape
    face = f"font-family:'{esc(font)}';" if font else ""
    found = notes(marked, row)
    essay = []
    for start, end, note in spans(marked.answer, found, title_length(marked)):
        piece = esc(marked.answer[start:end]).replace("\n", "<br>")
        if note is None:
            essay.append(piece)
        else:
            colour = "#b91c1c" if note.label.isdigit() else "#1d4ed8"
            essay.append(f'<u>{piece}</u><sup style="color:{colour}">[{esc(note.label)}]</sup>')
    parts = [
        f'<html><body style="{face}font-size:{size_pt:g}pt">',
        f'<h2 align="center">{esc(title)}</h2><p align="center" style="color:#555">{esc(byline)}</p>',
        '<table width="100%" cellpadding="4" style="background:#f3f4f6"><tr><td>',
        "<br>".join(esc(line) for line in score_lines(row)),
        "</td></tr></table>",
    ]
    if row.comment:
        parts.append(f"<p><b>教师评语：</b>{esc(row.comment)}</p>")
    parts.append(f'<p style="line-height:150%">{"".join(essay)}</p>')
    if found:
        parts.append("<p><b>批注与修改建议</b><br>")
        lines = []
        for n in found:
            where = "" if n.start >= 0 else "（原文已改动，未能定位）"
            lines.append(f"[{esc(n.label)}] {esc(n.author)}：{esc(n.text)}{where}")
        parts.append("<br>".join(lines) + "</p>")
    parts.append("</body></html>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# .docx with Word comments
# --------------------------------------------------------------------------------------------
def sheet_docx(marked: MarkedProject, row: GradeRow, group: str = "") -> bytes:
    """The sheet as a Word document; each note is a Word comment on its passage."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    title, byline = _header(row, group)
    heading = doc.add_heading(title, level=1)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para = doc.add_paragraph(byline)
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for line in score_lines(row):
        doc.add_paragraph(line).runs[0].font.size = Pt(10)
    if row.comment:
        para = doc.add_paragraph()
        para.add_run("教师评语：").bold = True
        para.add_run(row.comment)
    found = notes(marked, row)
    pieces = spans(marked.answer, found, title_length(marked))
    para = doc.add_paragraph()
    for start, end, note in pieces:
        lines = marked.answer[start:end].split("\n")
        runs: list[Any] = []
        for k, line in enumerate(lines):
            if k:
                para = doc.add_paragraph()
            if line:
                runs.append(para.add_run(line))
        if note is not None and runs:
            doc.add_comment(
                runs, text=f"[{note.label}] {note.text}", author=note.author, initials=note.author[:1]
            )
    unplaced = [n for n in found if n.start < 0]
    if unplaced:
        doc.add_paragraph("未能在原文中定位的批注与建议：")
        for n in unplaced:
            doc.add_paragraph(f"[{n.label}] {n.author}：{n.text}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# the Qt printer (writer_app.gui.pdf.write_pdf): HTML at a font size → a PDF file; pages
PdfPrinter = Callable[[Callable[[float], str], Path], int]


def write_sheets(
    rows: list[GradeRow],
    marked: dict[int, MarkedProject],
    folder: Path,
    fmt: str,
    *,
    group: str = "",
    font: str = "",
    print_pdf: PdfPrinter | None = None,
    each: Callable[[], None] = lambda: None,
) -> tuple[list[Path], list[str]]:
    """Each student's sheet into ``folder`` as ``fmt`` (pdf through ``print_pdf``, or docx),
    calling ``each`` after every one; returns (the files written, one line a failure)."""
    from writer_app.textio import atomic_replace

    if fmt == "pdf" and print_pdf is None:
        raise ValueError("PDF needs a printer")
    written: list[Path] = []
    failed: list[str] = []
    for r in rows:
        m = marked.get(r.project_id)
        if m is None:
            continue
        path = folder / f"{file_stem(r)}.{fmt}"
        try:
            if fmt == "pdf":
                assert print_pdf is not None
                print_pdf(functools.partial(sheet_html, m, r, group, font), path)
            else:
                atomic_replace(path, sheet_docx(m, r, group), None)
            written.append(path)
        except (OSError, WriterAppError) as exc:
            failed.append(f"{path.name}：{exc}")
        each()
    return written, failed


def file_stem(row: GradeRow) -> str:
    """A safe file name for a student's sheet: 反馈-<student or title>-<project id>."""
    name = "".join(c for c in (row.student or row.title) if c.isalnum() or c in "-_ ").strip()[:40]
    return f"反馈-{name or 'essay'}-{row.project_id}"
