"""Feedback sheets as PDF, printed by Qt (``QPdfWriter``), which embeds the subset of the CJK font
the page uses: the PDF shows Chinese on a machine without that font.

A sheet is meant to be one A4 page: when the essay and its notes do not fit at the normal size,
the text is set smaller (down to 8 pt) before a second page is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from writer_app.errors import WriterAppError

SIZES_PT = (10.5, 9.5, 8.5, 8.0)  # tried in turn until the sheet fits one page
MARGIN_MM = 15.0


def write_pdf(html_at: Callable[[float], str], path: Path, family: str | None = None) -> int:
    """Print the sheet (``html_at(size)``: its HTML at a font size in pt) to ``path`` atomically; returns
    the number of pages. Raises WriterAppError when the file cannot be written."""
    writer_tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(writer_tmp))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setTitle(path.stem)
    writer.setCreator("写作伴侣 Writer Companion")
    doc = QTextDocument()
    if family:
        doc.setDefaultFont(QFont(family))
    layout = doc.documentLayout()
    if layout is not None:  # laid out in the PDF's own units: the page count is the printed one
        layout.setPaintDevice(writer)
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    for size in SIZES_PT:
        doc.setHtml(html_at(size))
        if doc.pageCount() <= 1:
            break
    pages = doc.pageCount()
    doc.print_(writer)
    del writer  # closes the file
    try:
        if writer_tmp.stat().st_size == 0:
            raise OSError("empty")
        os.replace(writer_tmp, path)
    except OSError as exc:
        writer_tmp.unlink(missing_ok=True)
        raise WriterAppError(f"无法写入 {path.name}：{exc} (cannot write the PDF)") from None
    return pages


def printer(fonts_dir: Path) -> tuple[Callable[[Callable[[float], str], Path], int], str]:
    """(a PDF printer for :func:`writer_app.writing.feedback.write_sheets`, the CJK family it
    uses) for a caller without a window (``writer-app class --feedback``): Qt's printing needs a
    QGuiApplication, made here offscreen when there is none."""
    from PySide6.QtGui import QGuiApplication

    from writer_app.gui.i18n import cjk_family

    app = QGuiApplication.instance() or QGuiApplication(["writer-app", "-platform", "offscreen"])
    family = cjk_family(fonts_dir) or ""

    def print_pdf(html_at: Callable[[float], str], path: Path) -> int:
        assert app is not None  # held here: the application lives as long as the printer
        return write_pdf(html_at, path, family)

    return print_pdf, family
