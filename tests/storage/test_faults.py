"""Faults: kill -9 in the middle of writes, a read-only data folder, a full disk.

Kill tests run the work in a child process (fault_worker.py) and SIGKILL it mid-write. After each,
the database passes ``PRAGMA integrity_check`` and holds every revision the child saw committed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import open_library

from writer_app.storage import db as dbmod
from writer_app.storage.db import StorageError, list_backups, open_database
from writer_app.storage.importer import import_coig
from writer_app.storage.projects import ProjectStore
from writer_app.storage.search import SearchIndex

WORKER = Path(__file__).with_name("fault_worker.py")
REPO = Path(__file__).resolve().parents[2]


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill_after(proc: subprocess.Popen, lines: int) -> list[str]:
    seen = []
    for line in proc.stdout:
        seen.append(line.strip())
        if len(seen) >= lines:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    return seen


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("lines", [5, 120, 400])
def test_kill_during_autosave_bursts_keeps_every_committed_revision(tmp_path, lines):
    proc = start("autosave", str(tmp_path))
    seen = kill_after(proc, lines)
    assert integrity(tmp_path / "writer.db") == "ok"
    with open_database(tmp_path / "writer.db") as d:
        store = ProjectStore(d)
        (p,) = store.list_projects()
        texts = {r.text for r in store.revisions(p.id, "answer")}
        ids = {r.id for r in store.revisions(p.id, "answer")}
        last = int(seen[-1].split()[1])
        for i in range(last + 1):  # every save the child reported is there
            assert f"第{i}次保存。" + "字" * (i % 500) in texts
        assert {int(s.split()[3]) for s in seen if " rev " in s} <= ids
        # the child may have saved more after the line we read, never less
        assert int(p.answer[1 : p.answer.index("次")]) >= last
        store.autosave(p.id, "answer", "杀掉之后还能继续写")  # and the database still works
        assert store.get(p.id).answer == "杀掉之后还能继续写"


def _coig_file(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = {
                "id": f"r{i}",
                "query_type": "议论文",
                "query": f"题目{i}",
                "answer": f"第{i}篇。" + "文" * 300,
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def test_kill_during_import_keeps_whole_batches_and_a_rerun_finishes(tmp_path):
    src = _coig_file(tmp_path / "big.jsonl", 20_000)
    open_database(tmp_path / "writer.db").close()
    proc = start("import", str(tmp_path), str(src))
    watcher = sqlite3.connect(tmp_path / "writer.db", timeout=5)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if watcher.execute("SELECT count(*) FROM exemplars").fetchone()[0] >= 200:
                break
            time.sleep(0.01)
    finally:
        watcher.close()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert integrity(tmp_path / "writer.db") == "ok"
    with open_database(tmp_path / "writer.db") as d:
        count = d.conn.execute("SELECT count(*) FROM exemplars").fetchone()[0]
        indexed = d.conn.execute("SELECT count(*) FROM search_index WHERE doc_type = 'exemplar'").fetchone()[
            0
        ]
        assert 200 <= count < 20_000 and count % 50 == 0 and indexed == count
        report = import_coig(d, SearchIndex(d, list), src)
        assert (report.added, report.duplicates, report.rejected) == (20_000 - count, count, [])


def test_kill_during_migration_leaves_the_old_version_and_a_rerun_migrates(tmp_path):
    with open_database(tmp_path / "writer.db") as d:
        ProjectStore(d).create("迁移前的项目")
    proc = start("migrate", str(tmp_path), "60")
    assert proc.stdout.readline().strip() == "migrating"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert integrity(tmp_path / "writer.db") == "ok"
    with open_database(tmp_path / "writer.db") as d:  # this app's version opens it as it was
        assert d.conn.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
        assert "v2_extra" not in d.db.table_names()
        assert [p.title for p in ProjectStore(d).list_projects()] == ["迁移前的项目"]
    assert list_backups(tmp_path / "backups", f"pre-migration-v{dbmod.SCHEMA_VERSION}")
    proc = start("migrate", str(tmp_path), "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.split() == ["migrating", "migrated"], err
    conn = sqlite3.connect(tmp_path / "writer.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION + 1
    assert conn.execute("SELECT title FROM projects").fetchone()[0] == "迁移前的项目（v2）"
    conn.close()


def test_two_app_instances_on_one_data_folder_both_save_everything(tmp_path):
    open_database(tmp_path / "writer.db").close()
    procs = [start("writer", str(tmp_path), name, "150") for name in ("甲", "乙")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.startswith("done"), err
    assert integrity(tmp_path / "writer.db") == "ok"
    with open_database(tmp_path / "writer.db") as d:
        store = ProjectStore(d)
        for p in store.list_projects():
            name = p.title.split()[-1]
            texts = [r.text for r in store.revisions(p.id, "answer")]
            assert texts == [f"实例{name}第{i}稿" for i in reversed(range(150))]
            assert len(store.revisions(p.id, "thought")) == 150


# --------------------------------------------------------------------------------------------
# read-only folder
# --------------------------------------------------------------------------------------------
def _digest(folder: Path) -> str:
    # (a simulated read-only folder still lets SQLite make its -shm file; the database must not change)
    return hashlib.sha256((folder / "writer.db").read_bytes()).hexdigest()


def test_a_read_only_folder_opens_for_viewing_search_and_export(tmp_path, analyzer, monkeypatch):
    home = tmp_path / "home"
    lib = open_library(home, analyzer)
    pid = lib.projects.create("只读也能看", "议论文", "坚持的意义").id
    assert lib.search.search("坚持")  # indexed before the folder turned read-only
    lib.close()
    before = _digest(home)
    real_access = os.access
    monkeypatch.setattr(
        dbmod.os,
        "access",
        lambda p, mode: False if mode == os.W_OK and str(p).startswith(str(home)) else real_access(p, mode),
    )
    lib = open_library(home, analyzer)
    assert lib.database.read_only and any("只读" in w for w in lib.warnings)
    assert [p.title for p in lib.projects.list_projects()] == ["只读也能看"]
    assert lib.search.search("坚持")[0].doc_id == pid
    assert b"## " in lib.export([pid], "md")
    for write in (
        lambda: lib.projects.create("新的"),
        lambda: lib.projects.autosave(pid, "answer", "x"),
        lambda: lib.database.backup("manual"),
    ):
        with pytest.raises(StorageError, match="只读"):
            write()
    lib.close()
    assert _digest(home) == before


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the injected-fault tests cover this")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_mount_from_the_command_line(tmp_path):
    from test_cli import run

    with tmpfs(tmp_path / "mnt", "4m") as mnt:
        env_home = mnt / "home"
        os.environ["WRITER_APP_HOME"] = str(env_home)
        try:
            assert run("project", "new", "挂载前").returncode == 0
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            proc = run("project", "list")
            assert proc.returncode == 0 and "挂载前" in proc.stdout and "只读" in proc.stderr
            proc = run("project", "new", "不能保存")
            assert proc.returncode == 1 and "Traceback" not in proc.stderr and "只读" in proc.stderr
        finally:
            del os.environ["WRITER_APP_HOME"]


# --------------------------------------------------------------------------------------------
# full disk
# --------------------------------------------------------------------------------------------
def test_a_full_disk_stops_saving_with_a_clear_message_and_loses_nothing(tmp_path):
    with tmpfs(tmp_path / "mnt", "1m") as mnt:
        d = open_database(mnt / "writer.db")
        store = ProjectStore(d, autosave_every_s=0)
        pid = store.create("磁盘满").id
        filler = mnt / "filler"
        with filler.open("wb", buffering=0) as fh:
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 4096)
            fh.truncate(max(0, fh.tell() - 48 * 1024))  # room for a few saves, then full
        saved = []
        with pytest.raises(StorageError, match="磁盘已满"):
            for i in range(10_000):
                text = f"第{i}稿" + "长" * 3000
                store.autosave(pid, "answer", text)
                saved.append(text)
        with pytest.raises(StorageError, match="磁盘已满"):
            d.backup("manual")
        assert not list((mnt / "backups").glob("*.part"))
        d.close()
        assert integrity(mnt / "writer.db") == "ok"
        filler.unlink()
        with open_database(mnt / "writer.db") as d2:
            s2 = ProjectStore(d2)
            revs = {r.text for r in s2.revisions(pid, "answer")}
            assert set(saved) <= revs and s2.get(pid).answer == (saved[-1] if saved else "")
            s2.autosave(pid, "answer", "空间腾出来以后又能保存")
            assert s2.get(pid).answer == "空间腾出来以后又能保存"


class _FullDisk:
    """A connection whose writes fail the way SQLite fails on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "COMMIT")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_an_injected_full_disk_error_is_one_line_and_rolls_back(tmp_path, monkeypatch):
    d = open_database(tmp_path / "writer.db")
    store = ProjectStore(d)
    pid = store.create("注入").id
    store.set_text(pid, "answer", "已保存的正文")
    real = d.db.conn
    monkeypatch.setattr(d.db, "conn", _FullDisk(real))
    for write in (lambda: store.set_text(pid, "answer", "新的"), lambda: store.create("另一个")):
        with pytest.raises(StorageError, match="磁盘已满"):
            write()
    monkeypatch.setattr(d.db, "conn", real)
    assert store.get(pid).answer == "已保存的正文" and len(store.list_projects()) == 1
    d.close()


