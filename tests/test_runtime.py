"""How the app copes with being frozen: no std streams in a windowed build, no pip of its own."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from writer_app import runtime


def test_missing_std_streams_get_the_null_device(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    runtime.ensure_std_streams()
    print("llama.cpp chatter", file=sys.stderr)  # would raise AttributeError on None
    sys.stdout.write("x")
    assert sys.stderr.fileno() >= 0 and sys.stdout.name == os.devnull


def test_existing_std_streams_are_left_alone(capsys):
    before = sys.stdout
    runtime.ensure_std_streams()
    assert sys.stdout is before


def test_from_source_pip_is_this_interpreter():
    assert not runtime.is_frozen()
    assert runtime.pip_command() == [sys.executable, "-m", "pip"]


def _fake_python(folder: Path, name: str, pip_works: bool) -> Path:
    exe = folder / name
    exe.write_text(f"#!/bin/sh\nexit {0 if pip_works else 1}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_a_bundle_uses_a_python_on_path_that_has_pip(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    _fake_python(tmp_path, "python3", pip_works=False)
    good = _fake_python(tmp_path, "python", pip_works=True)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert runtime.pip_command() == [str(good), "-m", "pip"]


def test_a_bundle_without_python_has_no_pip(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert runtime.pip_command() is None  # the demo wheels then come straight from the index
