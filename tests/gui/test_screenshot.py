"""The real app in a real X window (Xvfb): a PNG of the main window, and Chinese glyphs that render."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

PROMPT = "阅读下面的材料，根据要求写作。坚持与方向"


@pytest.fixture
def xvfb():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.fail("Xvfb is missing: bash packaging/setup.sh test installs xvfb")
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(
        [exe, f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail("Xvfb did not start")
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    proc.wait(10)


def test_the_main_window_shows_chinese_in_a_real_window(xvfb, tmp_path):
    home = tmp_path / "home"
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", WRITER_APP_HOME=str(home))
    env.pop("WAYLAND_DISPLAY", None)
    cli = [sys.executable, "-m", "writer_app"]
    made = subprocess.run(
        [*cli, "project", "new", "材料作文", "--query", PROMPT], env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    png = tmp_path / "window.png"
    proc = subprocess.run(
        [*cli, "gui", "--screenshot", str(png), "--quit-when-ready"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    assert info["text"] == PROMPT, info  # the project reopened in the window
    assert info["draws_text"] and info["draws_sample"], info  # QFontMetrics.inFontUcs4 on the CJK family

    image = QImage(str(png))
    assert image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20

    # pixels: each character of the prompt, drawn with the app's fonts on that X server, differs
    # from the box drawn for a character no font has, from a blank, and from the other characters
    child = Path(__file__).with_name("screenshot_child.py")
    proc = subprocess.run(
        [sys.executable, str(child), "坚持与方向写作"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    glyphs = json.loads(proc.stdout.strip().splitlines()[-1])
    assert glyphs == {"platform": "xcb", "not_tofu": True, "not_blank": True, "distinct": True}
