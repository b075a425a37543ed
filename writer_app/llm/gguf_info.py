"""Read and sanity-check GGUF model files without llama.cpp.

The header is walked in an mmap, skipping the big vocab arrays, so a 5 GB model's metadata
reads in milliseconds. Tensor sizes come from the ``gguf`` package's quantization table.

Every problem becomes a :class:`ModelError` with a one-line message: a missing path, a folder,
an empty or non-GGUF file, a truncated file, or metadata that contradicts the tensors.
"""

from __future__ import annotations

import mmap
import re
import stat
import struct
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import ModelError

GGUF_MAGIC = b"GGUF"


@dataclass
class GGUFInfo:
    path: str
    size_bytes: int
    architecture: str
    name: str
    context_length: int
    quantization: str
    block_count: int
    embedding_length: int
    vocab_size: int
    tensor_count: int
    parameters: int
    has_chat_template: bool
    chat_template: str

    def to_dict(self, with_template: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_template:
            d.pop("chat_template")
        return d


def check_file(path: Path) -> int:
    """Cheap checks before anything heavier: exists, is a file, not empty, GGUF magic. Returns size."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ModelError(f"找不到模型文件：{path} (model file not found)") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"无法读取模型文件：{path} (cannot read the model file: {exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ModelError(f"这是一个文件夹，不是 GGUF 模型文件：{path} (a directory, not a GGUF file)")
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block open(), a device be read forever
        raise ModelError(f"这不是普通文件，不是 GGUF 模型文件：{path} (not a regular file)")
    try:
        size = st.st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ModelError(f"无法读取模型文件：{path}：{exc.strerror} (cannot read the model file)") from exc
    if size == 0:
        raise ModelError(f"模型文件是空的：{path} (the model file is empty)")
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"不是 GGUF 模型文件：{path.name} (not a GGUF file: wrong magic bytes)")
    if len(head) < 8:
        raise ModelError(f"GGUF 文件不完整：{path.name} (truncated GGUF header)")
    return size


class _Corrupt(Exception):
    pass


@dataclass
class _Tensor:
    name: str
    shape: list[int]
    ggml_type: int
    offset: int  # relative to the data section

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_MAX_COUNT = 1 << 24  # no real file has more keys, tensors or array items than this


class _HeaderReader:
    """Walks a GGUF header in an mmap without materialising big arrays (vocab, merges)."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.pos = 0

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self, keep: bool = True) -> str:
        n = self.scalar("<Q")
        if n > len(self.buf) - self.pos:
            raise _Corrupt("string runs past the end of the file")
        start = self.pos
        self.pos += n
        return bytes(self.buf[start : self.pos]).decode("utf-8", "replace") if keep else ""

    def value(self, vtype: int) -> Any:
        if vtype in _SCALARS:
            return self.scalar(_SCALARS[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype == _ARRAY:
            itype = self.scalar("<I")
            count = self.scalar("<Q")
            if count > _MAX_COUNT:
                raise _Corrupt(f"array of {count} items")
            if itype in _SCALARS:
                size = struct.calcsize(_SCALARS[itype])
                if count <= 64:
                    items = list(struct.unpack_from(f"<{count}{_SCALARS[itype][1]}", self.buf, self.pos))
                    self.pos += size * count
                    return items
                self.pos += size * count
                return _ArrayLen(count)
            if itype == _STRING:
                for _ in range(count):
                    self.string(keep=False)
                return _ArrayLen(count)
            if itype == _ARRAY:
                raise _Corrupt("nested arrays are not supported")
            raise _Corrupt(f"unknown array item type {itype}")
        raise _Corrupt(f"unknown value type {vtype}")


class _ArrayLen(int):
    """A big array we skipped: only its length is kept."""


def _parse(path: Path, size: int) -> tuple[dict[str, Any], list[_Tensor], int]:
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        r = _HeaderReader(buf)
        if bytes(buf[:4]) != GGUF_MAGIC:
            raise _Corrupt("bad magic")
        r.pos = 4
        version = r.scalar("<I")
        if version not in (2, 3):
            raise _Corrupt(f"unsupported GGUF version {version}")
        n_tensors = r.scalar("<Q")
        n_kv = r.scalar("<Q")
        if n_tensors > _MAX_COUNT or n_kv > _MAX_COUNT:
            raise _Corrupt("implausible counts")
        meta: dict[str, Any] = {}
        for _ in range(n_kv):
            key = r.string()
            meta[key] = r.value(r.scalar("<I"))
        tensors = []
        for _ in range(n_tensors):
            name = r.string()
            n_dims = r.scalar("<I")
            if n_dims > 8:
                raise _Corrupt(f"tensor {name} has {n_dims} dims")
            shape = [r.scalar("<Q") for _ in range(n_dims)]
            tensors.append(_Tensor(name, shape, r.scalar("<I"), r.scalar("<Q")))
        align = meta.get("general.alignment", 32)
        if not isinstance(align, int) or align <= 0:
            raise _Corrupt("bad alignment")
        data_start = -(-r.pos // align) * align
        return meta, tensors, data_start


def _tensor_bytes(t: _Tensor) -> int:
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.ggml_type)]
    except (ValueError, KeyError):
        raise _Corrupt(f"tensor {t.name} has unknown type {t.ggml_type}") from None
    return t.n_elements // block * type_size


_QUANT_NAMES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
}


