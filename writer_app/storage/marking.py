"""A class's marking: the batch-critique queue, and the teacher's own marks.

Why the queue lives in the database: a batch of 45 critiques runs for a quarter of an hour, and
in that time the window may be closed, the laptop may sleep or the process may be killed. Each
essay's critique and its item's ``done`` are written in one transaction, so whatever stops a
batch, a resumed one critiques every essay exactly once and loses none.

A teacher's mark (their own total and comment) is one row per project, kept beside the model's
critiques and never mixed into them: the class view shows it as the teacher's, and
``calibrate`` can learn from it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from writer_app.storage.db import Database, StorageError
from writer_app.storage.projects import insert_critique, insert_generation

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass
class BatchItem:
    project_id: int
    position: int
    state: str
    student: str
    title: str
    error: str = ""


@dataclass
class Batch:
    id: int
    kind: str
    label: str  # the class tag, or "" for a selection
    options: dict[str, Any]
    created: float
    finished: float | None
    cancelled: float | None
    total: int
    done: int
    failed: int

    @property
    def pending(self) -> int:
        return self.total - self.done - self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "pending": self.pending,
            "finished": self.finished is not None,
        }


@dataclass
class Mark:
    """The teacher's own total (None: not overridden) and comment on one essay."""

    project_id: int
    total: float | None
    comment: str = ""
    author: str = ""
    updated: float = 0.0


@dataclass
class MarkedProject:
    """What the class view needs of one project: who, what, the newest critique, the mark."""

    project_id: int
    uid: str
    student: str
    title: str
    query: str
    query_type: str
    answer: str
    critique: dict[str, Any] | None  # the newest critique's JSON
    critique_current: bool  # it judged the current text
    mark: Mark | None
    annotations: list[dict[str, Any]] = field(default_factory=list)


