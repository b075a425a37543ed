"""Smoke tests of the built artifacts. Run with the development venv's Python (it builds the tiny
synthetic GGUF with the ``gguf`` package; nothing is downloaded except Debian packages for ``deb``).

    python packaging/smoke.py bundle [--bundle dist/writer-companion] [--starts 5]
        The bundle: --version matches, the files it must carry are there, no model inside,
        `gui --self-test` opens the main window offscreen and writes a 构思 and a draft with the
        tiny model through the frozen worker, a CLI generation, and (with Xvfb) the real X11
        window with Chinese glyphs. Then cold start, bundle vs source, measured in one run.

    python packaging/smoke.py deb [--deb dist/writer-companion_V_amd64.deb] [--root DIR]
        A bare Debian 12 root (debootstrap --variant=minbase, kept in build/debroot-base.tar for
        the next run), `apt-get install ./writer-companion_*.deb` in it, then the installed app's
        self-test, and its window on the host's Xvfb. Needs root and Debian's mirror.

Each check prints one line; the exit code is 0 only when all pass. Figures go to stdout as JSON
with --json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

FAILED: list[str] = []


def check(ok: bool, what: str, detail: str = "") -> bool:
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        FAILED.append(what)
    return ok


def tiny_model(folder: Path) -> Path:
    from tiny_gguf import build_gguf

    return build_gguf(folder / "tiny.gguf", context_length=8192)


def version() -> str:
    from writer_app import __version__

    return __version__


def run(
    cmd: list[str], env: dict[str, str], timeout: float = 300, **kw: object
) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, **kw)


def tail(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip() and "OpenType" not in ln]
    return " | ".join(lines[-3:])[:400]


class Xvfb:
    """A virtual X server for the real (xcb) window; None-like when Xvfb is missing."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.display = ""

    def __enter__(self) -> Xvfb:
        if shutil.which("Xvfb") is None:
            return self
        for n in range(91, 120):
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
                break
        self.proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                self.display = f":{n}"
                break
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WRITER_APP_", "PYTHON"))}
    env.pop("DISPLAY", None)
    env.update({"WRITER_APP_HOME": str(home), "WRITER_APP_NO_FIRST_RUN": "1", "LANG": "C.UTF-8"}, **extra)
    return env


def cold_starts(cmd: list[str], home: Path, env_extra: dict[str, str], n: int) -> list[float]:
    """Seconds from exec to a usable main window (the app writes the moment to --ready-file)."""
    out = []
    for i in range(n):
        ready = home / f"ready{i}.json"
        env = app_env(home, **env_extra)
        t0 = time.monotonic()
        proc = run([*cmd, "gui", "--ready-file", str(ready), "--quit-when-ready"], env, timeout=120)
        if proc.returncode != 0 or not ready.exists():
            check(False, "cold start", tail(proc))
            return out
        out.append(json.loads(ready.read_text())["monotonic"] - t0)
    return out