def read_info(path: Path | str) -> GGUFInfo:
    """Parse metadata and tensor table; verify the file is complete and self-consistent."""
    path = Path(path)
    size = check_file(path)
    broken = f"GGUF 文件已损坏或不完整：{path.name} (corrupt or truncated GGUF file)"
    try:
        meta, tensors, data_start = _parse(path, size)
        end = max((data_start + t.offset + _tensor_bytes(t) for t in tensors), default=0)
    except (_Corrupt, struct.error, IndexError, OverflowError, ValueError) as exc:
        raise ModelError(f"{broken}: {exc}") from None
    except OSError as exc:
        raise ModelError(f"无法读取模型文件：{path}：{exc.strerror} (cannot read the model file)") from None

    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelError(f"GGUF 元数据缺少 general.architecture：{path.name} (metadata has no architecture)")
    if not tensors:
        raise ModelError(f"GGUF 文件不含任何张量：{path.name} (no tensors)")
    if end > size:
        raise ModelError(f"{broken}: {end - size} bytes missing")

    def lie(what: str) -> ModelError:
        return ModelError(f"GGUF 元数据与张量不符：{what} ({path.name}: metadata contradicts the tensors)")

    block_count = meta.get(f"{arch}.block_count")
    blocks = {int(m.group(1)) for t in tensors if (m := re.match(r"blk\.(\d+)\.", t.name))}
    if (
        isinstance(block_count, int)
        and blocks
        and (block_count != len(blocks) or max(blocks) != block_count - 1)
    ):
        raise lie(f"block_count={block_count}, tensors have {len(blocks)} blocks")
    n_embd = meta.get(f"{arch}.embedding_length")
    tokens = meta.get("tokenizer.ggml.tokens")
    vocab_size = (
        int(tokens) if isinstance(tokens, _ArrayLen) else len(tokens) if isinstance(tokens, list) else 0
    )
    embd = next((t for t in tensors if t.name == "token_embd.weight"), None)
    if embd is not None:
        shape = embd.shape
        if isinstance(n_embd, int) and shape and shape[0] != n_embd:
            raise lie(f"embedding_length={n_embd}, token_embd has {shape[0]}")
        if vocab_size and len(shape) > 1 and shape[1] != vocab_size:
            raise lie(f"{vocab_size} tokens, token_embd has {shape[1]} rows")
    ctx = meta.get(f"{arch}.context_length")
    if ctx is not None and (not isinstance(ctx, int) or ctx <= 0):
        raise lie(f"context_length={ctx!r}")
    file_type = meta.get("general.file_type")
    template = meta.get("tokenizer.chat_template")
    name = meta.get("general.name")
    return GGUFInfo(
        path=str(path),
        size_bytes=size,
        architecture=arch,
        name=name if isinstance(name, str) else path.stem,
        context_length=int(ctx) if isinstance(ctx, int) else 0,
        quantization=_QUANT_NAMES.get(file_type, str(file_type)) if isinstance(file_type, int) else "unknown",
        block_count=int(block_count) if isinstance(block_count, int) else len(blocks),
        embedding_length=int(n_embd) if isinstance(n_embd, int) else 0,
        vocab_size=vocab_size,
        tensor_count=len(tensors),
        parameters=sum(t.n_elements for t in tensors),
        has_chat_template=isinstance(template, str) and bool(template),
        chat_template=template if isinstance(template, str) else "",
    )
