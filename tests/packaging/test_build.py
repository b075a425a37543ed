"""The release recipe's pieces that run in seconds: version and changelog, desktop entry and
AppStream metadata, icons, licences, the .deb's Depends, the bundle's pruning. The built bundle
itself is checked by packaging/smoke.py (CI runs it after the tests)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from writer_app import __version__

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return _load("wc_build", ROOT / "packaging" / "build.py")


def test_one_version_source(build):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "writer_app.__version__"}
    assert build.version() == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_changelog_dates_this_version(build):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", build.release_date(__version__))
    with pytest.raises(SystemExit):
        build.release_date("99.0.0")


def test_desktop_entry_has_chinese_and_english_and_validates():
    path = ROOT / "packaging" / "linux" / "writer-companion.desktop"
    text = path.read_text(encoding="utf-8")
    for key in (
        "Name=Writer Companion",
        "Name[zh_CN]=写作伴侣",
        "Comment=",
        "Comment[zh_CN]=",
        "Exec=writer-app",
        "Icon=io.github.writercompanion.WriterCompanion",
        "Terminal=false",
    ):
        assert key in text
    if shutil.which("desktop-file-validate"):
        proc = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and "error" not in proc.stdout, proc.stdout


def test_appstream_metainfo_validates(tmp_path, build):
    src = (ROOT / "packaging" / "linux" / "writer-companion.metainfo.xml").read_text(encoding="utf-8")
    meta = src.replace("@VERSION@", __version__).replace("@DATE@", build.release_date(__version__))
    assert "@" not in meta.replace("xml:lang", "")
    assert f"<id>{build.APP_ID}</id>" in meta and f"{build.APP_ID}.desktop" in meta
    path = tmp_path / f"{build.APP_ID}.metainfo.xml"
    path.write_text(meta, encoding="utf-8")
    if not shutil.which("appstreamcli"):
        pytest.skip("appstreamcli not installed")
    proc = subprocess.run(["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_icons_render_at_every_hicolor_size(build, tmp_path):
    from PySide6.QtGui import QImage

    out = build.build_icons(tmp_path / "icons")
    for size in build.ICON_SIZES:
        img = QImage(str(out / f"{size}.png"))
        assert img.width() == size and img.height() == size
        centre = img.pixelColor(size // 2, size // 2)
        corner = img.pixelColor(0, 0)
        assert centre.alpha() == 255 and corner.alpha() < 255  # drawn, on a transparent ground
    assert (out / "scalable.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_licences_cover_every_bundled_component(build, tmp_path):
    lines = build.collect_licenses(tmp_path / "licenses")
    text = "\n".join(lines)
    for dep in (
        "PySide6_Essentials",
        "shiboken6",
        "llama_cpp_python",
        "jieba",
        "sqlite-utils",
        "Markdown",
        "numpy",
        "python-docx",
        "platformdirs",
    ):
        assert re.search(rf"^{re.escape(dep)} \S+: ", text, re.M | re.I), dep
    for file in (
        "LICENSE",
        "Apache-2.0.txt",
        "LGPL-3.0.txt",
        "GPL-3.0.txt",
        "llama.cpp.txt",
        "demo-model-NOTICE.txt",
        "THIRD-PARTY-NOTICES.txt",
    ):
        assert (tmp_path / "licenses" / file).is_file(), file
    notice = (tmp_path / "licenses" / "demo-model-NOTICE.txt").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in notice and "Qwen2.5-Coder-0.5B-Instruct" in notice
    assert "no licence file shipped" not in text
    # every licence file named in the index exists (numpy's vendored ones keep their paths)
    for m in re.finditer(r"^numpy (\S+): .*\((.*)\)$", text, re.M):
        first = m.group(2).split(",")[0].strip()
        assert (tmp_path / "licenses" / f"numpy-{m.group(1)}" / first).is_file()


@pytest.mark.skipif(not shutil.which("dpkg") or not shutil.which("readelf"), reason="needs dpkg and binutils")
def test_depends_are_read_off_the_libraries(build, tmp_path):
    tree = tmp_path / "bundle"
    tree.mkdir()
    ls = Path(shutil.which("ls")).resolve()
    shutil.copy2(ls, tree / "ls")
    needed = build._needed(tree / "ls")
    assert "libc.so.6" in needed
    depends, notes = build.compute_depends(tree)
    assert depends[0].startswith("libc6 (>= 2.")
    assert build.FONT_DEPENDS == depends[-1] and "fonts-wqy-microhei" in depends[-1]
    assert {"libgl1", "libegl1", "libxkbcommon-x11-0", "libfontconfig1"} <= set(depends)
    if "libselinux.so.1" not in needed:
        pytest.skip("ls is not linked against libselinux here")
    assert "libselinux1" in depends
    # a library the bundle carries itself is not a dependency
    lib = build._system_libs()["libselinux.so.1"]
    shutil.copy2(Path(lib).resolve(), tree / "libselinux.so.1")
    depends2, _ = build.compute_depends(tree)
    assert "libselinux1" not in depends2 and depends2[0].startswith("libc6 (>=")


def test_unresolvable_core_library_stops_the_build(build, tmp_path, monkeypatch):
    tree = tmp_path / "bundle"
    tree.mkdir()
    shutil.copy2(Path(shutil.which("ls")).resolve(), tree / "ls")
    monkeypatch.setattr(build, "_needed", lambda elf: ["libnot-there.so.9"])
    with pytest.raises(SystemExit, match="libnot-there"):
        build.compute_depends(tree)
    plugin = tree / "_internal" / "PySide6" / "Qt" / "plugins" / "platformthemes"
    plugin.mkdir(parents=True)
    (tree / "ls").rename(plugin / "libqgtk3.so")
    _depends, notes = build.compute_depends(tree)
    assert notes and "optional" in notes[0]


def test_pruning_keeps_the_platforms_the_app_needs():
    common = _load("wc_pyi_common", ROOT / "packaging" / "pyinstaller" / "common.py")
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "x", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "x", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", "x", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "x", "BINARY"),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "x", "BINARY"),
        ("PySide6/Qt/translations/qtbase_zh_CN.qm", "x", "DATA"),
        ("PySide6/Qt/translations/qtbase_de.qm", "x", "DATA"),
        ("jieba/dict.txt", "x", "DATA"),
        ("jieba/lac_small/model.pdparams", "x", "DATA"),
    ]
    kept = {d for d, _s, _k in common.prune(toc)}
    assert kept == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "jieba/dict.txt",
    }
    assert common.version() == __version__