class MarkingStore:
    def __init__(self, database: Database, clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.clock = clock

    @property
    def _conn(self) -> sqlite3.Connection:
        return self.database.conn

    # -- which essays ---------------------------------------------------------------------------
    def tagged(self, tag: str) -> list[int]:
        """The projects with ``tag`` that have a text, not in the trash: by student, then title."""
        rows = self._conn.execute(
            "SELECT id FROM projects WHERE trashed IS NULL AND answer != ''"
            " AND EXISTS (SELECT 1 FROM json_each(projects.tags) WHERE value = ?)"
            " ORDER BY student = '', student, title, id",
            (tag,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def uncritiqued(self, project_ids: list[int]) -> list[int]:
        """Those of ``project_ids`` whose current text has no critique yet (none, or an older
        revision's), in the same order: :meth:`marked`'s ``critique_current``, negated."""
        return [m.project_id for m in self.marked(project_ids) if not m.critique_current]

    # -- the queue ------------------------------------------------------------------------------
    def next_batch(
        self,
        kind: str,
        tag: str = "",
        project_ids: list[int] | None = None,
        *,
        again: bool = False,
        options: dict[str, Any] | None = None,
    ) -> Batch | None:
        """The batch to run for the essays tagged ``tag`` (or ``project_ids``): the tag's
        unfinished batch when there is one (it resumes), else a new one over the essays whose
        current text has no critique yet (``again``: all of them). None when every essay's
        current text is critiqued already."""
        if tag:
            unfinished = self.unfinished(kind, tag)
            if unfinished is not None:
                return unfinished
            project_ids = self.tagged(tag)
            if not project_ids:
                raise StorageError(f"没有标签为「{tag}」且有正文的作文 (no essays tagged {tag})")
        ids = list(project_ids or [])
        todo = ids if again else self.uncritiqued(ids)
        return self.start(kind, tag, todo, options or {}) if todo else None

    def start(self, kind: str, label: str, project_ids: list[int], options: dict[str, Any]) -> Batch:
        """A new batch over ``project_ids`` (in that order), all pending."""
        if not project_ids:
            raise StorageError("没有要点评的作文 (no essays to critique)")
        with self.database.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO batches (kind, label, options, created) VALUES (?, ?, ?, ?)",
                (kind, label, json.dumps(options, ensure_ascii=False), self.clock()),
            )
            batch_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT OR IGNORE INTO batch_items (batch_id, project_id, position) VALUES (?, ?, ?)",
                [(batch_id, pid, i) for i, pid in enumerate(project_ids)],
            )
        return self.batch(batch_id)

    def unfinished(self, kind: str, label: str | None = None) -> Batch | None:
        """The newest batch of ``kind`` (with ``label``, when given) that still has pending items."""
        sql = "SELECT id FROM batches WHERE kind = ? AND finished IS NULL"
        args: tuple[Any, ...] = (kind,)
        if label is not None:
            sql += " AND label = ?"
            args += (label,)
        row = self._conn.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return self.batch(int(row[0])) if row else None

    def batch(self, batch_id: int) -> Batch:
        row = self._conn.execute(
            "SELECT b.id, b.kind, b.label, b.options, b.created, b.finished, b.cancelled,"
            " COUNT(i.project_id), SUM(i.state = 'done'), SUM(i.state = 'failed')"
            " FROM batches b LEFT JOIN batch_items i ON i.batch_id = b.id WHERE b.id = ? GROUP BY b.id",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise StorageError(f"没有编号为 {batch_id} 的批次 (no batch {batch_id})")
        return Batch(
            int(row[0]),
            row[1],
            row[2],
            json.loads(row[3] or "{}"),
            row[4],
            row[5],
            row[6],
            int(row[7] or 0),
            int(row[8] or 0),
            int(row[9] or 0),
        )

    def items(self, batch_id: int, state: str | None = None) -> list[BatchItem]:
        """The batch's items in queue order (only those in ``state``, when given)."""
        sql = (
            "SELECT i.project_id, i.position, i.state, p.student, p.title, i.error"
            " FROM batch_items i JOIN projects p ON p.id = i.project_id WHERE i.batch_id = ?"
        )
        args: tuple[Any, ...] = (batch_id,)
        if state is not None:
            sql += " AND i.state = ?"
            args += (state,)
        rows = self._conn.execute(sql + " ORDER BY i.position", args).fetchall()
        return [BatchItem(*r) for r in rows]

    def complete(
        self,
        batch_id: int,
        project_id: int,
        critique: dict[str, Any],
        generation: dict[str, Any] | None = None,
    ) -> int:
        """Keep the item's critique (and its generation log, for a model's) and mark it done, in
        one transaction. An item already done is left as it is, and nothing is stored (returns 0)."""
        with self.database.transaction() as conn:
            row = conn.execute(
                "SELECT state FROM batch_items WHERE batch_id = ? AND project_id = ?", (batch_id, project_id)
            ).fetchone()
            if row is None or row[0] == DONE:
                return 0
            now = self.clock()
            if generation is not None:
                insert_generation(
                    conn,
                    project_id,
                    "critique",
                    str(generation.get("model", "")),
                    generation.get("params", {}),
                    generation.get("stats", {}),
                    now,
                )
            critique_id = insert_critique(conn, project_id, critique, now)
            conn.execute(
                "UPDATE batch_items SET state = 'done', critique_id = ?, error = '', finished = ?"
                " WHERE batch_id = ? AND project_id = ?",
                (critique_id, now, batch_id, project_id),
            )
            self._close_if_done(conn, batch_id, now)
            return critique_id

    def fail(self, batch_id: int, project_id: int, error: str) -> None:
        """The item could not be critiqued (its text is refused): say why, and go on."""
        with self.database.transaction() as conn:
            now = self.clock()
            conn.execute(
                "UPDATE batch_items SET state = 'failed', error = ?, finished = ?"
                " WHERE batch_id = ? AND project_id = ? AND state = 'pending'",
                (error[:500], now, batch_id, project_id),
            )
            self._close_if_done(conn, batch_id, now)

    def note_cancelled(self, batch_id: int) -> None:
        """The user stopped it: it stays unfinished, to resume."""
        with self.database.transaction() as conn:
            conn.execute("UPDATE batches SET cancelled = ? WHERE id = ?", (self.clock(), batch_id))

    @staticmethod
    def _close_if_done(conn: sqlite3.Connection, batch_id: int, now: float) -> None:
        conn.execute(
            "UPDATE batches SET finished = ? WHERE id = ? AND finished IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM batch_items WHERE batch_id = ? AND state = 'pending')",
            (now, batch_id, batch_id),
        )

    # -- the teacher's marks --------------------------------------------------------------------
    def set_mark(self, project_id: int, total: float | None, comment: str = "", author: str = "") -> Mark:
        """The teacher's total (None: the critique's stands) and comment for one essay."""
        if total is not None and total < 0:
            raise StorageError("分数不能是负数 (a score cannot be negative)")
        with self.database.transaction() as conn:
            if conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone() is None:
                raise StorageError(f"没有编号为 {project_id} 的项目 (no project {project_id})")
            now = self.clock()
            if total is None and not comment.strip():
                conn.execute("DELETE FROM marks WHERE project_id = ?", (project_id,))
            else:
                conn.execute(
                    "INSERT INTO marks (project_id, total, comment, author, updated) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(project_id) DO UPDATE SET total = excluded.total,"
                    " comment = excluded.comment, author = excluded.author, updated = excluded.updated",
                    (project_id, total, comment.strip(), author, now),
                )
        return Mark(project_id, total, comment.strip(), author, now)

    def mark(self, project_id: int) -> Mark | None:
        row = self._conn.execute(
            "SELECT project_id, total, comment, author, updated FROM marks WHERE project_id = ?",
            (project_id,),
        ).fetchone()
        return Mark(*row) if row else None

    # -- the class ------------------------------------------------------------------------------
    def marked(self, project_ids: list[int]) -> list[MarkedProject]:
        """Each project with its newest critique, whether that judged the current text, its
        mark and its open annotations on the text; in the order given, missing ones left out."""
        out = []
        for pid in project_ids:
            row = self._conn.execute(
                "SELECT p.id, p.uid, p.student, p.title, p.query, p.query_type, p.answer,"
                " c.data, c.revision_id,"
                " (SELECT id FROM revisions WHERE project_id = p.id AND field = 'answer' ORDER BY id DESC LIMIT 1)"
                " FROM projects p LEFT JOIN critiques c ON c.id ="
                " (SELECT id FROM critiques WHERE project_id = p.id ORDER BY id DESC LIMIT 1)"
                " WHERE p.id = ?",
                (pid,),
            ).fetchone()
            if row is None:
                continue
            notes = self._conn.execute(
                "SELECT start, end, quote, body, author FROM annotations"
                " WHERE project_id = ? AND field = 'answer' AND resolved = 0 ORDER BY start",
                (pid,),
            ).fetchall()
            out.append(
                MarkedProject(
                    project_id=int(row[0]),
                    uid=row[1],
                    student=row[2] or "",
                    title=row[3],
                    query=row[4],
                    query_type=row[5],
                    answer=row[6],
                    critique=json.loads(row[7]) if row[7] else None,
                    critique_current=row[7] is not None and row[8] == row[9],
                    mark=self.mark(pid),
                    annotations=[
                        dict(zip(("start", "end", "quote", "body", "author"), n, strict=True)) for n in notes
                    ],
                )
            )
        return out
