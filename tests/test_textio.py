import os
import stat
import threading

import pytest

from writer_app.errors import BadInputError
from writer_app.textio import decode_text, open_binary, read_text_file, write_user_file

TEXT = "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
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


# ---------------------------------------------------------------------------------------------
# special files are never read as data, never replaced by a write
# ---------------------------------------------------------------------------------------------
def _fifo(tmp_path):
    f = tmp_path / "pipe"
    os.mkfifo(f)
    return f


def _within(seconds, fn):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not return in time."""
    out: list = []

    def run():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out.append(exc)
        else:
            out.append(None)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert out, f"did not return within {seconds} s"
    return out[0]


def test_a_fifo_is_refused_before_open_instead_of_blocking(tmp_path):
    fifo = _fifo(tmp_path)
    err = _within(5, lambda: read_text_file(str(fifo)))
    assert isinstance(err, BadInputError) and "管道" in str(err)
    err = _within(5, lambda: open_binary(fifo))
    assert isinstance(err, BadInputError)


def test_dev_zero_is_refused_not_read_forever():
    err = _within(5, lambda: read_text_file("/dev/zero"))
    assert isinstance(err, BadInputError) and "设备" in str(err)


def test_write_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path):
    fifo = _fifo(tmp_path)
    with pytest.raises(BadInputError, match="不是普通文件"):
        write_user_file(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no temp file left behind


def test_write_refuses_a_device_node(tmp_path):
    dev = tmp_path / "null"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    before = os.lstat(dev)
    with pytest.raises(BadInputError, match="设备"):
        write_user_file(dev, b"x")
    after = os.lstat(dev)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    full = os.lstat("/dev/full")  # the probe destroyed it once; the guard runs before any write
    assert stat.S_ISCHR(full.st_mode)


def test_write_refuses_a_symlink_unless_asked_then_writes_its_target(tmp_path):
    target = tmp_path / "real.md"
    target.write_bytes(b"old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    with pytest.raises(BadInputError, match="符号链接"):
        write_user_file(link, b"new")
    assert target.read_bytes() == b"old" and link.is_symlink()
    assert write_user_file(link, b"new", follow_symlinks=True) == target
    assert target.read_bytes() == b"new" and link.is_symlink()


def test_a_symlink_to_a_device_is_refused_even_when_following(tmp_path):
    fifo = _fifo(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    with pytest.raises(BadInputError, match="不是普通文件"):
        write_user_file(link, b"x", follow_symlinks=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_overwrite_keeps_the_mode_and_a_new_file_follows_the_umask(tmp_path):
    old = tmp_path / "old.md"
    old.write_bytes(b"a")
    old.chmod(0o644)
    write_user_file(old, b"b")
    assert stat.S_IMODE(old.stat().st_mode) == 0o644 and old.read_bytes() == b"b"
    mask = os.umask(0o027)
    try:
        new = write_user_file(tmp_path / "new.md", b"c")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
