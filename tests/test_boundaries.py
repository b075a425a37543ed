"""The architecture's boundaries, checked: the core never imports Qt, and llama.cpp is loaded only
inside the worker process (``llm/llama_backend.py`` imports it lazily)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import writer_app


def _core_modules() -> list[str]:
    names = [
        m.name
        for m in pkgutil.walk_packages(writer_app.__path__, "writer_app.")
        if not m.name.startswith("writer_app.gui")
    ]
    assert len(names) > 30  # the walk found the package
    return names


def test_no_core_module_imports_qt_or_llama_cpp():
    modules = _core_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'llama_cpp'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"imported by the core: {proc.stdout.strip()}"


def test_only_the_backend_names_llama_cpp():
    from pathlib import Path

    root = Path(writer_app.__file__).parent
    naming = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "import llama_cpp" in p.read_text(encoding="utf-8")
        or "from llama_cpp" in p.read_text(encoding="utf-8")
    )
    assert naming == ["llm/llama_backend.py"]


def test_test_files_have_unique_names():
    """pytest imports test modules by basename (no packages here): two test_x.py in different
    folders collide when the whole suite runs."""
    from collections import Counter
    from pathlib import Path

    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []
