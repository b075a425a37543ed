"""Build Writer Companion's release artifacts. Run through ``bash packaging/build.sh`` (it sets up
the virtual environment with PyInstaller first).

    python packaging/build.py icons     PNG icons at the hicolor sizes, from resources/icons/*.svg
    python packaging/build.py bundle    PyInstaller one-folder bundle: dist/writer-companion/
    python packaging/build.py deb       the .deb from that bundle: dist/writer-companion_V_amd64.deb
    python packaging/build.py all       all three

Each prints what it made, with sizes. Nothing here downloads anything, and no model is bundled.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
BUNDLE = DIST / "writer-companion"
APP_ID = "io.github.writercompanion.WriterCompanion"
PACKAGE = "writer-companion"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Fonts the app can use for Chinese; the first is what apt installs (1.6 MB download).
FONT_DEPENDS = "fonts-wqy-microhei | fonts-noto-cjk | fonts-wqy-zenhei | fonts-arphic-uming"
# Libraries Qt loads at run time by name (dlopen), so no NEEDED entry names them.
DLOPENED = ("libgl1", "libegl1", "libxkbcommon-x11-0", "libfontconfig1")
LICENSE_NAMES = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.I)
SPDX_TEXTS = {"Apache-2.0": "Apache-2.0.txt", "LGPL-3.0": "LGPL-3.0.txt", "GPL-3.0": "GPL-3.0.txt"}


def say(msg: str) -> None:
    print(f"==> {msg}", file=sys.stderr, flush=True)


def version() -> str:
    ns: dict[str, str] = {}
    exec((ROOT / "writer_app" / "__init__.py").read_text(encoding="utf-8"), ns)
    return ns["__version__"]


def release_date(ver: str) -> str:
    """The date of this version's section in CHANGELOG.md; a release needs one."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    m = re.search(rf"^## \[?{re.escape(ver)}\]? - (\d{{4}}-\d{{2}}-\d{{2}})", text, re.M)
    if not m:
        raise SystemExit(f"CHANGELOG.md has no section '## {ver} - YYYY-MM-DD': add one before building")
    return m.group(1)


def mib(path: Path) -> str:
    if path.is_dir():
        total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    else:
        total = path.stat().st_size
    return f"{total / 2**20:.1f} MiB"


