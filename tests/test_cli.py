"""The CLI as a user runs it: real subprocesses, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny_gguf import build_gguf

from writer_app import __version__


def run(
    *args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``writer-app ARGS`` in a subprocess; ``env`` adds to (or overrides) this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "writer_app", *args],
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(
    proc: subprocess.CompletedProcess, code: int = 2, *, after_progress: bool = False
) -> str:
    """The failure is exactly one line; with ``after_progress``, progress/status lines may precede it."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.replace("\r", "\n").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("错误 (error)")]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    if not after_progress:
        assert len(lines) == 1, proc.stderr
    return errors[0]


def test_version_matches_the_package():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"writer-app {__version__}"


def test_console_script_is_the_same_entry_point():
    exe = Path(sys.executable).parent / "writer-app"
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    assert proc.stdout.strip() == f"writer-app {__version__}"


def test_models_list_json_shows_the_catalog():
    proc = run("models", "list", "--json")
    rows = json.loads(proc.stdout)
    assert {"demo", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen2.5-1.5b", "qwen2.5-7b"} <= {
        r["name"] for r in rows
    }
    qwen3 = [r for r in rows if r["name"].startswith("qwen3")]
    assert all(r["thinking"] and r["license"] == "Apache-2.0" and r["speed_chars_s"] > 0 for r in qwen3)
    assert sum(r["best_for_machine"] for r in rows) <= 1


def test_models_list_shows_speed_licence_and_the_best_for_this_machine():
    proc = run("models", "list")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "本机 (this machine)" in out and "字/秒" in out and "许可 (licence)" in out
    assert "仅限非商业研究用途" in out  # Qwen2.5-3B's licence, marked


def test_models_add_then_info_by_name(tiny_model):
    assert run("models", "add", str(tiny_model), "--name", "mini").returncode == 0
    info = json.loads(run("models", "info", "mini", "--json").stdout)
    assert (
        info["architecture"] == "llama" and info["context_length"] == 2048 and info["quantization"] == "F32"
    )
    listed = {r["name"]: r for r in json.loads(run("models", "list", "--json").stdout)}
    assert listed["mini"]["installed"]


