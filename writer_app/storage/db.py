"""The one module that owns the SQLite schema, its migrations and the connection policy.

- One file in the data dir, WAL mode, a busy timeout so two app instances on one data dir both
  work (SQLite serialises their writes; each user action is one transaction).
- ``PRAGMA user_version`` is the schema version. Opening runs the forward migrations after a
  backup of the old file; a database from a newer app is refused and left untouched.
- ``PRAGMA quick_check`` on open; a corrupt file is moved aside (never overwritten) and the
  newest backup is named in the message.
- Rotating backups through SQLite's backup API: at most one a day, the newest N kept.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from writer_app.errors import WriterAppError

BUSY_TIMEOUT_MS = 5000
KEEP_BACKUPS = 7
CHECK_MMAP_BYTES = 1 << 30
BACKUP_EVERY_S = 24 * 3600


READ_ONLY_MESSAGE = (
    "数据目录只读，无法保存；可以查看、搜索和导出 (the data folder is read-only: nothing can be saved)"
)


class StorageError(WriterAppError):
    """A storage problem with a one-line message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=1)


# --------------------------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------------------------
def _run_script(db: sqlite_utils.Database, sql: str) -> None:
    """Run DDL statement by statement: ``executescript`` would commit the migration's transaction."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    statement = ""
    for piece in "\n".join(lines).split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):  # a trigger's body has ";" inside BEGIN … END
            if statement.strip(" \n;"):
                db.conn.execute(statement)
            statement = ""
    if statement.strip(" \n;"):
        raise ValueError(f"incomplete SQL: {statement[:80]}")


# the first schema, as SQL: each later version changes it in its own migration below
_V1_SCHEMA = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,            -- stable across machines (bundles)
    title TEXT NOT NULL DEFAULT '',
    query_type TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL DEFAULT '',
    thought TEXT NOT NULL DEFAULT '',    -- the current 构思 (Markdown)
    answer TEXT NOT NULL DEFAULT '',     -- the current text
    tags TEXT NOT NULL DEFAULT '[]',     -- JSON array
    created REAL NOT NULL,
    updated REAL NOT NULL,
    trashed REAL,                        -- NULL unless in the trash
    indexed REAL NOT NULL DEFAULT 0      -- when the search index last saw it
);
CREATE INDEX projects_updated ON projects(updated DESC);

CREATE TABLE generations (               -- what produced what: model, params, timings
    id INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,                  -- outline | draft | critique | continue | rewrite | section
    model TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    stats TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);

CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    field TEXT NOT NULL,                 -- query | thought | answer
    text TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- autosave | snapshot | generation | restore | import | conflict
    label TEXT NOT NULL DEFAULT '',
    generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,
    created REAL NOT NULL
);
CREATE INDEX revisions_project ON revisions(project_id, field, created DESC);

CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    field TEXT NOT NULL,                 -- thought | answer
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    quote TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0,
    detached INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX annotations_project ON annotations(project_id);

CREATE TABLE critiques (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    revision_id INTEGER REFERENCES revisions(id) ON DELETE SET NULL,
    rubric TEXT NOT NULL,
    total INTEGER NOT NULL,
    max_total INTEGER NOT NULL,
    source TEXT NOT NULL,                -- model | analysis
    data TEXT NOT NULL,                  -- the whole critique JSON
    created REAL NOT NULL
);

CREATE TABLE exemplars (                 -- imported COIG-Writer records
    id INTEGER PRIMARY KEY,
    source_id TEXT,                      -- the record's own id, when it has one
    content_hash TEXT NOT NULL UNIQUE,
    query_type TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL,
    thought TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    score TEXT NOT NULL DEFAULT '',
    score_value REAL,                    -- the first number found in score, if any
    imported REAL NOT NULL
);
CREATE UNIQUE INDEX exemplars_source ON exemplars(source_id) WHERE source_id IS NOT NULL;

-- full text over jieba-segmented words (space separated), ranked with bm25()
CREATE VIRTUAL TABLE search_index USING fts5(
    doc_type UNINDEXED, doc_id UNINDEXED, title, body, extra, tokenize = 'unicode61'
);
"""


