"""Hostile and careless input at the command line: one clear line, nothing outside the named file
touched, nothing hangs (each case has a timeout far below what a hang would take)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from test_cli import assert_one_line_error, run


def _project(title="雨中的路"):
    proc = run("project", "new", title, "--json")
    assert proc.returncode == 0, proc.stderr
    return str(__import__("json").loads(proc.stdout)["id"])


def test_export_refuses_a_fifo_a_symlink_and_keeps_the_folder_as_it_was(tmp_path):
    pid = _project()
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "pipe.md"
    os.mkfifo(fifo)
    target = out / "real.md"
    target.write_text("原有内容", encoding="utf-8")
    target.chmod(0o644)
    link = out / "link.md"
    link.symlink_to(target)
    before = sorted(p.name for p in out.iterdir())
    err = assert_one_line_error(run("export", pid, "-f", "md", "-o", str(fifo), timeout=30))
    assert "不是普通文件" in err and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    err = assert_one_line_error(run("export", pid, "-f", "md", "-o", str(link), timeout=30))
    assert "符号链接" in err and target.read_text(encoding="utf-8") == "原有内容"
    assert sorted(p.name for p in out.iterdir()) == before  # no temp file, no replaced node
    proc = run("export", pid, "-f", "md", "-o", str(link), "--follow-symlinks", timeout=30)
    assert proc.returncode == 0 and link.is_symlink() and "雨中的路" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # the mode of the file it overwrote


@pytest.mark.parametrize(
    "args",
    [
        ("project", "show", "99999999999999999999"),
        ("project", "rm", "99999999999999999999"),
        ("export", "99999999999999999999", "-f", "md"),
        ("search", "坚持", "--limit", "99999999999999999999"),
        ("project", "list", "--limit", "-1"),
    ],
)
def test_huge_or_negative_numbers_are_one_line(args):
    err = assert_one_line_error(
        run(*args, timeout=30), code=1 if args[0] != "search" and "--limit" not in args else 2
    )
    assert "内部错误" not in err


def test_a_word_that_starts_with_a_dash_is_searched_not_taken_as_an_option():
    _project("坚持的意义")
    proc = run("search", "-坚持", timeout=30)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr


def test_an_undecodable_argument_is_refused_and_nothing_is_stored(tmp_path):
    code = (
        "import sys, os; from writer_app.cli import main;"
        "sys.exit(main(['project', 'new', os.fsdecode(b'\\xff\\xfe')]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    err = assert_one_line_error(proc)
    assert "UTF-8" in err
    assert (
        "（没有项目" in run("project", "list").stdout
        or run("project", "list", "--json").stdout.strip() == "[]"
    )


def test_special_files_given_as_input_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    for args in (
        ("import", str(fifo)),
        ("analyze", str(fifo)),
        ("project", "new", "管道", "--answer", str(fifo)),
        ("models", "add", str(fifo)),
        ("analyze", "/dev/zero"),
        ("import", "/dev/zero"),
    ):
        err = assert_one_line_error(run(*args, timeout=30))
        assert "普通文件" in err or "设备" in err or "管道" in err, (args, err)


def test_a_corrupt_models_list_is_one_line(app_home):
    app_home.mkdir(parents=True, exist_ok=True)
    (app_home / "models.toml").write_text('models = "abc"\n', encoding="utf-8")
    err = assert_one_line_error(run("models", "list", timeout=30), code=1)
    assert "models" in err and "内部错误" not in err


def test_control_sequences_in_stored_text_are_shown_escaped(tmp_path):
    title = "坏\x1b]0;pwned\x07标题"
    proc = run("project", "new", title, "--json")
    assert proc.returncode == 0, proc.stderr
    f = tmp_path / "x.jsonl"
    f.write_text('{"query": "标题\\u0000题目", "answer": "标题\\u001b[31m红字"}\n', encoding="utf-8")
    assert run("import", str(f)).returncode == 0
    for args in (("project", "list"), ("project", "show", "1"), ("search", "标题")):
        out = run(*args, timeout=30)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "\x00" not in out.stdout
        assert "\\u001b]0;pwned\\u0007" in out.stdout, (args, out.stdout)
