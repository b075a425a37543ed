"""Killed while typing: reopening shows the same project with all but the last 2 s of typing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from writer_app.gui.panels import TAB_DRAFT


def test_after_kill_9_the_same_project_reopens_with_the_typing(make_window, qtbot, app_home):
    w = make_window()
    w.new_project()  # a second project, so "the same one" means something
    w.new_project()
    w.close()
    child = Path(__file__).with_name("recovery_child.py")
    env = dict(os.environ, WRITER_APP_HOME=str(app_home), PYTHONPATH=str(child.parent))
    proc = subprocess.Popen(
        [sys.executable, str(child)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        pid = int(proc.stdout.readline().split()[1])
        started = time.monotonic()
        last = -1
        while time.monotonic() - started < 3.5:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            last = int(line.split()[1])
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
    assert last >= 20

    w2 = make_window()
    assert w2.project.id == pid
    text = w2.draft_tab.editor.toPlainText()
    kept = [i for i in range(last + 1) if f"第{i}句。" in text]
    assert kept == list(range(len(kept)))  # a prefix of what was typed, in order
    assert len(kept) >= last + 1 - 20  # at most the last 2 s (20 pieces) lost
    assert text == "".join(f"第{i}句。" for i in kept)
    w2.tabs.setCurrentIndex(TAB_DRAFT)
