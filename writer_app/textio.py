"""Reading user text files: UTF-8 (with or without BOM) or GB18030/GBK, common in Chinese schools."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from writer_app.errors import BadInputError

MAX_TEXT_BYTES = 20 * 1024 * 1024


def decode_text(data: bytes, name: str) -> str:
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


def open_binary(path: Path) -> IO[bytes]:
    """Open a file the user named for reading; a one-line BadInputError when that fails."""
    try:
        return path.open("rb")
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
    path = Path(arg)
    if path.is_dir():  # opening a folder does not fail everywhere
        raise BadInputError(f"{path} 是文件夹 (is a directory)")
    with open_binary(path) as fh:
        try:
            data = fh.read(MAX_TEXT_BYTES + 1)
        except OSError as exc:
            raise BadInputError(f"无法读取 {path}：{exc.strerror} (cannot read)") from None
    if len(data) > MAX_TEXT_BYTES:
        raise BadInputError(f"{path} 太大（超过 20 MB）(file too large)")
    return decode_text(data, path.name)
