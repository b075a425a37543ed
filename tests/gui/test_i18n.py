"""Every visible string is translated, the shipped .qm matches the .ts, and Chinese has a font."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from writer_app.gui.i18n import CJK_FAMILIES, choose_language, draws, setup_fonts
from writer_app.resources import app_root

ROOT = app_root()
TS = ROOT / "resources" / "translations" / "writer_app_en.ts"
QM = TS.with_suffix(".qm")
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: it comes with PySide6-Essentials")
    return found


def test_every_string_in_the_gui_code_has_an_english_translation(tmp_path):
    ts = tmp_path / "check.ts"
    shutil.copy(TS, ts)
    sources = sorted(str(p) for p in (ROOT / "writer_app" / "gui").glob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(ts)], check=True, capture_output=True
    )
    untranslated = []
    count = 0
    for m in ET.parse(ts).iter("message"):
        count += 1
        tr = m.find("translation")
        if (
            tr is None
            or tr.get("type") in ("unfinished", "vanished", "obsolete")
            or not (tr.text or "").strip()
        ):
            untranslated.append(m.findtext("source"))
    assert count > 150
    assert not untranslated, f"run pyside6-lupdate and translate: {untranslated}"


def test_the_shipped_qm_is_built_from_the_ts(tmp_path):
    out = tmp_path / "out.qm"
    subprocess.run([tool("pyside6-lrelease"), str(TS), "-qm", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == QM.read_bytes(), (
        "rebuild: pyside6-lrelease resources/translations/writer_app_en.ts"
    )


def test_language_follows_the_setting_then_the_system_locale():
    english = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)
    chinese = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    assert choose_language("auto", english) == "en"
    assert choose_language("auto", chinese) == "zh"
    assert choose_language("auto", QLocale.c()) == "zh"  # Chinese unless the system is English
    assert choose_language("zh", english) == "zh"
    assert choose_language("en", chinese) == "en"


def test_a_cjk_font_is_installed_and_put_behind_the_ui_font(qapp):
    family = setup_fonts(QApplication.instance())
    assert family is not None, "no CJK font: bash packaging/setup.sh installs fonts-wqy-microhei"
    assert family in CJK_FAMILIES
    assert draws(family, "写作伴侣构思正文点评审题立意")
    assert QApplication.instance().font().families()[-1] == family


def test_the_english_ui_is_complete(tmp_path):
    """In a fresh process (translators are per application): every tab and menu in English."""
    script = (
        "import json, os\n"
        "from writer_app.config import AppPaths, Settings\n"
        "from writer_app.gui.app import create_window\n"
        "w = create_window(AppPaths.from_env(), Settings(language='en'))\n"
        "tabs = [w.tabs.tabText(i) for i in range(w.tabs.count())]\n"
        "menus = [a.text() for a in w.menuBar().actions()]\n"
        "print(json.dumps({'title': w.windowTitle(), 'tabs': tabs, 'menus': menus,"
        " 'button': w.prompt_tab.generate_button.text()}))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WRITER_APP_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    ui = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ui["title"] == "Writer Companion"
    assert ui["tabs"] == ["Prompt", "Thought", "Draft", "Critique", "History"]
    assert ui["menus"] == ["&File", "&Generate", "&Class", "&View"]
    assert ui["button"] == "Generate the thought (Ctrl+Enter)"
