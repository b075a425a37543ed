"""Classroom mode from the command line: server test|use|local|key and --server/--local, against
llama-cpp-python's real OpenAI-compatible server with the tiny model."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
from openai_stub import LlamaServer, free_port
from test_cli import assert_one_line_error, run

TESTS = Path(__file__).parent
# a keyring backend the CLI subprocess can import (tests/file_keyring.py)
TEST_PATH = {"PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def server(tiny_model: Path):
    srv = LlamaServer(tiny_model)
    yield srv
    srv.stop()


def settings_of(home: Path) -> dict:
    return tomllib.loads((home / "settings.toml").read_text(encoding="utf-8"))


def test_server_test_lists_models_and_the_json_mode(server):
    proc = run("server", "test", server.url.removesuffix("/v1"), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["models"] == ["tiny"] and info["model"] == "tiny"
    assert info["structured_output"] == "json_object" and info["url"] == server.url


def test_use_switches_to_the_server_until_local(server, app_home):
    proc = run("server", "use", server.url)
    assert proc.returncode == 0, proc.stderr
    assert "发送到" in proc.stdout and "json_object" in proc.stdout
    engine = settings_of(app_home)["engine"]
    assert engine["backend"] == "server" and engine["server"]["url"] == server.url

    proc = run("generate", "你好", "--max-tokens", "6")  # no --server: the settings say so
    assert proc.returncode == 0, proc.stderr
    assert f"发送到服务器 {server.url}" in proc.stderr and proc.stdout.strip()

    proc = run("generate", "你好", "--threads", "2")
    assert "只用于本机模型" in assert_one_line_error(proc, after_progress=True)

    proc = run("server", "local")
    assert proc.returncode == 0 and settings_of(app_home)["engine"]["backend"] == "local"
    proc = run("generate", "你好", "--max-tokens", "4")  # no local model installed: never the server
    assert "发送到" not in proc.stderr and proc.returncode == 2


def test_server_mode_without_a_url_says_what_to_do(app_home):
    app_home.mkdir(parents=True, exist_ok=True)
    (app_home / "settings.toml").write_text('[engine]\nbackend = "server"\n', encoding="utf-8")
    proc = run("generate", "你好")
    assert "writer-app server use URL" in assert_one_line_error(proc)


def test_a_server_that_is_down_is_one_line_after_the_notice():
    proc = run("generate", "--server", f"127.0.0.1:{free_port()}", "你好")
    assert "连接被拒绝" in assert_one_line_error(proc, code=1, after_progress=True)
    proc = run("outline", "--server", "ftp://school/v1", "题目：坚持")
    assert "http://" in assert_one_line_error(proc)


def test_outline_and_draft_through_the_server_into_a_project(server, tmp_path, small_resources):
    proc = run("project", "new", "课堂", "--query", "以“坚持”为题写一篇议论文", "--json")
    assert proc.returncode == 0, proc.stderr
    pid = str(json.loads(proc.stdout)["id"])
    proc = run("outline", "--server", server.url, "--project", pid, "--no-exemplar", "--seed", "2")
    assert proc.returncode == 0, proc.stderr
    # the 构思 is asked as plain questions, one per section: no JSON mode is needed from the server
    assert "构思中" in proc.stderr and "结构化输出方式" not in proc.stderr
    proc = run("draft", "--server", server.url, "--project", pid, "--length", "60", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    proc = run("project", "show", pid, "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["thought"].strip() and shown["answer"].strip()


def test_the_key_lives_in_the_keyring_and_reaches_the_server(tiny_model, tmp_path, app_home):
    srv = LlamaServer(tiny_model, api_key="k-7b-class")
    try:
        ring = tmp_path / "ring.json"
        env = {
            **TEST_PATH,
            "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring",
            "TEST_KEYRING_FILE": str(ring),
        }
        proc = run("server", "test", srv.url, env=env)
        assert "HTTP 401" in assert_one_line_error(proc, code=1, after_progress=True)
        proc = run("server", "key", srv.url, env=env, input="k-7b-class\n")
        assert proc.returncode == 0, proc.stderr
        assert "k-7b-class" in ring.read_text()
        proc = run("server", "use", srv.url, env=env)
        assert proc.returncode == 0, proc.stderr
        proc = run("generate", "你好", "--max-tokens", "4", env=env)
        assert proc.returncode == 0, proc.stderr
        for f in app_home.rglob("*"):  # settings, database, logs: never the key
            if f.is_file():
                assert b"k-7b-class" not in f.read_bytes(), f
        proc = run("server", "key", "--delete", env=env)
        assert proc.returncode == 0 and "k-7b-class" not in ring.read_text()
    finally:
        srv.stop()


def test_without_a_keyring_the_key_command_says_so(server):
    proc = run(
        "server",
        "key",
        server.url,
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        input="x\n",
    )
    assert "WRITER_APP_API_KEY" in assert_one_line_error(proc, code=1)
