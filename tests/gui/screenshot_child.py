"""Run by test_screenshot.py under Xvfb: glyph images of the window's Chinese against tofu."""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication


def glyph(font: QFont, ch: str) -> bytes:
    img = QImage(48, 48, QImage.Format.Format_Grayscale8)
    img.fill(255)
    p = QPainter(img)
    p.setFont(font)
    p.setPen(Qt.GlobalColor.black)
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, ch)
    p.end()
    return bytes(img.constBits())


def main() -> None:
    from writer_app.gui.i18n import setup_fonts

    app = QApplication(sys.argv[:1])
    setup_fonts(app)
    text = sys.argv[1]
    font = app.font()
    font.setPointSize(20)
    tofu = glyph(font, "\U0010fffd")  # a code point no font draws
    blank = glyph(font, " ")
    images = {c: glyph(font, c) for c in text if not c.isspace()}
    print(
        json.dumps(
            {
                "platform": app.platformName(),
                "not_tofu": all(img != tofu for img in images.values()),
                "not_blank": all(img != blank for img in images.values()),
                "distinct": len(set(images.values())) == len(images),
            }
        )
    )


if __name__ == "__main__":
    main()
