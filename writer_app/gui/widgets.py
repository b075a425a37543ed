"""Small custom widgets: the text editor with highlighted ranges, and the score chart."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QTextEdit, QWidget


def qpos(text: str, index: int) -> int:
    """A Python string index as a Qt text position (UTF-16 units: astral characters count two)."""
    head = text[:index]
    return index + sum(1 for c in head if ord(c) > 0xFFFF)


def pypos(text: str, position: int) -> int:
    """A Qt text position back to a Python string index."""
    units = 0
    for i, c in enumerate(text):
        if units >= position:
            return i
        units += 2 if ord(c) > 0xFFFF else 1
    return len(text)


class TextEditor(QPlainTextEdit):
    """Plain text with marked ranges (annotations) and helpers that speak Python indices."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(False)
        self._marks: list[tuple[int, int, bool]] = []

    def text(self) -> str:
        return self.toPlainText()

    def set_text_keep_view(self, text: str) -> None:
        """Replace the text (no undo step), keeping the cursor and scroll position where possible."""
        if text == self.toPlainText():
            return
        pos = self.textCursor().position()
        bar = self.verticalScrollBar().value()
        self.setPlainText(text)
        cur = self.textCursor()
        cur.setPosition(min(pos, len(text)))
        self.setTextCursor(cur)
        self.verticalScrollBar().setValue(bar)
        self._paint_marks()

    def replace_all_undoably(self, text: str) -> None:
        """Replace everything as one undo step (Ctrl+Z brings the old text back)."""
        cur = QTextCursor(self.document())
        cur.beginEditBlock()
        cur.select(QTextCursor.SelectionType.Document)
        cur.insertText(text)
        cur.endEditBlock()

    def selection_range(self) -> tuple[int, int]:
        """The selection as Python indices (start == end when nothing is selected)."""
        cur = self.textCursor()
        text = self.toPlainText()
        return pypos(text, cur.selectionStart()), pypos(text, cur.selectionEnd())

    def selected_text(self) -> str:
        """The selection as plain text (Qt marks line breaks in it with U+2029)."""
        return self.textCursor().selectedText().replace("\u2029", "\n")

    def select_range(self, start: int, end: int) -> None:
        text = self.toPlainText()
        cur = self.textCursor()
        cur.setPosition(qpos(text, start))
        cur.setPosition(qpos(text, end), QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cur)
        self.ensureCursorVisible()

    def find_and_select(self, quote: str) -> bool:
        """Select the first occurrence of ``quote`` (or of its longest leading part that occurs)."""
        text = self.toPlainText()
        q = quote.strip().strip("「」“”\"'")
        while q:
            i = text.find(q)
            if i >= 0:
                self.select_range(i, i + len(q))
                return True
            q = q[: len(q) * 2 // 3] if len(q) > 6 else ""
        return False

    def set_marks(self, marks: list[tuple[int, int, bool]]) -> None:
        """Highlight ``(start, end, resolved)`` ranges; resolved ones are underlined only."""
        self._marks = marks
        self._paint_marks()

    def _paint_marks(self) -> None:
        text = self.toPlainText()
        pal = self.palette()
        hl = QColor(pal.color(QPalette.ColorRole.Highlight))
        hl.setAlpha(60)
        sels = []
        for start, end, resolved in self._marks:
            if not (0 <= start < end <= len(text)):
                continue
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            if resolved:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            else:
                fmt.setBackground(hl)
            fmt.setProperty(QTextFormat.Property.UserProperty, "annotation")
            sel.format = fmt
            cur = QTextCursor(self.document())
            cur.setPosition(qpos(text, start))
            cur.setPosition(qpos(text, end), QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cur
            sels.append(sel)
        self.setExtraSelections(sels)

    def marked_ranges(self) -> list[tuple[int, int]]:
        """What is highlighted now, as Qt positions (for tests and accessibility)."""
        return [(s.cursor.selectionStart(), s.cursor.selectionEnd()) for s in self.extraSelections()]


class ScoreChart(QWidget):
    """Horizontal bars, one per rubric dimension, labelled in the UI language; drawn with QPainter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[tuple[str, float, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(40)

    def set_scores(self, bars: list[tuple[str, float, float]]) -> None:
        """``(label, score, max)`` per dimension."""
        self._bars = [(label, float(score), float(mx)) for label, score, mx in bars if mx > 0]
        self.setFixedHeight(max(40, 30 * len(self._bars) + 12))
        self.setAccessibleDescription("; ".join(f"{lb} {s:g}/{m:g}" for lb, s, m in self._bars))
        self.update()

    def bars(self) -> list[tuple[str, float, float]]:
        return list(self._bars)

    def sizeHint(self) -> QSize:
        return QSize(360, max(40, 30 * len(self._bars) + 12))

    def paintEvent(self, event: Any) -> None:  # noqa: ARG002 - Qt's signature
        if not self._bars:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = p.fontMetrics()
        label_w = max(fm.horizontalAdvance(lb) for lb, _, _ in self._bars) + 12
        value_w = fm.horizontalAdvance("00/00") + 12
        track_w = max(20, self.width() - label_w - value_w - 8)
        track = QColor(pal.color(QPalette.ColorRole.Mid))
        track.setAlpha(70)
        fill = pal.color(QPalette.ColorRole.Highlight)
        for i, (label, score, mx) in enumerate(self._bars):
            y = 6 + i * 30
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(
                QRectF(0, y, label_w - 6, 22),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(track)
            p.drawRoundedRect(QRectF(label_w, y + 4, track_w, 14), 4, 4)
            p.setBrush(fill)
            p.drawRoundedRect(QRectF(label_w, y + 4, track_w * max(0.0, min(1.0, score / mx)), 14), 4, 4)
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(
                QRectF(label_w + track_w + 8, y, value_w, 22),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{score:g}/{mx:g}",
            )
        p.end()
