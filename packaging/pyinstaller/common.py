"""What every PyInstaller spec of Writer Companion bundles. Imported by linux.spec, windows.spec
and macos.spec (PyInstaller executes a spec with SPECPATH set to its folder).

The bundle holds the app, ``resources/`` (prompts, rubrics, genres, translations, icons),
``models/catalog.toml``, llama.cpp's shared libraries, jieba's dictionary and Qt with its
plugins. It never holds a model.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "packaging" / "pyinstaller" / "entry.py")
APP_ID = "io.github.writercompanion.WriterCompanion"

# Qt modules the app never imports (PySide6-Essentials ships them; the hooks only add what is
# imported, this keeps a stray import from dragging them in).
QT_EXCLUDES = [
    "PySide6.Qt3DCore",
    "PySide6.QtBluetooth",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtMultimedia",
    "PySide6.QtNetwork",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDBus",
    "PySide6.QtStateMachine",
    "PySide6.QtSvgWidgets",
]
DEV_EXCLUDES = ["tkinter", "pytest", "hypothesis", "pytestqt", "ruff", "IPython", "llama_cpp.server"]


def version() -> str:
    ns: dict[str, str] = {}
    exec((ROOT / "writer_app" / "__init__.py").read_text(encoding="utf-8"), ns)
    return ns["__version__"]


def analysis_kwargs() -> dict:
    from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules

    datas = [
        (str(ROOT / "resources"), "resources"),
        (str(ROOT / "models" / "catalog.toml"), "models"),
    ]
    datas += collect_data_files("jieba")  # dict.txt, idf.txt, the HMM tables
    datas += collect_data_files("docx")  # python-docx's default template
    binaries = collect_dynamic_libs("llama_cpp")  # libllama, libggml*, GPU back-ends if built in
    hidden = collect_submodules("writer_app") + collect_submodules("markdown.extensions")
    hidden += ["PySide6.QtSvg", "PySide6.QtPrintSupport"]
    return {
        "scripts": [ENTRY],
        "pathex": [str(ROOT)],
        "binaries": binaries,
        "datas": datas,
        "hiddenimports": hidden,
        "excludes": QT_EXCLUDES + DEV_EXCLUDES,
        "noarchive": False,
    }


# What the hooks collect but the app never uses. Platform plugins kept: xcb (X11), wayland,
# offscreen and minimal (tests, headless self-checks).
_DROP_PARTS = ("jieba/lac_small/",)  # paddle's model for jieba's optional LAC mode
_DROP_PLUGINS = (
    "platforms/libqeglfs",
    "platforms/libqlinuxfb",
    "platforms/libqvnc",
    "platforms/libqvkkhrdisplay",
    "platforms/libqminimalegl",
    "egldeviceintegrations/",
    # loads the system's GTK 3 into a process that carries its own GLib: a crash risk, and a
    # dependency on GTK; Qt's own style and the XDG portal theme are used instead
    "platformthemes/libqgtk3",
)
_KEEP_QT_TRANSLATIONS = ("_zh_CN.qm", "_zh_TW.qm", "_en.qm")


def prune(toc: list) -> list:
    """Drop unused data and plugins from an Analysis TOC (dest, source, kind)."""
    out = []
    for entry in toc:
        dest = entry[0].replace("\\", "/")
        if any(part in dest for part in _DROP_PARTS) or any(p in dest for p in _DROP_PLUGINS):
            continue
        if "/Qt/translations/" in dest and not dest.endswith(_KEEP_QT_TRANSLATIONS):
            continue
        out.append(entry)
    return out
