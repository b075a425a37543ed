import sqlite3

import pytest

from writer_app.storage import db as dbmod
from writer_app.storage.db import SCHEMA_VERSION, StorageError, list_backups, open_database


def test_a_new_database_has_the_schema_in_wal_mode(tmp_path):
    with open_database(tmp_path / "w.db") as d:
        assert {
            "projects",
            "revisions",
            "annotations",
            "critiques",
            "exemplars",
            "generations",
            "search_index",
        } <= set(d.db.table_names())
        assert d.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert d.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert d.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_transaction_stores_all_or_nothing(tmp_path):
    with open_database(tmp_path / "w.db") as d:
        with pytest.raises(RuntimeError), d.transaction() as conn:
            conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('a', 0, 0)")
            raise RuntimeError("boom")
        assert d.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0


def test_a_database_from_a_newer_app_is_refused_and_untouched(tmp_path):
    path = tmp_path / "w.db"
    with open_database(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="更新版本"):
        open_database(path)
    assert path.read_bytes() == before


def test_a_garbage_file_is_moved_aside_and_the_newest_backup_offered(tmp_path):
    path = tmp_path / "w.db"
    with open_database(path) as d:
        d.conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('a', 0, 0)")
        backup = d.backup("manual")
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="已损坏") as exc:
        open_database(path)
    assert backup.name in str(exc.value)
    assert not path.exists()
    aside = list(tmp_path.glob("w.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    with open_database(path) as fresh:  # a fresh database; the backup still holds the project
        assert fresh.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 0
    assert sqlite3.connect(backup).execute("SELECT count(*) FROM projects").fetchone()[0] == 1


def test_migration_from_an_older_version_takes_a_backup_first(tmp_path, monkeypatch):
    path = tmp_path / "w.db"
    with open_database(path) as d:
        d.conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('old', 0, 0)")

    def v2(db):
        db.conn.execute("ALTER TABLE projects ADD COLUMN word_goal INTEGER NOT NULL DEFAULT 0")

    now = SCHEMA_VERSION
    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, v2])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", now + 1)
    with open_database(path) as d:
        assert d.conn.execute("PRAGMA user_version").fetchone()[0] == now + 1
        assert d.conn.execute("SELECT uid, word_goal FROM projects").fetchall() == [("old", 0)]
    pre = list_backups(tmp_path / "backups", f"pre-migration-v{now}")
    assert len(pre) == 1
    assert sqlite3.connect(pre[0]).execute("PRAGMA user_version").fetchone()[0] == now


def test_a_failing_migration_leaves_the_old_version_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.db"
    with open_database(path):
        pass

    def broken(db):
        db.conn.execute("ALTER TABLE projects ADD COLUMN x INTEGER")
        db.conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(dbmod, "MIGRATIONS", [*dbmod.MIGRATIONS, broken])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StorageError):
        open_database(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "x" not in [r[1] for r in conn.execute("PRAGMA table_info(projects)")]


def test_backups_rotate_daily_and_keep_n(tmp_path):
    with open_database(tmp_path / "w.db") as d:
        assert d.rotate_backups(keep=2) is not None
        assert d.rotate_backups(keep=2) is None  # already one today
        for _ in range(3):
            d.rotate_backups(keep=2, every_s=0)
        assert len(list_backups(tmp_path / "backups", "auto")) == 2


def test_two_connections_on_one_file_both_work(tmp_path):
    a = open_database(tmp_path / "w.db")
    b = open_database(tmp_path / "w.db")
    with a.transaction() as conn:
        conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('a', 0, 0)")
    with b.transaction() as conn:
        conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('b', 0, 0)")
    assert a.conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 2
    a.close()
    b.close()


def test_v1_to_v2_rekeys_the_search_index_and_keeps_everything(tmp_path, monkeypatch):
    from writer_app.storage.projects import ProjectStore
    from writer_app.storage.search import SearchIndex

    path = tmp_path / "w.db"
    with monkeypatch.context() as m:
        m.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:1])
        m.setattr(dbmod, "SCHEMA_VERSION", 1)
        with open_database(path) as d:
            d.conn.execute(
                "INSERT INTO projects (uid, title, query, created, updated) VALUES ('p', '秋', '写 秋天', 1, 1)"
            )
            d.conn.execute(
                "INSERT INTO exemplars (id, content_hash, query, answer, imported) VALUES (5, 'h', '写 落叶', '落叶 飘零', 1)"
            )
            d.conn.execute(
                "INSERT INTO search_index (rowid, doc_type, doc_id, title, body, extra)"
                " VALUES (77, 'exemplar', 5, '写 落叶', '落叶 飘零', ''), (78, 'project', 1, '秋', '写 秋天', '')"
            )
    with open_database(path) as d:
        assert d.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = d.conn.execute("SELECT rowid, doc_type, doc_id FROM search_index").fetchall()
        assert rows == [(11, "exemplar", 5)]  # projects are re-indexed lazily
        index = SearchIndex(d, str.split)
        assert [h.doc_type for h in index.search("落叶")] == ["exemplar"]
        assert [h.doc_id for h in index.search("秋天")] == [1]
        store = ProjectStore(d)
        store.trash(1)
        store.delete(1)
        assert (
            d.conn.execute("SELECT count(*) FROM search_index WHERE doc_type = 'project'").fetchone()[0] == 0
        )
    assert list_backups(tmp_path / "backups", "pre-migration-v1")


@pytest.mark.parametrize(("version", "reason"), [(-5, "无效"), (1, "不符")])
def test_a_tampered_schema_version_is_one_line_and_nothing_changes(tmp_path, version, reason):
    path = tmp_path / "w.db"
    with open_database(path) as d:
        d.conn.execute("INSERT INTO projects (uid, created, updated) VALUES ('keep', 0, 0)")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    with pytest.raises(StorageError, match=reason) as err:
        open_database(path)
    assert "\n" not in str(err.value)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT uid FROM projects").fetchall() == [("keep",)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    conn.close()