# ------------------------------------------------------------------------------------------------
def smoke_bundle(bundle: Path, starts: int) -> dict:
    figures: dict = {}
    exe = bundle / "writer-app"
    if not check(exe.is_file() and os.access(exe, os.X_OK), "bundle executable", str(exe)):
        return figures
    internal = bundle / "_internal"
    must = {
        "Qt xcb platform": "PySide6/Qt/plugins/platforms/libqxcb.so",
        "Qt offscreen platform": "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "Qt wayland platform": "PySide6/Qt/plugins/platforms/libqwayland.so",
        "Qt image formats (svg)": "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "Qt input-method plugins": "PySide6/Qt/plugins/platforminputcontexts",
        "Qt's Chinese translation": "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "llama.cpp library": "llama_cpp/lib/libllama.so",
        "jieba dictionary": "jieba/dict.txt",
        "app translations": "resources/translations/writer_app_en.qm",
        "prompts and rubrics": "resources/prompts/outline.toml",
        "icon": "resources/icons/writer-companion.svg",
        "model catalog": "models/catalog.toml",
    }
    for what, rel in must.items():
        check((internal / rel).exists(), what, rel)
    check((bundle / "licenses" / "THIRD-PARTY-NOTICES.txt").is_file(), "licences collected")
    notices = (
        (bundle / "licenses" / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
        if (bundle / "licenses" / "THIRD-PARTY-NOTICES.txt").is_file()
        else ""
    )
    for name in ("PySide6", "llama_cpp_python", "jieba", "llama.cpp", "Qwen2.5", "Python"):
        check(name.lower() in notices.lower(), f"licence listed: {name}")
    models = [p for p in bundle.rglob("*.gguf")]
    check(not models, "no model in the bundle", ", ".join(map(str, models[:2])))
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file() and not f.is_symlink())
    figures["bundle_mib"] = round(size / 2**20, 1)

    with tempfile.TemporaryDirectory(prefix="wa-smoke-") as tmp:
        tmpd = Path(tmp)
        model = tiny_model(tmpd)
        home = tmpd / "home"
        proc = run([str(exe), "--version"], app_env(home))
        check(
            proc.stdout.strip() == f"writer-app {version()}",
            "--version matches the package",
            proc.stdout.strip(),
        )

        result = tmpd / "selftest.json"
        t0 = time.monotonic()
        proc = run(
            [str(exe), "gui", "--self-test", str(result), "-m", str(model)],
            app_env(home, QT_QPA_PLATFORM="offscreen"),
        )
        info = json.loads(result.read_text()) if result.exists() else {}
        check(
            proc.returncode == 0 and info.get("ok") is True,
            "offscreen window: 构思 + draft with the tiny model (frozen worker)",
            f"exit {proc.returncode}, {info.get('steps')}, {info.get('error') or ''} {tail(proc) if proc.returncode else ''}",
        )
        figures["selftest_s"] = round(time.monotonic() - t0, 2)

        proc = run([str(exe), "generate", "-m", str(model), "--max-tokens", "24", "写一句话"], app_env(home))
        check(
            proc.returncode == 0 and proc.stdout.strip() != "",
            "CLI generation",
            tail(proc) if proc.returncode else "",
        )

        proc = run([str(exe), "models", "info", "/nonexistent.gguf"], app_env(home))
        check(
            proc.returncode != 0
            and "Traceback" not in proc.stderr
            and len(proc.stderr.strip().splitlines()) == 1,
            "bad input is one line",
            proc.stderr.strip()[:200],
        )

        with Xvfb() as x:
            if not x.display:
                print("skip real X11 window: Xvfb is not installed", flush=True)
            else:
                shot = tmpd / "window.png"
                proc = run(
                    [str(exe), "gui", "--screenshot", str(shot), "--quit-when-ready"],
                    app_env(home, DISPLAY=x.display),
                )
                meta = (
                    json.loads(shot.with_suffix(".json").read_text())
                    if shot.with_suffix(".json").exists()
                    else {}
                )
                check(
                    proc.returncode == 0 and shot.exists() and meta.get("draws_sample") is True,
                    "X11 window (xcb plugin) draws Chinese",
                    f"exit {proc.returncode}, font {meta.get('family')} {tail(proc) if proc.returncode else ''}",
                )
                if shot.exists():
                    keep = ROOT / "build" / "smoke-window.png"
                    keep.parent.mkdir(exist_ok=True)
                    shutil.copy2(shot, keep)

        if starts:
            src = [sys.executable, "-m", "writer_app"]
            bundle_s, source_s = [], []
            for _ in range(starts):  # interleaved, so both see the same machine load
                bundle_s += cold_starts([str(exe)], home, {"QT_QPA_PLATFORM": "offscreen"}, 1)
                source_s += cold_starts(
                    src, home, {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}, 1
                )
            if bundle_s and source_s:
                figures["cold_start_bundle_s"] = round(statistics.median(bundle_s), 3)
                figures["cold_start_source_s"] = round(statistics.median(source_s), 3)
                figures["cold_start_ratio"] = round(
                    figures["cold_start_bundle_s"] / figures["cold_start_source_s"], 2
                )
                figures["starts"] = starts
                print(
                    f"cold start to a usable window (median of {starts}): bundle "
                    f"{figures['cold_start_bundle_s']} s, source {figures['cold_start_source_s']} s, "
                    f"ratio {figures['cold_start_ratio']}",
                    flush=True,
                )
    return figures


