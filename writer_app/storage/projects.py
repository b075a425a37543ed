"""Projects, their revisions (autosave coalescing, snapshots, restore, word-level diff) and the
generation log. Every method is one transaction; nothing outside :mod:`db` knows the SQL schema
beyond the column names used here."""

from __future__ import annotations

import difflib
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from writer_app.storage.db import Database, StorageError

FIELDS = ("query", "thought", "answer")
ANNOTATABLE = ("thought", "answer")
AUTOSAVE_EVERY_S = 120.0  # typing becomes an autosave revision at most this often per field


@dataclass
class Project:
    id: int
    uid: str
    title: str
    query_type: str
    query: str
    thought: str
    answer: str
    tags: list[str]
    created: float
    updated: float
    trashed: float | None = None
    student: str = ""  # an imported essay's student (from the teacher's file-name pattern)
    source: str = ""  # where an imported essay came from: "essay:<class tag>:<student>"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Project:
        return cls(
            id=row["id"],
            uid=row["uid"],
            title=row["title"],
            query_type=row["query_type"],
            query=row["query"],
            thought=row["thought"],
            answer=row["answer"],
            tags=json.loads(row["tags"] or "[]"),
            created=row["created"],
            updated=row["updated"],
            trashed=row["trashed"],
            student=row.get("student") or "",
            source=row.get("source") or "",
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Revision:
    id: int
    uid: str
    project_id: int
    field: str
    text: str
    kind: str
    label: str
    created: float
    generation_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Annotation:
    id: int
    uid: str
    project_id: int
    field: str
    start: int
    end: int
    quote: str
    body: str
    author: str
    created: float
    resolved: bool
    detached: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Annotation:
        return cls(**{**row, "resolved": bool(row["resolved"]), "detached": bool(row["detached"])})

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def reanchor(conn: Any, project_id: int, field_name: str, text: str) -> None:
    """After an edit, move each comment to where its quoted text now is (the occurrence nearest
    the old place); a comment whose text is gone is kept and marked detached."""
    rows = conn.execute(
        "SELECT id, start, end, quote, detached FROM annotations WHERE project_id = ? AND field = ?",
        (project_id, field_name),
    ).fetchall()
    for aid, start, end, quote, detached in rows:
        if text[start:end] == quote:
            if detached:
                conn.execute("UPDATE annotations SET detached = 0 WHERE id = ?", (aid,))
            continue
        spots = []
        i = text.find(quote)
        while i >= 0 and quote:
            spots.append(i)
            i = text.find(quote, i + 1)
        if spots:
            best = min(spots, key=lambda p: abs(p - start))
            conn.execute(
                "UPDATE annotations SET start = ?, end = ?, detached = 0 WHERE id = ?",
                (best, best + len(quote), aid),
            )
        elif not detached:
            conn.execute("UPDATE annotations SET detached = 1 WHERE id = ?", (aid,))


@dataclass
class DiffOp:
    op: str  # equal | insert | delete
    text: str


@dataclass
class ProjectStore:
    database: Database
    tokenize: Callable[[str], list[str]] | None = None  # jieba cut for word-level diffs
    autosave_every_s: float = AUTOSAVE_EVERY_S
    clock: Callable[[], float] = time.time
    _last_autosave: dict[tuple[int, str], float] = field(default_factory=dict)

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.database.conn

    # -- projects ------------------------------------------------------------------------------
    def create(
        self, title: str = "", query_type: str = "", query: str = "", tags: list[str] | None = None
    ) -> Project:
        with self.database.transaction() as conn:
            pid = self._insert_project(conn, title.strip(), query_type, query, tags or [], self.clock())
        return self.get(pid)

    def _insert_project(
        self,
        conn: Any,
        title: str,
        query_type: str,
        query: str,
        tags: list[str],
        now: float,
        thought: str = "",
        answer: str = "",
    ) -> int:
        cur = conn.execute(
            "INSERT INTO projects (uid, title, query_type, query, thought, answer, tags, created, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                title,
                query_type,
                query,
                thought,
                answer,
                json.dumps(tags, ensure_ascii=False),
                now,
                now,
            ),
        )
        return int(cur.lastrowid or 0)

    def duplicate(self, project_id: int, title_suffix: str = "（副本）") -> Project:
        """A new project with the same prompt, genre, tags and current texts (history not copied)."""
        p = self.get(project_id)
        now = self.clock()
        title = (p.title or p.query[:20]).strip() + title_suffix
        with self.database.transaction() as conn:
            pid = self._insert_project(conn, title, p.query_type, p.query, p.tags, now, p.thought, p.answer)
            for f in FIELDS:
                text = getattr(p, f)
                if text:
                    self._insert_revision(conn, pid, f, text, "snapshot", f"复制自项目 {p.id}", None, now)
        return self.get(pid)

    def all_tags(self) -> list[str]:
        """Every tag used by a project not in the trash, sorted."""
        rows = self._conn.execute(
            "SELECT DISTINCT value FROM projects, json_each(projects.tags)"
            " WHERE trashed IS NULL ORDER BY value"
        ).fetchall()
        return [r[0] for r in rows]

    def get(self, project_id: int) -> Project:
        row = None
        if 0 <= project_id < 2**63:  # SQLite's range; a larger number is no project, not an overflow
            row = self._row("SELECT * FROM projects WHERE id = ?", (project_id,))
        if row is None:
            raise StorageError(f"没有编号为 {project_id} 的项目 (no project {project_id})")
        return Project.from_row(row)

    def find(self, ref: str) -> Project:
        """A project by id, uid or exact title (the CLI's PROJECT argument)."""
        if ref.isdigit():
            return self.get(int(ref))
        row = self._row("SELECT * FROM projects WHERE uid = ? OR title = ? ORDER BY updated DESC", (ref, ref))
        if row is None:
            raise StorageError(f"找不到项目 {ref} (no such project)")
        return Project.from_row(row)

    def list_projects(
        self,
        limit: int = 100,
        *,
        offset: int = 0,
        trashed: bool = False,
        query_type: str | None = None,
        tag: str | None = None,
        since: float | None = None,
    ) -> list[Project]:
        where = ["trashed IS NOT NULL" if trashed else "trashed IS NULL"]
        args: list[Any] = []
        if query_type:
            where.append("query_type = ?")
            args.append(query_type)
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(projects.tags) WHERE value = ?)")
            args.append(tag)
        if since is not None:
            where.append("updated >= ?")
            args.append(since)
        sql = f"SELECT * FROM projects WHERE {' AND '.join(where)} ORDER BY updated DESC, id DESC LIMIT ? OFFSET ?"
        return [Project.from_row(r) for r in self._rows(sql, (*args, limit, offset))]

    def update(self, project_id: int, **values: Any) -> Project:
        """Set title, query_type or tags (the texts go through :meth:`autosave` or :meth:`set_text`)."""
        allowed = {"title", "query_type", "tags"}
        bad = set(values) - allowed
        if bad:
            raise ValueError(f"cannot update {bad}")
        if "tags" in values:
            values["tags"] = json.dumps(sorted(set(values["tags"])), ensure_ascii=False)
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.database.transaction() as conn:
            self._touch(conn, project_id, f"{sets}, updated = ?", (*values.values(), self.clock()))
        return self.get(project_id)

    def trash(self, project_id: int) -> None:
        with self.database.transaction() as conn:
            self._touch(conn, project_id, "trashed = ?, indexed = 0", (self.clock(),))

    def untrash(self, project_id: int) -> None:
        with self.database.transaction() as conn:
            self._touch(conn, project_id, "trashed = NULL, indexed = 0", ())

    def delete(self, project_id: int) -> None:
        """Gone for good (revisions and annotations too); only projects already in the trash."""
        p = self.get(project_id)
        if p.trashed is None:
            raise StorageError("只能永久删除回收站里的项目 (only projects in the trash can be deleted)")
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    # -- texts and revisions -------------------------------------------------------------------
    def autosave(self, project_id: int, field_name: str, text: str) -> bool:
        """Typing: store the current text at once; a revision at most every ``autosave_every_s``.

        Cheap enough to call on every pause in typing. Returns True when a revision was made.
        """
        _check_field(field_name)
        now = self.clock()
        key = (project_id, field_name)
        with self.database.transaction() as conn:
            self._set_field(conn, project_id, field_name, text, now)
            last = self._last_autosave.get(key)
            if last is None:
                row = conn.execute(
                    "SELECT created, text FROM revisions WHERE project_id = ? AND field = ? ORDER BY id DESC LIMIT 1",
                    (project_id, field_name),
                ).fetchone()
                last = row[0] if row else 0.0
                if row and row[1] == text:
                    self._last_autosave[key] = now
                    return False
            if now - last < self.autosave_every_s:
                return False
            self._insert_revision(conn, project_id, field_name, text, "autosave", "", None, now)
            self._last_autosave[key] = now
        return True

    def set_text(
        self,
        project_id: int,
        field_name: str,
        text: str,
        kind: str = "snapshot",
        label: str = "",
        generation_id: int | None = None,
    ) -> Revision:
        """Replace a field and record it as a revision (a generation, a named snapshot, …)."""
        _check_field(field_name)
        now = self.clock()
        with self.database.transaction() as conn:
            self._set_field(conn, project_id, field_name, text, now)
            rid = self._insert_revision(conn, project_id, field_name, text, kind, label, generation_id, now)
        self._last_autosave[(project_id, field_name)] = now
        return self.revision(rid)

    def import_essay(
        self,
        source: str,
        *,
        student: str,
        title: str,
        text: str,
        query: str = "",
        query_type: str = "",
        tags: list[str] | None = None,
        label: str = "",
    ) -> tuple[str, int]:
        """A student's essay from a file, in one transaction: ("added", id) as a new project;
        ("revised", id) when the project ``source`` names holds another text (the new one becomes
        its answer and an "import" revision; the old stays in the history); ("unchanged", id)
        when it holds this text already (re-importing is idempotent)."""
        now = self.clock()
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT id, answer FROM projects WHERE source = ? AND trashed IS NULL ORDER BY id LIMIT 1",
                (source,),
            ).fetchone()
            if row is not None:
                pid, answer = int(row[0]), row[1]
                if answer == text:
                    return "unchanged", pid
                self._set_field(conn, pid, "answer", text, now)
                self._insert_revision(conn, pid, "answer", text, "import", label, None, now)
                return "revised", pid
            pid = self._insert_project(conn, title.strip(), query_type, query, sorted(set(tags or [])), now)
            conn.execute("UPDATE projects SET student = ?, source = ? WHERE id = ?", (student, source, pid))
            self._set_field(conn, pid, "answer", text, now)
            self._insert_revision(conn, pid, "answer", text, "import", label, None, now)
            if query:
                self._insert_revision(conn, pid, "query", query, "import", label, None, now)
        return "added", pid

    def snapshot(self, project_id: int, label: str = "") -> list[Revision]:
        """A named snapshot of every non-empty field as it is now."""
        p = self.get(project_id)
        now = self.clock()
        out = []
        with self.database.transaction() as conn:
            for f in FIELDS:
                text = getattr(p, f)
                if text:
                    out.append(self._insert_revision(conn, project_id, f, text, "snapshot", label, None, now))
        return [self.revision(r) for r in out]

    def revisions(self, project_id: int, field_name: str | None = None) -> list[Revision]:
        """Newest first."""
        if field_name:
            _check_field(field_name)
            rows = self._rows(
                "SELECT * FROM revisions WHERE project_id = ? AND field = ? ORDER BY id DESC",
                (project_id, field_name),
            )
        else:
            rows = self._rows("SELECT * FROM revisions WHERE project_id = ? ORDER BY id DESC", (project_id,))
        return [_revision(r) for r in rows]

    def revision(self, revision_id: int) -> Revision:
        row = self._row("SELECT * FROM revisions WHERE id = ?", (revision_id,))
        if row is None:
            raise StorageError(f"没有编号为 {revision_id} 的版本 (no revision {revision_id})")
        return _revision(row)

    def restore(self, revision_id: int) -> Revision:
        """Make an old revision current. The text it replaces becomes a revision first."""
        rev = self.revision(revision_id)
        current = getattr(self.get(rev.project_id), rev.field)
        now = self.clock()
        with self.database.transaction() as conn:
            latest = conn.execute(
                "SELECT text FROM revisions WHERE project_id = ? AND field = ? ORDER BY id DESC LIMIT 1",
                (rev.project_id, rev.field),
            ).fetchone()
            if current and (latest is None or latest[0] != current):
                self._insert_revision(
                    conn, rev.project_id, rev.field, current, "autosave", "恢复前", None, now
                )
            self._set_field(conn, rev.project_id, rev.field, rev.text, now)
            rid = self._insert_revision(
                conn, rev.project_id, rev.field, rev.text, "restore", f"恢复自版本 {rev.id}", None, now
            )
        self._last_autosave[(rev.project_id, rev.field)] = now
        return self.revision(rid)

    def diff(self, old: str, new: str) -> list[DiffOp]:
        """Word-level diff (jieba words when a tokenizer is given, else characters), merged runs."""
        a = self.tokenize(old) if self.tokenize else list(old)
        b = self.tokenize(new) if self.tokenize else list(new)
        ops: list[DiffOp] = []

        def add(op: str, text: str) -> None:
            if not text:
                return
            if ops and ops[-1].op == op:
                ops[-1].text += text
            else:
                ops.append(DiffOp(op, text))

        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag == "equal":
                add("equal", "".join(a[i1:i2]))
            else:
                add("delete", "".join(a[i1:i2]))
                add("insert", "".join(b[j1:j2]))
        return ops

    # -- generation log ------------------------------------------------------------------------
    def log_generation(
        self,
        project_id: int | None,
        kind: str,
        model: str,
        params: dict[str, Any],
        stats: dict[str, Any],
    ) -> int:
        with self.database.transaction() as conn:
            return insert_generation(conn, project_id, kind, model, params, stats, self.clock())

    def save_generation(
        self,
        project_id: int,
        kind: str,
        field_name: str,
        text: str,
        model: str,
        params: dict[str, Any],
        stats: dict[str, Any],
        label: str = "",
    ) -> Revision | None:
        """What a model wrote: its generation log, and the text as a ``generation`` revision
        (none, and the field left as it was, when the model wrote nothing)."""
        gid = self.log_generation(project_id, kind, model, params, stats)
        if not text.strip():
            return None
        return self.set_text(project_id, field_name, text, kind="generation", label=label, generation_id=gid)

    def generations(self, project_id: int) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM generations WHERE project_id = ? ORDER BY id DESC", (project_id,))
        for r in rows:
            r["params"] = json.loads(r["params"])
            r["stats"] = json.loads(r["stats"])
        return rows

    # -- critiques ------------------------------------------------------------------------------
    def save_critique(self, project_id: int, data: dict[str, Any]) -> int:
        """Keep a critique (the ``CritiqueResult.to_dict()`` JSON) with the answer it judged."""
        with self.database.transaction() as conn:
            return insert_critique(conn, project_id, data, self.clock())

    def critiques(self, project_id: int) -> list[dict[str, Any]]:
        """Newest first; ``data`` is the critique JSON."""
        rows = self._rows("SELECT * FROM critiques WHERE project_id = ? ORDER BY id DESC", (project_id,))
        for r in rows:
            r["data"] = json.loads(r["data"])
        return rows

    # -- helpers -------------------------------------------------------------------------------
    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cur = self._conn.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _row(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql + " LIMIT 1" if "LIMIT" not in sql else sql, args)
        return rows[0] if rows else None

    def _touch(self, conn: Any, project_id: int, sets: str, args: tuple[Any, ...]) -> None:
        cur = conn.execute(f"UPDATE projects SET {sets} WHERE id = ?", (*args, project_id))
        if cur.rowcount == 0:
            raise StorageError(f"没有编号为 {project_id} 的项目 (no project {project_id})")

    def _set_field(self, conn: Any, project_id: int, field_name: str, text: str, now: float) -> None:
        self._touch(conn, project_id, f"{field_name} = ?, updated = ?", (text, now))
        if field_name in ANNOTATABLE:
            reanchor(conn, project_id, field_name, text)

    # -- annotations ---------------------------------------------------------------------------
    def annotate(
        self, project_id: int, field_name: str, start: int, end: int, body: str, author: str = ""
    ) -> Annotation:
        """A comment on ``text[start:end]`` of a field; the quoted text is kept to re-attach it."""
        if field_name not in ANNOTATABLE:
            raise ValueError(f"cannot annotate {field_name!r}")
        text = getattr(self.get(project_id), field_name)
        if not (0 <= start < end <= len(text)):
            raise StorageError(f"批注位置超出文本范围 (annotation range {start}–{end} is outside the text)")
        if not body.strip():
            raise StorageError("批注内容为空 (the comment is empty)")
        with self.database.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO annotations (uid, project_id, field, start, end, quote, body, author, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    uuid.uuid4().hex,
                    project_id,
                    field_name,
                    start,
                    end,
                    text[start:end],
                    body.strip(),
                    author,
                    self.clock(),
                ),
            )
            aid = int(cur.lastrowid or 0)
        return self.annotation(aid)

    def annotation(self, annotation_id: int) -> Annotation:
        row = self._row("SELECT * FROM annotations WHERE id = ?", (annotation_id,))
        if row is None:
            raise StorageError(f"没有编号为 {annotation_id} 的批注 (no annotation {annotation_id})")
        return Annotation.from_row(row)

    def annotations(self, project_id: int, field_name: str | None = None) -> list[Annotation]:
        sql = "SELECT * FROM annotations WHERE project_id = ?"
        args: tuple[Any, ...] = (project_id,)
        if field_name:
            sql += " AND field = ?"
            args = (project_id, field_name)
        return [Annotation.from_row(r) for r in self._rows(sql + " ORDER BY field, start, id", args)]

    def resolve(self, annotation_id: int, resolved: bool = True) -> None:
        with self.database.transaction() as conn:
            conn.execute("UPDATE annotations SET resolved = ? WHERE id = ?", (int(resolved), annotation_id))

    def remove_annotation(self, annotation_id: int) -> None:
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM annotations WHERE id = ?", (annotation_id,))

    def _insert_revision(
        self,
        conn: Any,
        project_id: int,
        field_name: str,
        text: str,
        kind: str,
        label: str,
        generation_id: int | None,
        now: float,
    ) -> int:
        cur = conn.execute(
            "INSERT INTO revisions (uid, project_id, field, text, kind, label, generation_id, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, project_id, field_name, text, kind, label, generation_id, now),
        )
        return int(cur.lastrowid or 0)


