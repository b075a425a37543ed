"""`writer-app gui --self-test`: the installation check the packaged app's smoke test runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tiny_gguf import build_gguf


def test_self_test_writes_a_thought_and_a_draft_in_a_throwaway_folder(tmp_path, app_home):
    model = build_gguf(tmp_path / "tiny8k.gguf", context_length=8192)
    result = tmp_path / "result.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "writer_app", "gui", "--self-test", str(result), "-m", str(model)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(result.read_text(encoding="utf-8"))
    assert info["ok"] is True and info["platform"] == "offscreen"
    assert [(s["kind"], s["reason"]) for s in info["steps"]] == [("outline", "stop"), ("draft", "stop")]
    assert info["draft_chars"] > 0 and "自检通过" in proc.stdout
    assert not (app_home / "writer.db").exists()  # the user's library is not touched


def test_self_test_failure_is_one_line_and_exit_1(tmp_path):
    model = build_gguf(tmp_path / "tiny.gguf", context_length=512)  # too small for the prompts
    result = tmp_path / "result.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "writer_app", "gui", "--self-test", str(result), "-m", str(model)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 1
    failed = [ln for ln in proc.stderr.splitlines() if "自检失败" in ln]
    assert len(failed) == 1 and "Traceback" not in proc.stderr
    assert json.loads(result.read_text(encoding="utf-8"))["ok"] is False


def test_self_test_without_a_model_is_one_line(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "writer_app", "gui", "--self-test", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_gui_model_flag_without_self_test_is_refused(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "writer_app", "gui", "-m", "x.gguf"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert (
        proc.returncode != 0 and "--self-test" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    )
