import pytest

from writer_app.errors import BadInputError
from writer_app.textio import decode_text, read_text_file

TEXT = "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_common_school_encodings_are_read(tmp_path, encoding):
    f = tmp_path / "essay.txt"
    f.write_bytes(TEXT.encode(encoding))
    assert read_text_file(str(f)) == TEXT


def test_windows_line_endings_are_normalised():
    assert decode_text(TEXT.replace("\n", "\r\n").encode("gbk"), "x") == TEXT


@pytest.mark.parametrize("data", [b"\x00\x01\x02PNG\x00" * 50, bytes(range(128, 256)) * 20])
def test_binary_or_undecodable_input_is_refused(data):
    with pytest.raises(BadInputError):
        decode_text(data, "x.bin")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(BadInputError, match="找不到"):
        read_text_file(str(tmp_path / "none.txt"))
    with pytest.raises(BadInputError, match="文件夹"):
        read_text_file(str(tmp_path))