def _check_field(name: str) -> None:
    if name not in FIELDS:
        raise ValueError(f"unknown field {name!r}")


def _revision(row: dict[str, Any]) -> Revision:
    return Revision(**row)  # the columns are the fields


# --------------------------------------------------------------------------------------------
# rows other stores write inside their own transaction (the batch queue: a critique and its
# item's "done" are one transaction)
# --------------------------------------------------------------------------------------------
def insert_generation(
    conn: sqlite3.Connection,
    project_id: int | None,
    kind: str,
    model: str,
    params: dict[str, Any],
    stats: dict[str, Any],
    now: float,
) -> int:
    cur = conn.execute(
        "INSERT INTO generations (project_id, kind, model, params, stats, created) VALUES (?, ?, ?, ?, ?, ?)",
        (
            project_id,
            kind,
            model,
            json.dumps(params, ensure_ascii=False, default=str),
            json.dumps(stats, ensure_ascii=False, default=str),
            now,
        ),
    )
    return int(cur.lastrowid or 0)


def insert_critique(conn: sqlite3.Connection, project_id: int, data: dict[str, Any], now: float) -> int:
    """A critique row for the project's newest answer revision; returns its id."""
    row = conn.execute(
        "SELECT id FROM revisions WHERE project_id = ? AND field = 'answer' ORDER BY id DESC LIMIT 1",
        (project_id,),
    ).fetchone()
    cur = conn.execute(
        "INSERT INTO critiques (project_id, revision_id, rubric, total, max_total, source, data, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            row[0] if row else None,
            str(data.get("rubric", "")),
            int(data.get("total", 0)),
            int(data.get("max_total", 0)),
            str(data.get("source", "")),
            json.dumps(data, ensure_ascii=False, default=str),
            now,
        ),
    )
    return int(cur.lastrowid or 0)