def _v1(db: sqlite_utils.Database) -> None:
    _run_script(db, _V1_SCHEMA)


def _v2(db: sqlite_utils.Database) -> None:
    """Search rows get fixed rowids (project id × 2, exemplar id × 2 + 1) so re-indexing one
    document is a rowid lookup rather than a scan; a deleted project leaves the index with it."""
    _run_script(
        db,
        """
        CREATE TEMP TABLE v2_exemplar_rows AS
            SELECT doc_id, title, body, extra FROM search_index WHERE doc_type = 'exemplar';
        DELETE FROM search_index;
        INSERT INTO search_index (rowid, doc_type, doc_id, title, body, extra)
            SELECT doc_id * 2 + 1, 'exemplar', doc_id, title, body, extra FROM v2_exemplar_rows;
        DROP TABLE v2_exemplar_rows;
        UPDATE projects SET indexed = 0;     -- projects are re-indexed lazily on the next search
        CREATE TRIGGER projects_unindex AFTER DELETE ON projects BEGIN
            DELETE FROM search_index WHERE rowid = old.id * 2;
        END;
        CREATE TRIGGER exemplars_unindex AFTER DELETE ON exemplars BEGIN
            DELETE FROM search_index WHERE rowid = old.id * 2 + 1;
        END;
        """,
    )


def _v3(db: sqlite_utils.Database) -> None:
    """A student's essay imported from a file: whose it is (the name the teacher's file-name
    pattern gives), and where it came from (``essay:<class tag>:<student>``), so that the same
    student's next file becomes a revision of the same project."""
    _run_script(
        db,
        """
        ALTER TABLE projects ADD COLUMN student TEXT NOT NULL DEFAULT '';
        ALTER TABLE projects ADD COLUMN source TEXT NOT NULL DEFAULT '';
        CREATE INDEX projects_source ON projects(source) WHERE source != '';
        """,
    )