# ------------------------------------------------------------------------------------------------
def _sh(cmd: list[str], timeout: float = 900, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def debian_root(root: Path, cache: Path) -> float:
    """A bare Debian 12 (minbase) in ``root``; the first debootstrap is cached as a tarball."""
    started = time.monotonic()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    if not cache.exists():
        if shutil.which("debootstrap") is None:
            raise SystemExit("debootstrap is not installed: apt-get install debootstrap")
        tmp = cache.parent / "debroot-tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        p = _sh(
            ["debootstrap", "--variant=minbase", "bookworm", str(tmp), "http://deb.debian.org/debian"],
            timeout=1800,
        )
        if p.returncode != 0:
            raise SystemExit(f"debootstrap failed: {p.stderr.strip().splitlines()[-1:]}")
        (tmp / "etc" / "apt" / "sources.list").write_text(
            "deb http://deb.debian.org/debian bookworm main\n"
            "deb http://deb.debian.org/debian bookworm-updates main\n"
            "deb http://deb.debian.org/debian-security bookworm-security main\n"
        )
        _sh(["tar", "-C", str(tmp), "-cf", str(cache), "."], check=True)
        shutil.rmtree(tmp)
    _sh(["tar", "-C", str(root), "-xf", str(cache)], check=True)
    return time.monotonic() - started