# ------------------------------------------------------------------------------------------------
# icons
# ------------------------------------------------------------------------------------------------
def build_icons(out: Path = BUILD / "icons") -> Path:
    """Render the SVG icon at every hicolor size with Qt's SVG renderer (no extra tools)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    svg = ROOT / "resources" / "icons" / "writer-companion.svg"
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    out.mkdir(parents=True, exist_ok=True)
    for size in ICON_SIZES:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        if not img.save(str(out / f"{size}.png")):
            raise SystemExit(f"cannot write {out / f'{size}.png'}")
    shutil.copy2(svg, out / "scalable.svg")
    say(f"icons: {', '.join(map(str, ICON_SIZES))} px in {out}")
    return out


# ------------------------------------------------------------------------------------------------
# licences
# ------------------------------------------------------------------------------------------------
def runtime_distributions(root: str = "writer-companion") -> list[md.Distribution]:
    """The installed distributions the app needs at run time (its requirements, recursively,
    without extras)."""
    seen: dict[str, md.Distribution] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen[key] = dist
        for req in dist.requires or []:
            if "extra ==" in req:
                continue
            marker = req.split(";", 1)[1] if ";" in req else ""
            if marker and not _marker_true(marker):
                continue
            todo.append(re.split(r"[\s<>=!~;\[(]", req, maxsplit=1)[0])
    return [seen[k] for k in sorted(seen)]


def _marker_true(marker: str) -> bool:
    try:
        from packaging.markers import Marker  # pip's vendored copy is not importable; this is optional

        return Marker(marker).evaluate()
    except Exception:
        return "win32" not in marker and "darwin" not in marker


def collect_licenses(dest: Path) -> list[str]:
    """Copy every bundled component's licence into ``dest`` and write an index,
    THIRD-PARTY-NOTICES.txt. Returns the index lines."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    texts = PACKAGING / "licenses"
    lines = [
        f"Writer Companion {version()}: licences of what this package contains",
        "=" * 72,
        "",
        "Writer Companion itself: Apache-2.0 (LICENSE)",
        "",
        "Python packages (the app's declared run-time dependencies, recursively):",
    ]
    shutil.copy2(ROOT / "LICENSE", dest / "LICENSE")
    for name in ("Apache-2.0.txt", "LGPL-3.0.txt", "GPL-3.0.txt"):
        shutil.copy2(texts / name, dest / name)
    for dist in runtime_distributions():
        name = dist.metadata["Name"]
        if name.lower() == "writer-companion":
            continue
        lic = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        lic = lic.strip().splitlines()[0] if lic.strip() else ""
        if not lic or len(lic) > 80:
            classifiers = [
                c.split("::")[-1].strip()
                for c in dist.metadata.get_all("Classifier") or []
                if c.startswith("License ::")
            ]
            lic = "; ".join(classifiers) or lic[:80] or "see files"
        folder = dest / f"{name}-{dist.version}"
        copied = []
        for f in dist.files or []:
            rel = Path(str(f))
            if not LICENSE_NAMES.search(rel.name) or rel.suffix in (".py", ".pyc"):
                continue
            src = Path(str(dist.locate_file(f)))
            if src.is_file():
                # keep the path: numpy's vendored libraries each have a LICENSE.txt of their own
                parts = rel.parts[1:] if rel.parts[0].endswith(".dist-info") else rel.parts
                target = folder.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
                copied.append(target.relative_to(folder).as_posix())
        own = texts / f"{name.lower()}-LICENSE.txt"
        if not copied and own.is_file():  # jieba's wheel ships no licence file
            folder.mkdir(exist_ok=True)
            shutil.copy2(own, folder / "LICENSE.txt")
            copied.append("LICENSE.txt")
        if not copied:  # e.g. PySide6 wheels name their licence only in the metadata
            for spdx, text in SPDX_TEXTS.items():
                if spdx in lic:
                    copied.append(f"../{text}")
        shown = ", ".join(copied[:4]) + (f" and {len(copied) - 4} more" if len(copied) > 4 else "")
        lines.append(f"{name} {dist.version}: {lic} ({shown or 'no licence file shipped'})")
    extras = {
        "llama.cpp.txt": "llama.cpp / ggml (inside llama-cpp-python's shared libraries): MIT",
        "llama.cpp-json.hpp.txt": "nlohmann/json (vendored by llama.cpp): MIT",
        "demo-model-NOTICE.txt": "Demo model Qwen2.5-Coder-0.5B-Instruct (not bundled; downloaded on request): Apache-2.0",
    }
    lines += ["", "Other components:"]
    for file, what in extras.items():
        shutil.copy2(texts / file, dest / file)
        lines.append(f"{what} ({file})")
    py_license = (
        Path(sys.base_prefix)
        / "lib"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
        / "LICENSE.txt"
    )
    if py_license.is_file():
        shutil.copy2(py_license, dest / "Python-LICENSE.txt")
        lines.append(f"Python {sys.version.split()[0]}: PSF-2.0 (Python-LICENSE.txt)")
    lines += [
        "Qt 6 (inside PySide6): LGPL-3.0-only (LGPL-3.0.txt, GPL-3.0.txt); the Qt libraries are",
        "  separate shared libraries under _internal/PySide6/Qt/lib and may be replaced.",
        "Chinese fonts are not bundled: the app uses the system's (the .deb depends on",
        f"  {FONT_DEPENDS}); their licences come with those packages.",
        "Shared system libraries copied by PyInstaller (_internal/lib*.so*) are the Debian 12",
        "  builds; their copyright files are in /usr/share/doc/<package>/copyright on Debian.",
    ]
    (dest / "THIRD-PARTY-NOTICES.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


# ------------------------------------------------------------------------------------------------
# bundle
# ------------------------------------------------------------------------------------------------
def build_bundle() -> Path:
    if not sys.platform.startswith("linux"):
        raise SystemExit("this script builds the Linux bundle; see packaging/README.md for Windows/macOS")
    release_date(version())
    started = time.monotonic()
    say("PyInstaller (about a minute)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(PACKAGING / "pyinstaller" / "linux.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    collect_licenses(BUNDLE / "licenses")
    shutil.copy2(ROOT / "CHANGELOG.md", BUNDLE / "CHANGELOG.md")
    found = list(BUNDLE.rglob("*.gguf"))
    if found:
        raise SystemExit(f"a model got into the bundle: {found[0]}")
    say(f"bundle: {BUNDLE} ({mib(BUNDLE)}, {time.monotonic() - started:.0f} s)")
    return BUNDLE


# ------------------------------------------------------------------------------------------------
# .deb
# ------------------------------------------------------------------------------------------------
def _elf_files(tree: Path) -> list[Path]:
    out = []
    for f in tree.rglob("*"):
        if f.is_file() and not f.is_symlink():
            with f.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(f)
    return out


def _needed(elf: Path) -> list[str]:
    out = subprocess.run(["readelf", "-dW", str(elf)], capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def _glibc_versions(elf: Path) -> list[tuple[int, ...]]:
    out = subprocess.run(["readelf", "-VW", str(elf)], capture_output=True, text=True).stdout
    return [tuple(int(x) for x in v.split(".")) for v in re.findall(r"Name: GLIBC_([0-9.]+)", out)]


def _system_libs() -> dict[str, str]:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    libs: dict[str, str] = {}
    for m in re.finditer(r"^\s*(\S+) \(libc6,x86-64[^)]*\) => (\S+)$", out, re.M):
        libs.setdefault(m.group(1), m.group(2))
    return libs


def _package_of(path: str, cache: dict[str, str | None]) -> str | None:
    if path in cache:
        return cache[path]
    pkg = None
    for candidate in (path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/", 1)):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            pkg = r.stdout.split(":", 1)[0].split(",")[0].strip()
            break
    cache[path] = pkg
    return pkg


def compute_depends(bundle: Path) -> tuple[list[str], list[str]]:
    """Debian packages behind every shared library the bundle needs and does not carry, like
    dpkg-shlibdeps does. Returns (depends, notes). A core library that no package provides
    stops the build; an optional Qt plugin's missing library is only noted (Qt skips the plugin)."""
    have = {f.name for f in bundle.rglob("*")}
    system = _system_libs()
    cache: dict[str, str | None] = {}
    packages: set[str] = set()
    notes: list[str] = []
    glibc: tuple[int, ...] = (2, 17)
    for elf in _elf_files(bundle):
        rel = elf.relative_to(bundle).as_posix()
        optional = "/plugins/" in rel
        for v in _glibc_versions(elf):
            glibc = max(glibc, v)
        for so in _needed(elf):
            if so in have:
                continue
            path = system.get(so)
            pkg = _package_of(path, cache) if path else None
            if pkg is None:
                if optional:
                    notes.append(f"{rel}: {so} not installed here; that plugin is optional")
                    continue
                raise SystemExit(f"{rel} needs {so}, which no installed Debian package provides")
            if pkg not in ("libc6", "libc6-amd64"):
                packages.add(pkg)
    packages.update(DLOPENED)
    depends = [f"libc6 (>= {'.'.join(map(str, glibc))})"] + sorted(packages) + [FONT_DEPENDS]
    return depends, sorted(set(notes))


DESCRIPTION = """\
Offline Chinese creative-writing assistant (写作伴侣)
 Writer Companion helps students draft Gaokao essays, teachers annotate
 outlines and writers keep projects, all on their own computer with no cloud.
 A local GGUF model (llama.cpp) writes an explicit, editable plan (构思) for a
 prompt, drafts the text from it, and critiques drafts with the Gaokao 60-point
 rubric and explainable text metrics. Projects are versioned, searchable,
 annotatable and exportable (Markdown, HTML, Word, PDF).
 .
 No model is included: the first start offers the demo model or a GGUF file."""


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def build_deb(bundle: Path = BUNDLE, compression: str = "xz") -> Path:
    ver = version()
    date = release_date(ver)
    if not (bundle / "writer-app").is_file():
        raise SystemExit(f"no bundle at {bundle}: run `bash packaging/build.sh bundle` first")
    started = time.monotonic()
    icons = build_icons()
    stage = BUILD / "deb" / "root"
    if stage.parent.exists():
        shutil.rmtree(stage.parent)
    opt = stage / "opt" / PACKAGE
    shutil.copytree(bundle, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / "writer-app").symlink_to(f"/opt/{PACKAGE}/writer-app")
    share = stage / "usr" / "share"
    linux = PACKAGING / "linux"
    desktop = (linux / "writer-companion.desktop").read_text(encoding="utf-8")
    _write(share / "applications" / f"{APP_ID}.desktop", desktop)
    meta = (linux / "writer-companion.metainfo.xml").read_text(encoding="utf-8")
    meta = meta.replace("@VERSION@", ver).replace("@DATE@", date)
    _write(share / "metainfo" / f"{APP_ID}.metainfo.xml", meta)
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(icons / f"{size}.png", target)
    scalable = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(icons / "scalable.svg", scalable)
    doc = share / "doc" / PACKAGE
    _write(
        doc / "copyright",
        (
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
            "Upstream-Name: Writer Companion\n\n"
            "Files: *\nLicense: Apache-2.0\n"
            " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n"
            f" The bundled components' licences are in /opt/{PACKAGE}/licenses/\n"
            " (THIRD-PARTY-NOTICES.txt lists them).\n"
        ),
    )
    with gzip.GzipFile(doc / "changelog.gz", "wb", mtime=0) as gz:
        gz.write((ROOT / "CHANGELOG.md").read_bytes())
    (doc / "changelog.gz").chmod(0o644)

    depends, notes = compute_depends(opt)
    for n in notes:
        say(f"note: {n}")
    installed_kib = (
        sum(f.stat().st_size for f in stage.rglob("*") if f.is_file() and not f.is_symlink()) // 1024
    )
    control = (
        f"Package: {PACKAGE}\nVersion: {ver}\nArchitecture: amd64\n"
        "Maintainer: Writer Companion developers <writer-companion@localhost>\n"
        f"Installed-Size: {installed_kib}\nDepends: {', '.join(depends)}\n"
        "Section: education\nPriority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )
    _write(stage / "DEBIAN" / "control", control)
    sums = []
    for f in sorted(stage.rglob("*")):
        if f.is_file() and not f.is_symlink() and "DEBIAN" not in f.relative_to(stage).parts:
            sums.append(f"{hashlib.md5(f.read_bytes()).hexdigest()}  {f.relative_to(stage).as_posix()}")
    _write(stage / "DEBIAN" / "md5sums", "\n".join(sums) + "\n")
    for d in [stage, *(p for p in stage.rglob("*") if p.is_dir())]:
        d.chmod(0o755)
    DIST.mkdir(exist_ok=True)
    out = DIST / f"{PACKAGE}_{ver}_amd64.deb"
    say(f"dpkg-deb ({compression})")
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(stage), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    say(
        f"deb: {out} ({mib(out)}, installed {installed_kib / 1024:.0f} MiB, {time.monotonic() - started:.0f} s)"
    )
    say(f"Depends: {', '.join(depends)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["icons", "bundle", "deb", "all", "licenses"])
    parser.add_argument("--compression", default="xz", choices=["xz", "zstd", "gzip"], help="for the .deb")
    parser.add_argument("--out", type=Path, help="licenses: the folder to write")
    args = parser.parse_args(argv)
    if args.what == "icons":
        build_icons()
    elif args.what == "licenses":
        for line in collect_licenses(args.out or BUILD / "licenses"):
            print(line)
    if args.what in ("bundle", "all"):
        build_bundle()
    if args.what in ("deb", "all"):
        build_deb(compression=args.compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
