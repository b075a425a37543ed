from pathlib import Path

import pytest
from tiny_gguf import build_gguf

from writer_app.errors import ModelError
from writer_app.llm.gguf_info import read_info


def test_reads_metadata_of_a_real_gguf(tiny_model):
    info = read_info(tiny_model)
    assert info.architecture == "llama"
    assert info.name == "tiny-test"
    assert info.context_length == 2048
    assert info.quantization == "F32"
    assert info.block_count == 2 and info.embedding_length == 64
    assert info.vocab_size > 500
    assert info.has_chat_template and "messages" in info.chat_template
    assert info.parameters > 100_000


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: d / "missing.gguf", "找不到"),
        (lambda d: d, "文件夹"),
        (lambda d: _write(d / "empty.gguf", b""), "空"),
        (lambda d: _write(d / "notes.gguf", "这不是模型，只是一段文字。".encode()), "不是 GGUF"),
        (lambda d: _write(d / "short.gguf", b"GGU"), "不是 GGUF"),
    ],
)
def test_bad_paths_give_one_line_messages(tmp_path, make, expected):
    with pytest.raises(ModelError) as err:
        read_info(make(tmp_path))
    assert expected in str(err.value) and "\n" not in str(err.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.95])
def test_truncated_gguf_is_reported_as_corrupt(tmp_path, tiny_model, fraction):
    data = tiny_model.read_bytes()
    cut = _write(tmp_path / "cut.gguf", data[: int(len(data) * fraction)])
    with pytest.raises(ModelError, match="损坏或不完整"):
        read_info(cut)


def test_metadata_that_contradicts_the_tensors_is_caught(tmp_path):
    liar = build_gguf(tmp_path / "liar.gguf", claimed_block_count=5)
    with pytest.raises(ModelError, match="元数据与张量不符"):
        read_info(liar)


def test_garbage_after_magic_is_corrupt_not_a_crash(tmp_path):
    bad = _write(tmp_path / "garbage.gguf", b"GGUF" + bytes([3, 0, 0, 0]) + b"\xff" * 64)
    with pytest.raises(ModelError, match="损坏或不完整"):
        read_info(bad)