def smoke_deb(deb: Path, root: Path) -> dict:
    figures: dict = {}
    if os.geteuid() != 0:
        raise SystemExit("the .deb smoke test needs root (debootstrap, chroot, mount)")
    if not check(deb.is_file(), ".deb present", str(deb)):
        return figures
    figures["deb_mib"] = round(deb.stat().st_size / 2**20, 1)
    info = _sh(["dpkg-deb", "-f", str(deb), "Version", "Depends"]).stdout
    check(
        f"Version: {version()}" in info,
        ".deb version matches the package",
        info.splitlines()[0] if info else "",
    )
    listing = _sh(["dpkg-deb", "-c", str(deb)]).stdout
    for path in (
        "./usr/bin/writer-app",
        "./usr/share/applications/io.github.writercompanion.WriterCompanion.desktop",
        "./usr/share/metainfo/io.github.writercompanion.WriterCompanion.metainfo.xml",
        "./usr/share/icons/hicolor/48x48/apps/io.github.writercompanion.WriterCompanion.png",
        "./usr/share/icons/hicolor/256x256/apps/io.github.writercompanion.WriterCompanion.png",
        "./usr/share/icons/hicolor/scalable/apps/io.github.writercompanion.WriterCompanion.svg",
        "./opt/writer-companion/writer-app",
        "./opt/writer-companion/licenses/THIRD-PARTY-NOTICES.txt",
    ):
        check(f" {path}" in listing, f".deb carries {path}")
    check(".gguf" not in listing, "no model in the .deb")

    cache = ROOT / "build" / "debroot-base.tar"
    cache.parent.mkdir(exist_ok=True)
    figures["debian_root_s"] = round(debian_root(root, cache), 1)
    mounts: list[Path] = []
    try:
        for src, rel, extra in (
            ("proc", "proc", ["-t", "proc"]),
            ("/dev", "dev", ["--rbind"]),
            ("/sys", "sys", ["--rbind"]),
            ("/tmp/.X11-unix", "tmp/.X11-unix", ["--bind"]),
        ):
            target = root / rel
            target.mkdir(parents=True, exist_ok=True)
            if src.startswith("/") and not Path(src).exists():
                continue
            p = _sh(["mount", *extra, src, str(target)])
            if p.returncode == 0:
                mounts.append(target)
        shutil.copy2("/etc/resolv.conf", root / "etc" / "resolv.conf")
        shutil.copy2(deb, root / "tmp" / deb.name)
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "DEBIAN_FRONTEND": "noninteractive",
            "LANG": "C.UTF-8",
            "HOME": "/root",
        }
        p = _sh(["chroot", str(root), "apt-get", "update", "-qq"], env=env)
        check(p.returncode == 0, "apt-get update in the bare root", p.stderr.strip()[-200:])
        t0 = time.monotonic()
        p = _sh(
            ["chroot", str(root), "apt-get", "install", "-y", "-q", f"/tmp/{deb.name}"], env=env, timeout=1800
        )
        install_s = time.monotonic() - t0
        check(
            p.returncode == 0,
            "apt-get install ./writer-companion_*.deb on bare Debian 12",
            p.stderr.strip()[-300:] if p.returncode else f"{install_s:.1f} s",
        )
        figures["apt_install_s"] = round(install_s, 1)
        added = [ln.split()[1] for ln in p.stdout.splitlines() if ln.startswith("Setting up ")]
        figures["packages_installed"] = len(added)
        if p.returncode != 0:
            return figures

        p = _sh(["chroot", str(root), "writer-app", "--version"], env=env)
        check(
            p.stdout.strip() == f"writer-app {version()}", "installed writer-app --version", p.stdout.strip()
        )
        model = tiny_model(root / "tmp")
        rel_model = "/" + model.relative_to(root).as_posix()
        p = _sh(
            ["chroot", str(root), "writer-app", "gui", "--self-test", "/tmp/selftest.json", "-m", rel_model],
            env={**env, "QT_QPA_PLATFORM": "offscreen", "WRITER_APP_NO_FIRST_RUN": "1"},
            timeout=300,
        )
        res = root / "tmp" / "selftest.json"
        info = json.loads(res.read_text()) if res.exists() else {}
        check(
            p.returncode == 0 and info.get("ok") is True,
            "installed app: window + 构思 + draft (tiny model)",
            f"exit {p.returncode} {info.get('error') or ''} {p.stderr.strip()[-200:] if p.returncode else ''}",
        )
        desktop = root / "usr/share/applications/io.github.writercompanion.WriterCompanion.desktop"
        check(desktop.is_file(), "desktop entry installed")

        with Xvfb() as x:
            if not x.display:
                print("skip window on X11: Xvfb is not installed on the host", flush=True)
            else:
                t0 = time.monotonic()
                p = _sh(
                    [
                        "chroot",
                        str(root),
                        "writer-app",
                        "gui",
                        "--screenshot",
                        "/tmp/window.png",
                        "--quit-when-ready",
                    ],
                    env={**env, "DISPLAY": x.display, "WRITER_APP_NO_FIRST_RUN": "1"},
                    timeout=120,
                )
                window_s = time.monotonic() - t0
                meta_file = root / "tmp" / "window.json"
                meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
                check(
                    p.returncode == 0 and meta.get("draws_sample") is True,
                    "installed app: X11 window with Chinese glyphs",
                    f"font {meta.get('family')}, {window_s:.2f} s {p.stderr.strip()[-200:] if p.returncode else ''}",
                )
                figures["first_window_s"] = round(window_s, 2)
                figures["install_to_window_s"] = round(install_s + window_s, 1)
                if (root / "tmp" / "window.png").exists():
                    shutil.copy2(root / "tmp" / "window.png", ROOT / "build" / "smoke-deb-window.png")
    finally:
        for m in reversed(mounts):
            _sh(["umount", "-l", str(m)])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["bundle", "deb"])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "writer-companion")
    parser.add_argument("--deb", type=Path)
    parser.add_argument("--root", type=Path, default=ROOT / "build" / "debroot")
    parser.add_argument("--starts", type=int, default=5, help="cold starts to time (0: none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "bundle":
        figures = smoke_bundle(args.bundle, args.starts)
    else:
        deb = args.deb or max(
            (ROOT / "dist").glob("writer-companion_*_amd64.deb"),
            default=Path("missing.deb"),
            key=lambda p: p.stat().st_mtime,
        )
        figures = smoke_deb(deb, args.root)
    print(
        json.dumps(figures, ensure_ascii=False)
        if args.json
        else "figures: " + ", ".join(f"{k}={v}" for k, v in figures.items()),
        flush=True,
    )
    if FAILED:
        print(f"{len(FAILED)} check(s) failed: {'; '.join(FAILED)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
