import json
import sqlite3

import pytest
from conftest import open_library

from writer_app.storage.db import SCHEMA_VERSION, StorageError, list_backups, restore_backup

RECORDS = [
    {
        "id": "e1",
        "query_type": "议论文",
        "query": "以“坚持”为话题写一篇议论文",
        "thought": "## 立意\n坚持",
        "answer": "坚持是……",
    },
    {
        "id": "e2",
        "query_type": "诗歌",
        "query": "写一首关于坚持的诗",
        "thought": "## 意象\n竹",
        "answer": "咬定青山",
    },
    {
        "id": "e3",
        "query_type": "议论文",
        "query": "谈谈科技与人文",
        "thought": "## 立意\n并重",
        "answer": "科技……",
    },
    {
        "id": "e4",
        "query_type": "议论文",
        "query": "以“坚持”为话题",
        "thought": "",
        "answer": "没有构思的范例",
    },
]


@pytest.fixture
def with_exemplars(library, tmp_path):
    f = tmp_path / "coig.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    assert library.import_file(f).added == 4
    return library


def test_best_exemplar_prefers_the_same_genre_and_needs_a_thought(with_exemplars):
    lib = with_exemplars
    best = lib.best_exemplar("以“坚持”为话题，写一篇不少于800字的议论文。", "议论文")
    assert best is not None and best.query == RECORDS[0]["query"] and best.thought == "## 立意\n坚持"
    assert lib.best_exemplar("写一首坚持的诗", "诗歌").query == RECORDS[1]["query"]
    # no record of that genre: the closest of any genre
    assert lib.best_exemplar("关于坚持", "小说").query in {RECORDS[0]["query"], RECORDS[1]["query"]}
    assert lib.best_exemplar("量子色动力学", "议论文") is None
    assert lib.best_exemplar("的了吗", "议论文") is None


def test_backup_then_restore_keeps_the_replaced_data_as_a_backup(library, analyzer, tmp_path):
    paths_db = library.database.path
    backups = library.database.backups_dir
    p = library.projects.create("备份前")
    made = library.database.backup("manual")
    library.projects.create("备份后")
    library.close()
    safety = restore_backup(paths_db, made, backups)
    lib = open_library(paths_db.parent, analyzer)
    assert [x.title for x in lib.projects.list_projects()] == ["备份前"] and lib.projects.get(p.id)
    lib.close()
    assert safety is not None and "pre-restore" in safety.name
    # and the restore can itself be undone
    restore_backup(paths_db, safety, backups)
    lib = open_library(paths_db.parent, analyzer)
    assert sorted(x.title for x in lib.projects.list_projects()) == ["备份前", "备份后"]
    lib.close()


def test_restore_refuses_a_damaged_or_newer_backup_and_changes_nothing(library, tmp_path):
    library.projects.create("原样")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(StorageError, match="备份文件已损坏"):
        restore_backup(library.database.path, bad, library.database.backups_dir)
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="更新版本"):
        restore_backup(library.database.path, newer, library.database.backups_dir)
    with pytest.raises(StorageError, match="找不到备份"):
        restore_backup(library.database.path, tmp_path / "none.db", library.database.backups_dir)
    assert [p.title for p in library.projects.list_projects()] == ["原样"]
    assert not [b for b in list_backups(library.database.backups_dir) if "pre-restore" in b.name]


def test_restore_when_the_live_database_is_damaged(library, analyzer):
    path, backups = library.database.path, library.database.backups_dir
    library.projects.create("好数据")
    made = library.database.backup("manual")
    library.close()
    path.write_bytes(b"garbage" * 1000)
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    assert restore_backup(path, made, backups) is None  # nothing openable to save first
    assert list(path.parent.glob("writer.db.corrupt-*"))  # the damaged file was moved aside, not lost
    lib = open_library(path.parent, analyzer)
    assert [p.title for p in lib.projects.list_projects()] == ["好数据"]
    lib.close()


def test_coig_jsonl_export_round_trips_through_import_unchanged(library, tmp_path):
    store = library.projects
    p = store.create("标题", "散文", "  题目前后有空格\n第二行 ")
    store.set_text(p.id, "thought", "## 立意\n- 要点一\n\n自由文字\n")
    store.set_text(p.id, "answer", "　　第一段。\n\n　　第二段“引号”。\n")
    f = tmp_path / "out.jsonl"
    f.write_bytes(library.export([p.id], "jsonl"))
    assert library.import_file(f).added == 1
    row = library.database.conn.execute(
        "SELECT source_id, query_type, query, thought, answer, link, score FROM exemplars"
    ).fetchone()
    record = json.loads(f.read_text(encoding="utf-8"))
    assert (
        dict(zip(("id", "query_type", "query", "thought", "answer", "link", "score"), row, strict=True))
        == record
    )
    again = store.get(p.id)
    assert (row[2], row[3], row[4]) == (again.query, again.thought, again.answer)
    assert library.import_file(f).duplicates == 1