def test_generate_json(tiny_model):
    proc = run(
        "generate", "--model", str(tiny_model), "--max-tokens", "12", "--seed", "1", "--json", "写一句话"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["finish_reason"] == "length" and out["stats"]["completion_tokens"] == 12


def test_generate_reads_stdin(tiny_model):
    proc = run(
        "generate", "-m", str(tiny_model), "--max-tokens", "5", "--json", "-", input="从标准输入来的题目"
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["stats"]["prompt_tokens"] > 5


def test_generate_streams_text_to_stdout(tiny_model):
    proc = run("generate", "-m", str(tiny_model), "--max-tokens", "20", "--seed", "4", "你好")
    assert proc.returncode == 0 and proc.stdout.strip()
    assert "tok/s" in proc.stderr


def _bad_models(tmp: Path, tiny: Path) -> dict[str, Path]:
    (tmp / "empty.gguf").write_bytes(b"")
    (tmp / "text.gguf").write_text("只是一段文字", encoding="utf-8")
    data = tiny.read_bytes()
    (tmp / "cut.gguf").write_bytes(data[: len(data) // 2])
    return {
        "missing": tmp / "missing.gguf",
        "directory": tmp,
        "empty": tmp / "empty.gguf",
        "text": tmp / "text.gguf",
        "truncated": tmp / "cut.gguf",
        "lying-metadata": build_gguf(tmp / "liar.gguf", claimed_block_count=7),
        "crashes-llama-cpp": build_gguf(tmp / "dup.gguf", duplicate_token=True),
    }


@pytest.mark.parametrize(
    "kind", ["missing", "directory", "empty", "text", "truncated", "lying-metadata", "crashes-llama-cpp"]
)
def test_bad_model_files_give_one_line_and_exit_2(tmp_path, tiny_model, kind):
    model = _bad_models(tmp_path, tiny_model)[kind]
    assert_one_line_error(run("generate", "-m", str(model), "--max-tokens", "3", "你好"))
    if kind != "crashes-llama-cpp":
        assert_one_line_error(run("models", "info", str(model)))


def test_n_ctx_larger_than_the_model_supports(tiny_model):
    line = assert_one_line_error(run("generate", "-m", str(tiny_model), "--n-ctx", "100000", "你好"))
    assert "2048" in line


def test_prompt_longer_than_the_context(tiny_model):
    line = assert_one_line_error(run("generate", "-m", str(tiny_model), "长" * 5000), code=1)
    assert "n_ctx=2048" in line


def test_empty_prompt_and_unknown_model():
    assert_one_line_error(run("generate", "-m", "x.gguf", "   "))
    assert "models pull demo" in assert_one_line_error(run("generate", "-m", "demo", "你好"))


def test_pull_of_unknown_model_or_source_is_one_line():
    assert_one_line_error(run("models", "pull", "no-such"))
    assert_one_line_error(run("models", "pull", "demo", "--source", "nowhere"))


def test_ctrl_c_cancels_generation_cleanly(slow_model):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "writer_app",
            "generate",
            "-m",
            str(slow_model),
            "--max-tokens",
            "100000",
            "你好",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.read(5)  # generation is streaming
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "已取消" in err and "Traceback" not in err


def test_models_use_sets_the_default_for_generate(tiny_model):
    assert run("models", "use", str(tiny_model)).returncode == 0
    proc = run("generate", "--max-tokens", "3", "--json", "你好")
    assert proc.returncode == 0, proc.stderr
    assert "保持" in run("models", "use", "demo", "--if-unset").stdout


def test_models_use_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "x.gguf"
    bad.write_text("nope")
    assert_one_line_error(run("models", "use", str(bad)))


def _catalog_root(tmp_path: Path, base_url: str, sha256: str) -> Path:
    root = tmp_path / "res"
    (root / "models").mkdir(parents=True)
    (root / "models" / "catalog.toml").write_text(
        f"""
[[model]]
name = "local"
title = "Local test model"
description = "a teacher's LAN mirror"
license = "Apache-2.0"
ram_gb = 1.0
files = [{{ name = "local.gguf", size = 0, approx_gb = 0.001, sha256 = "{sha256}" }}]
  [[model.sources]]
  label = "lan"
  kind = "url"
  base_url = "{base_url}/"
""",
        encoding="utf-8",
    )
    return root


def test_pull_checksum_mismatch_is_one_line_and_installs_nothing(tmp_path, tiny_model, monkeypatch, app_home):
    from http_server import FileServer

    with FileServer({"/local.gguf": tiny_model.read_bytes()}) as server:
        monkeypatch.setenv("WRITER_APP_RESOURCES", str(_catalog_root(tmp_path, server.base_url, "ab" * 32)))
        line = assert_one_line_error(run("models", "pull", "local"), code=1, after_progress=True)
    assert "sha256" in line
    assert not (app_home / "models" / "local.gguf").exists()


def test_pull_then_use_a_model_from_a_lan_server(tmp_path, tiny_model, monkeypatch):
    import hashlib

    from http_server import FileServer

    sha = hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    with FileServer({"/local.gguf": tiny_model.read_bytes()}) as server:
        monkeypatch.setenv("WRITER_APP_RESOURCES", str(_catalog_root(tmp_path, server.base_url, sha)))
        assert run("models", "pull", "local").returncode == 0
    proc = run("generate", "-m", "local", "--max-tokens", "3", "--json", "你好")
    assert proc.returncode == 0, proc.stderr


def test_pull_while_offline_is_one_line(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("WRITER_APP_RESOURCES", str(_catalog_root(tmp_path, f"http://127.0.0.1:{port}", "")))
    assert "无法连接" in assert_one_line_error(run("models", "pull", "local"), code=1, after_progress=True)


ANALYZE_KEYS = {
    "chars",
    "han_chars",
    "punctuation",
    "paragraphs",
    "sentences",
    "avg_sentence_chars",
    "words",
    "ttr",
    "mattr",
    "repeated_ngrams",
    "connectives_per_100",
    "idioms",
    "keywords",
    "gaokao_length_ok",
}


def test_analyze_json_keeps_the_contract_keys(tmp_path):
    essay = tmp_path / "essay.txt"
    essay.write_bytes("我的老师笑容可掬。因为下雨，所以我们没有出去。\n第二段。".encode("gbk"))
    proc = run("analyze", "--json", str(essay))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert ANALYZE_KEYS <= set(out)
    assert "笑容可掬" in out["idioms"] and out["paragraphs"] == 2


def test_analyze_reads_stdin_and_prints_a_table():
    proc = run("analyze", "-", input="春天来了，花开了。")
    assert proc.returncode == 0 and "字数" in proc.stdout


@pytest.mark.parametrize("content", [b"", b"   \n  ", b"\x00\x00binary\x00"])
def test_analyze_bad_input_is_one_line(tmp_path, content):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    assert_one_line_error(run("analyze", str(f)))


def test_genres_lists_gaokao_first():
    rows = json.loads(run("genres", "--json").stdout)
    assert rows[0]["name"] == "议论文" and len(rows) == 54
    assert "高考" in run("genres").stdout


def test_generate_reads_a_gbk_prompt_file_and_reports_a_missing_one(tmp_path, tiny_model):
    f = tmp_path / "prompt.txt"
    f.write_bytes("以“坚持”为题写作文".encode("gbk"))
    proc = run("generate", "-m", str(tiny_model), "--max-tokens", "3", "--json", f"@{f}")
    assert proc.returncode == 0 and json.loads(proc.stdout)["stats"]["prompt_tokens"] > 5
    assert "找不到" in assert_one_line_error(
        run("generate", "-m", str(tiny_model), f"@{tmp_path / 'none.txt'}")
    )


def test_about_names_the_version_and_gpu_offload():
    proc = run("about", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["version"] == __version__ and info["bundle"] is False
    assert isinstance(info["gpu_offload"], bool) and "CPU" in info["system_info"]
    text = run("about")
    assert "GPU" in text.stdout and __version__ in text.stdout


def test_version_is_the_installed_distributions():
    import importlib.metadata

    assert importlib.metadata.version("writer-companion") == __version__