def _read_only(monkeypatch, home):
    real_access = os.access
    monkeypatch.setattr(
        dbmod.os,
        "access",
        lambda p, mode: False if mode == os.W_OK and str(p).startswith(str(home)) else real_access(p, mode),
    )


def test_a_read_only_folder_still_finds_projects_never_indexed(tmp_path, analyzer, monkeypatch):
    home = tmp_path / "home"
    lib = open_library(home, analyzer)
    old = lib.projects.create("早就索引过", "议论文", "坚持").id
    assert lib.search.search("坚持")
    new = lib.projects.create("从未索引", "记叙文", "那次坚持到底的长跑").id  # not searched: not indexed
    lib.projects.set_text(old, "answer", "后来改过，旧索引里没有的词：毅力")
    lib.close()
    _read_only(monkeypatch, home)
    lib = open_library(home, analyzer)
    assert lib.database.read_only
    assert {h.doc_id for h in lib.search.search("坚持")} == {old, new}
    assert [h.doc_id for h in lib.search.search("毅力")] == [old]
    assert lib.search.search("坚持", query_type="记叙文")[0].doc_id == new
    lib.close()


def test_restoring_into_a_read_only_folder_says_read_only_not_damaged(tmp_path, analyzer, monkeypatch):
    home = tmp_path / "home"
    lib = open_library(home, analyzer)
    lib.projects.create("有备份")
    made = lib.database.backup("manual")
    lib.close()
    _read_only(monkeypatch, home)
    with pytest.raises(StorageError, match="只读") as err:
        dbmod.restore_backup(home / "writer.db", made, home / "backups")
    assert "损坏" not in str(err.value)