def _v4(db: sqlite_utils.Database) -> None:
    """A class's marking: the batch-critique queue (so a killed batch resumes, each essay
    critiqued once) and the teacher's own total and comment per essay (see storage.marking)."""
    _run_script(
        db,
        """
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                  -- critique
            label TEXT NOT NULL DEFAULT '',      -- the class tag; '' for a selection
            options TEXT NOT NULL DEFAULT '{}',  -- JSON: how it was asked for (use_model, ...)
            created REAL NOT NULL,
            finished REAL,                       -- NULL while items are pending
            cancelled REAL                       -- when the user last stopped it
        );
        CREATE TABLE batch_items (
            batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',   -- pending | done | failed
            critique_id INTEGER REFERENCES critiques(id) ON DELETE SET NULL,
            error TEXT NOT NULL DEFAULT '',
            finished REAL,
            PRIMARY KEY (batch_id, project_id)
        );
        CREATE INDEX batch_items_pending ON batch_items(batch_id, state, position);
        CREATE TABLE marks (                     -- the teacher's own verdict on one essay
            project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
            total REAL,                          -- NULL: the critique's total stands
            comment TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            updated REAL NOT NULL
        );
        """,
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


# --------------------------------------------------------------------------------------------
# opening
# --------------------------------------------------------------------------------------------
@dataclass
class Database:
    """An open database. ``db`` is the sqlite-utils handle; ``transaction()`` wraps one user action."""

    path: Path
    db: sqlite_utils.Database
    backups_dir: Path
    read_only: bool = False  # the data folder cannot be written: view, search and export only

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One user action: all of it is stored or none of it. Write errors become StorageError."""
        if self.read_only:
            raise StorageError(READ_ONLY_MESSAGE)
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _storage_error(exc) from None
        try:
            yield conn
        except sqlite3.Error as exc:  # a write failed (disk full, I/O): nothing of it is kept
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _storage_error(exc) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _storage_error(exc) from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backups -----------------------------------------------------------------------------
    def backup(self, reason: str = "auto") -> Path:
        """Copy the live database with SQLite's backup API (consistent while in use)."""
        if self.read_only:
            raise StorageError(READ_ONLY_MESSAGE)
        self.backups_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.backups_dir / f"writer-{stamp}-{reason}.db"
        n = 1
        while target.exists():
            n += 1
            target = self.backups_dir / f"writer-{stamp}-{reason}-{n}.db"
        tmp = target.with_suffix(".db.part")
        try:
            dest = sqlite3.connect(tmp)
            try:
                self.conn.backup(dest)
            finally:
                dest.close()
            tmp.replace(target)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _storage_error(exc) from None
        return target

    def rotate_backups(self, keep: int = KEEP_BACKUPS, every_s: float = BACKUP_EVERY_S) -> Path | None:
        """A backup if the newest automatic one is older than ``every_s``; keep the newest ``keep``."""
        autos = list_backups(self.backups_dir, "auto")
        if autos and time.time() - autos[0].stat().st_mtime < every_s:
            return None
        made = self.backup("auto")
        for old in list_backups(self.backups_dir, "auto")[keep:]:
            with contextlib.suppress(OSError):
                old.unlink()
        return made


def list_backups(backups_dir: Path, reason: str | None = None) -> list[Path]:
    """Backups, newest first."""
    if not backups_dir.is_dir():
        return []
    found = [p for p in backups_dir.glob("writer-*.db") if reason is None or f"-{reason}" in p.stem]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _storage_error(exc: BaseException) -> StorageError:
    text = str(exc)
    if "database or disk is full" in text or getattr(exc, "errno", None) == 28:
        return StorageError(
            "磁盘已满，未能保存；已保存的内容不受影响 (disk full: not saved; stored work is intact)"
        )
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return StorageError(f"数据目录只读，无法保存 (the data folder is read-only): {text}")
    if "locked" in text or "busy" in text:
        return StorageError("数据库正被另一个程序占用，请稍后再试 (the database is busy in another window)")
    return StorageError(f"数据库错误 (database error): {text}")


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        # a WAL database in a folder we cannot write needs "immutable" to be read at all
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            conn = sqlite3.connect(
                uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False
            )
        return conn
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _move_aside(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.replace(aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            with contextlib.suppress(OSError):
                side.replace(aside.with_name(aside.name + suffix))
    return aside


def _writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def open_database(path: Path, backups_dir: Path | None = None, *, check: bool = True) -> Database:
    """Open (creating or migrating) the database at ``path``. Raises StorageError with one line.

    A folder that cannot be written opens read-only (view, search, export) when the database is
    there and current; a damaged file is moved aside, never overwritten.
    """
    backups = backups_dir or path.parent / "backups"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"无法创建数据目录 (cannot create the data folder {path.parent}): {exc.strerror}"
        ) from None
    existed = path.exists() and path.stat().st_size > 0
    read_only = not _writable(path)
    if read_only and not existed:
        raise StorageError(f"数据目录只读，无法创建数据库 (the data folder is read-only): {path.parent}")
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path, read_only)
        if check and existed:
            # memory-mapped reads make the check ~2.5× faster on a large library; only for the check
            conn.execute(f"PRAGMA mmap_size = {CHECK_MMAP_BYTES}")
            row = conn.execute("PRAGMA quick_check").fetchone()
            conn.execute("PRAGMA mmap_size = 0")
            if not row or row[0] != "ok":
                raise _Damaged(f"quick_check: {row[0] if row else 'no answer'}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        # OperationalError is about access (locked, read-only, cannot open, I/O), not the file
        if isinstance(exc, sqlite3.OperationalError) and not isinstance(exc, _Damaged):
            raise _storage_error(exc) from None
        raise _damaged(path, backups, read_only) from None
    if version < 0:
        conn.close()
        raise StorageError(
            f"数据库的结构版本号无效（{version}），可能被别的程序改过；未做任何改动，可用 writer-app restore-backup 恢复备份"
            f" (the database's schema version {version} is invalid; nothing was changed)"
        )
    if version > SCHEMA_VERSION:
        conn.close()
        raise StorageError(
            f"数据库来自更新版本的写作伴侣（结构版本 {version}，本程序支持 {SCHEMA_VERSION}），未做任何改动；请升级程序"
            f" (the database is from a newer app version; nothing was changed)"
        )
    if read_only and version < SCHEMA_VERSION:
        conn.close()
        raise StorageError(
            f"数据库需要升级，但数据目录只读 (the database needs an upgrade; the folder is read-only): {path.parent}"
        )
    database = Database(path, sqlite_utils.Database(conn), backups, read_only=read_only)
    if read_only:
        return database
    try:
        if version < SCHEMA_VERSION:
            if existed and version > 0:
                database.backup(f"pre-migration-v{version}")
            if existed or version == 0:
                conn.execute("PRAGMA journal_mode = WAL")
            _migrate(database, version)
        else:
            conn.execute("PRAGMA journal_mode = WAL")
    except (sqlite3.Error, StorageError) as exc:
        database.close()
        raise exc if isinstance(exc, StorageError) else _storage_error(exc) from None
    return database


class _Damaged(sqlite3.OperationalError):
    """quick_check found the file damaged."""


def _damaged(path: Path, backups: Path, read_only: bool) -> StorageError:
    newest = list_backups(backups)
    offer = f"最新的备份是 {newest[0]}，可用 `writer-app restore-backup` 恢复" if newest else "没有可用的备份"
    if read_only:
        return StorageError(f"数据库已损坏（数据目录只读，未移动）；{offer} (the database is damaged)")
    try:
        aside = _move_aside(path)
    except OSError as exc:
        return StorageError(f"数据库已损坏，且无法移走：{exc.strerror}；{offer} (the database is damaged)")
    return StorageError(
        f"数据库已损坏，已移到 {aside.name}，不会被覆盖；{offer} (the database is damaged and was moved aside)"
    )


def _migrate(database: Database, version: int) -> None:
    """Each migration and its version bump commit together, so a killed process leaves either."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        try:
            with database.transaction() as conn:
                MIGRATIONS[target - 1](database.db)
                conn.execute(f"PRAGMA user_version = {target}")
        except (sqlite3.OperationalError, StorageError) as exc:
            if "already exists" not in str(exc):
                raise
            raise StorageError(
                f"数据库的结构版本号（{version}）与其中的表不符，可能被别的程序改过；未做任何改动，"
                f"可用 writer-app restore-backup 恢复备份 (the database's schema version {version} does not match"
                " its tables; nothing was changed)"
            ) from None


def restore_backup(path: Path, backup: Path, backups_dir: Path) -> Path | None:
    """Make ``backup`` the live database at ``path``.

    The backup is checked first (readable, passes quick_check, not from a newer app). The current
    database, when it opens, is itself backed up ("pre-restore") so the restore can be undone;
    that copy's path is returned. A damaged current file is moved aside by the attempt to open it.
    """
    if not backup.is_file():
        raise StorageError(f"找不到备份文件 (no such backup): {backup}")
    if not _writable(path):
        raise StorageError(
            f"数据目录只读，无法恢复备份；备份文件未改动 (the data folder is read-only; cannot restore, the backup is untouched): {path.parent}"
        )
    try:
        # immutable: a backup is never written, and in a read-only folder a WAL file cannot be
        # opened otherwise (that failure is about the folder, not the backup)
        src = sqlite3.connect(backup.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            row = src.execute("PRAGMA quick_check").fetchone()
            if not row or row[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            version = src.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            src.close()
            raise
    except sqlite3.Error:
        raise StorageError(
            f"备份文件已损坏或不是数据库，未做任何改动 (the backup is damaged): {backup}"
        ) from None
    if version > SCHEMA_VERSION:
        src.close()
        raise StorageError("这个备份来自更新版本的写作伴侣，未做任何改动 (backup from a newer app version)")
    safety: Path | None = None
    try:
        if path.exists() and path.stat().st_size > 0:
            try:
                with open_database(path, backups_dir) as current:
                    safety = current.backup("pre-restore")
            except StorageError:
                if path.exists():  # not moved aside as damaged: busy, read-only, …
                    raise
        try:
            dest = _connect(path)
            try:
                src.backup(dest)
            finally:
                dest.close()
        except sqlite3.Error as exc:
            raise _storage_error(exc) from None
    finally:
        src.close()
    open_database(path, backups_dir).close()  # runs any migrations the backup needs
    return safety
