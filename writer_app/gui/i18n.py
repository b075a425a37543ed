"""UI language and fonts: Qt Linguist translations, and a CJK font so Chinese never shows as boxes.

The source strings are Chinese (the default UI); ``resources/translations/writer_app_en.ts``
holds the English, compiled to ``.qm`` by ``pyside6-lrelease`` (see tests/gui/test_i18n.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

# Tried in order; the first one installed wins. Setup installs WenQuanYi Micro Hei on Debian/Ubuntu.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "SimSun",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
SAMPLE = "写作伴侣构思正文点评"


def choose_language(setting: str, system: QLocale | None = None) -> str:
    """ "zh" or "en": the setting if it names one, else English only for an English system locale."""
    if setting in ("zh", "en"):
        return setting
    locale = system or QLocale.system()
    return "en" if locale.language() == QLocale.Language.English else "zh"


def install_translators(app: QApplication, language: str, translations_dir: Path) -> list[QTranslator]:
    """Load our strings (English) or Qt's own Chinese strings (dialog buttons and the like)."""
    loaded: list[QTranslator] = []
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if language == "en":
        ours = QTranslator(app)
        if ours.load(str(translations_dir / "writer_app_en.qm")):
            app.installTranslator(ours)
            loaded.append(ours)
    else:
        qt = QTranslator(app)
        if qt.load("qtbase_zh_CN", qt_dir):
            app.installTranslator(qt)
            loaded.append(qt)
    return loaded


def cjk_family(fonts_dir: Path | None = None) -> str | None:
    """The installed family that will draw Chinese: a preferred one, else any with the glyphs."""
    if fonts_dir is not None and fonts_dir.is_dir():
        for f in sorted(fonts_dir.glob("*.[ot]t[fc]")):
            QFontDatabase.addApplicationFont(str(f))
    chinese = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    for name in CJK_FAMILIES:
        if name in chinese:
            return name
    return chinese[0] if chinese else None


def setup_fonts(app: QApplication, fonts_dir: Path | None = None) -> str | None:
    """Put a CJK family after the UI font, so Latin text keeps the system look and Chinese
    falls back to real glyphs. Returns the family, or None when none is installed."""
    family = cjk_family(fonts_dir)
    font = QFont(app.font())
    if family is not None:
        base = font.family()
        font.setFamilies([base, family] if base and base != family else [family])
        app.setFont(font)
    return family


def draws(family: str, text: str = SAMPLE) -> bool:
    """True when ``family`` has a glyph for every character of ``text``."""
    from PySide6.QtGui import QFontMetrics

    fm = QFontMetrics(QFont(family))
    return all(fm.inFontUcs4(ord(c)) for c in text)
