"""Files the user names, read and written at the boundary, where nothing is trusted.

Reading: only regular files (or stdin) are read as data, checked with ``stat`` before ``open``, so a
FIFO never blocks and ``/dev/zero`` is never read forever; every read is bounded. Text is UTF-8
(with or without BOM), UTF-16 with a BOM, or GB18030/GBK, common in Chinese schools.

Writing: only a regular file the user named, or a new one, is written, atomically, keeping the
old file's mode (a new file gets the umask's). A device, FIFO or socket is refused, so an export
aimed at ``/dev/full`` cannot replace the device node; a symlink is written through to its target
only when the user asked for that.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import sys
from pathlib import Path
from typing import IO

from writer_app.errors import BadInputError

MAX_TEXT_BYTES = 20 * 1024 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


def bad_unicode(text: str) -> bool:
    """True when ``text`` holds a lone surrogate (JSON's ``"\\ud800"``, an undecodable argv byte):
    such a string cannot be stored or printed as UTF-8, so it is refused where it comes in."""
    return _SURROGATE.search(text) is not None


def decode_text(data: bytes, name: str) -> str:
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[2:].decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError:
                raise BadInputError(f"{name} 不是完整的 UTF-16 文本 (damaged UTF-16 text)") from None
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{name} 看起来是二进制文件，不是文本 (looks like a binary file, not text)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
        if controls > max(2, len(text) // 100):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise BadInputError(
        f"{name} 的编码无法识别，请另存为 UTF-8 或 GBK 文本 (cannot decode: save it as UTF-8 or GBK text)"
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "管道 (a FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备 (a device)"
    if stat.S_ISSOCK(mode):
        return "套接字 (a socket)"
    return "特殊文件 (a special file)"


def check_regular(path: Path) -> os.stat_result:
    """``stat`` of the regular file ``path`` (symlinks followed); a one-line BadInputError otherwise."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise BadInputError(f"找不到文件 {path} (file not found)") from None
    except PermissionError:
        raise BadInputError(f"没有权限读取 {path} (permission denied)") from None
    except (OSError, ValueError) as exc:
        raise BadInputError(
            f"无法读取 {path}：{getattr(exc, 'strerror', None) or exc} (cannot read)"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInputError(f"{path} 是文件夹 (is a directory)")
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"{path} 是{_kind(st.st_mode)}，不是普通文件，不会读取 (not a regular file)")
    return st


def open_binary(path: Path) -> IO[bytes]:
    """Open a regular file the user named for reading; a one-line BadInputError when that fails.

    A FIFO, device or socket is refused before ``open`` (opening a FIFO blocks until a writer comes).
    """
    check_regular(path)
    try:
        fh = path.open("rb")
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # swapped between stat and open
            fh.close()
            raise BadInputError(f"{path} 不是普通文件 (not a regular file)")
        return fh
    except FileNotFoundError:
        raise BadInputError(f"找不到文件 {path} (file not found)") from None
    except IsADirectoryError:
        raise BadInputError(f"{path} 是文件夹 (is a directory)") from None
    except PermissionError:
        raise BadInputError(f"没有权限读取 {path} (permission denied)") from None
    except OSError as exc:
        raise BadInputError(f"无法读取 {path}：{exc.strerror} (cannot read)") from None


def read_text_file(arg: str) -> str:
    """``-`` reads stdin; anything else is a path. Raises BadInputError with a one-line reason."""
    if arg == "-":
        return decode_text(sys.stdin.buffer.read(MAX_TEXT_BYTES + 1), "标准输入 (stdin)")
    return read_text_path(Path(arg))


def read_text_path(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The text of the regular file ``path`` (at most ``limit`` bytes); one-line BadInputError."""
    with open_binary(path) as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise BadInputError(f"无法读取 {path}：{exc.strerror or exc} (cannot read)") from None
    if len(data) > limit:
        size = f"{limit // 1024 // 1024} MB" if limit >= 1 << 20 else f"{limit // 1024} KiB"
        raise BadInputError(f"{path} 太大（超过 {size}）(file too large)")
    return decode_text(data, path.name)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
def write_user_file(path: Path, data: bytes, *, follow_symlinks: bool = False) -> Path:
    """Write ``data`` to the file the user named; returns the path really written.

    Atomic: a temp file in the same folder, fsync, rename. An existing regular file keeps its mode;
    a new file gets ``0666 & ~umask``. Devices, FIFOs, sockets and folders are refused, and so is a
    symlink unless ``follow_symlinks`` (then its target is written, by the same rules).
    """
    for _ in range(40):  # a chain of symlinks, bounded
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise BadInputError(f"无法写入 {path}：{exc.strerror} (cannot write)") from None
        if st is None or not stat.S_ISLNK(st.st_mode):
            break
        if not follow_symlinks:
            raise BadInputError(
                f"{path} 是符号链接，未写入；确需写到它指向的文件请加 --follow-symlinks"
                " (is a symlink; nothing written, add --follow-symlinks to write to its target)"
            )
        target = Path(os.readlink(path))
        path = target if target.is_absolute() else path.parent / target
    else:
        raise BadInputError(f"{path} 的符号链接层数过多 (too many levels of symlinks)")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise BadInputError(f"{path} 是文件夹；请给出文件名 (is a folder; give a file name)")
        raise BadInputError(
            f"{path} 是{_kind(st.st_mode)}，不是普通文件，未写入 (not a regular file; nothing written)"
        )
    try:  # an existing file keeps its mode; a new one gets the umask's, from the kernel
        atomic_replace(path, data, stat.S_IMODE(st.st_mode) if st is not None else None)
    except OSError as exc:
        raise _write_error(path, exc) from None
    return path


def atomic_replace(path: Path, data: bytes, mode: int | None) -> None:
    """Write a temp file beside ``path`` with ``mode`` (None: ``0666`` less the umask, as any new
    file), fsync, rename over ``path``. On any error the temp file is removed and ``path`` is as it
    was; OSError is raised for the caller to word."""
    tmp = path.parent / f".{path.name[:200]}.{secrets.token_hex(4)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_error(path: Path, exc: OSError) -> BadInputError:
    if exc.errno == 28:
        return BadInputError(f"磁盘已满，未能写入 {path} (disk full; nothing was written)")
    return BadInputError(f"无法写入 {path}：{exc.strerror} (cannot write)")
