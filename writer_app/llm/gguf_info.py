"""Read and sanity-check GGUF model files with the ``gguf`` package (no llama.cpp needed).

Every problem becomes a :class:`ModelError` with a one-line message: a missing path, a folder,
an empty or non-GGUF file, a truncated file, or metadata that contradicts the tensors.
"""

from __future__ import annotations

import re
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
    if not path.exists():
        raise ModelError(f"找不到模型文件：{path} (model file not found)")
    if path.is_dir():
        raise ModelError(f"这是一个文件夹，不是 GGUF 模型文件：{path} (a directory, not a GGUF file)")
    try:
        size = path.stat().st_size
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


def _value(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        return field.contents()
    except Exception:
        return None


_QUANT_NAMES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
    12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K",
    19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL",
    26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
}


def read_info(path: Path | str) -> GGUFInfo:
    """Parse metadata and tensor table; verify the file is complete and self-consistent."""
    path = Path(path)
    size = check_file(path)
    from gguf import GGUFReader

    broken = f"GGUF 文件已损坏或不完整：{path.name} (corrupt or truncated GGUF file)"
    try:
        reader = GGUFReader(str(path), "r")
    except Exception as exc:
        raise ModelError(f"{broken}: {type(exc).__name__}") from exc

    arch = _value(reader, "general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelError(f"GGUF 元数据缺少 general.architecture：{path.name} (metadata has no architecture)")
    tensors = reader.tensors
    if not tensors:
        raise ModelError(f"GGUF 文件不含任何张量：{path.name} (no tensors)")
    end = max(int(t.data_offset) + int(t.n_bytes) for t in tensors)
    if end > size:
        raise ModelError(f"{broken}: {end - size} bytes missing")

    def lie(what: str) -> ModelError:
        return ModelError(f"GGUF 元数据与张量不符：{what} ({path.name}: metadata contradicts the tensors)")

    block_count = _value(reader, f"{arch}.block_count")
    blocks = {int(m.group(1)) for t in tensors if (m := re.match(r"blk\.(\d+)\.", t.name))}
    if isinstance(block_count, int) and blocks and (block_count != len(blocks) or max(blocks) != block_count - 1):
        raise lie(f"block_count={block_count}, tensors have {len(blocks)} blocks")
    n_embd = _value(reader, f"{arch}.embedding_length")
    tokens = _value(reader, "tokenizer.ggml.tokens")
    vocab_size = len(tokens) if isinstance(tokens, list) else 0
    embd = next((t for t in tensors if t.name == "token_embd.weight"), None)
    if embd is not None:
        shape = [int(x) for x in embd.shape]
        if isinstance(n_embd, int) and shape and shape[0] != n_embd:
            raise lie(f"embedding_length={n_embd}, token_embd has {shape[0]}")
        if vocab_size and len(shape) > 1 and shape[1] != vocab_size:
            raise lie(f"{vocab_size} tokens, token_embd has {shape[1]} rows")
    ctx = _value(reader, f"{arch}.context_length")
    if ctx is not None and (not isinstance(ctx, int) or ctx <= 0):
        raise lie(f"context_length={ctx!r}")
    file_type = _value(reader, "general.file_type")
    template = _value(reader, "tokenizer.chat_template")
    name = _value(reader, "general.name")
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
        parameters=int(sum(int(t.n_elements) for t in tensors)),
        has_chat_template=isinstance(template, str) and bool(template),
        chat_template=template if isinstance(template, str) else "",
    )
