"""Full-text search over projects and exemplars: FTS5 over jieba-segmented text, ranked by BM25,
with highlighted snippets. Projects are (re)indexed lazily: typing stays cheap, and a search first
indexes every project changed since it was last indexed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from writer_app.storage.db import Database

HIGHLIGHT = ("【", "】")
RANK = "bm25(search_index, 0, 0, 3.0, 1.0, 0.5)"  # title words count 3×, subwords half
_SPACE_BETWEEN_CJK = re.compile(
    r"(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) +(?=[【】])|(?<=[【】]) +"
)


@dataclass
class Hit:
    doc_type: str  # project | exemplar
    doc_id: int
    title: str
    snippet: str
    score: float  # BM25 (lower is better in SQLite; reported positive, higher is better)
    query_type: str = ""
    updated: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class SearchIndex:
    def __init__(
        self,
        database: Database,
        segment: Callable[[str], list[str]],
        subwords: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        """``segment``: jieba's words (shown in snippets); ``subwords``: the shorter words inside
        long ones ("围棋" inside "下围棋"), kept in a hidden column so they match too."""
        self.database = database
        self.segment = segment
        self.subwords = subwords

    def _columns(self, title: str, body: str) -> tuple[str, str, str]:
        """The indexed columns: title words, body words, and search-mode subwords not among them."""
        t = [w for w in self.segment(title) if w and not w.isspace()]  # a token is all space or none
        b = [w for w in self.segment(body) if w and not w.isspace()]
        extra = ""
        if self.subwords is not None:
            plain = set(t) | set(b)
            extra = " ".join(w for w in self.subwords(t + b) if w not in plain)
        return " ".join(t), " ".join(b), extra

    def _query_words(self, text: str) -> list[str]:
        return [w for w in (t.strip() for t in self.segment(text)) if w and any(c.isalnum() for c in w)]

    def index_exemplar(self, conn: Any, exemplar_id: int, query: str, thought: str, answer: str) -> None:
        rowid = exemplar_id * 2 + 1  # fixed rowids (schema v2): one lookup to replace a document
        conn.execute("DELETE FROM search_index WHERE rowid = ?", (rowid,))
        conn.execute(
            "INSERT INTO search_index (rowid, doc_type, doc_id, title, body, extra) VALUES (?, 'exemplar', ?, ?, ?, ?)",
            (rowid, exemplar_id, *self._columns(query, f"{thought}\n{answer}")),
        )

    def refresh(self) -> int:
        """Index the projects changed since they were last indexed; returns how many."""
        conn = self.database.conn
        if self.database.read_only:
            return 0  # search what is indexed already
        stale = conn.execute(
            "SELECT id, title, query, thought, answer, trashed, updated FROM projects WHERE indexed < updated OR indexed = 0"
        ).fetchall()
        if not stale:
            return 0
        with self.database.transaction() as tx:
            for pid, title, query, thought, answer, trashed, updated in stale:
                tx.execute("DELETE FROM search_index WHERE rowid = ?", (pid * 2,))
                if trashed is None:
                    tx.execute(
                        "INSERT INTO search_index (rowid, doc_type, doc_id, title, body, extra)"
                        " VALUES (?, 'project', ?, ?, ?, ?)",
                        (pid * 2, pid, *self._columns(f"{title}\n{query}", f"{thought}\n{answer}")),
                    )
                tx.execute("UPDATE projects SET indexed = ? WHERE id = ?", (updated or 1e-9, pid))
        return len(stale)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        doc_type: str | None = None,
        query_type: str | None = None,
        tag: str | None = None,
        since: float | None = None,
    ) -> list[Hit]:
        words = self._query_words(query)
        if not words:
            return []
        self.refresh()
        match = _fts_match(words, " ")  # every word
        where = ["search_index MATCH ?"]
        args: list[Any] = [match]
        if doc_type:
            where.append("s.doc_type = ?")
            args.append(doc_type)
        if query_type:
            where.append("coalesce(p.query_type, e.query_type) = ?")
            args.append(query_type)
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(p.tags) WHERE value = ?)")
            args.append(tag)
        if since is not None:
            where.append("coalesce(p.updated, e.imported) >= ?")
            args.append(since)
        sql = f"""
            SELECT s.doc_type, s.doc_id,
                   coalesce(nullif(p.title, ''), substr(coalesce(p.query, e.query), 1, 40)),
                   snippet(search_index, 3, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', '…', 24),
                   snippet(search_index, 2, '{HIGHLIGHT[0]}', '{HIGHLIGHT[1]}', '…', 24),
                   {RANK} AS rank,
                   coalesce(p.query_type, e.query_type, ''), coalesce(p.updated, e.imported, 0)
            FROM search_index s
            LEFT JOIN projects p ON s.doc_type = 'project' AND p.id = s.doc_id
            LEFT JOIN exemplars e ON s.doc_type = 'exemplar' AND e.id = s.doc_id
            WHERE {" AND ".join(where)}
            ORDER BY rank LIMIT ?"""
        rows = self.database.conn.execute(sql, (*args, limit)).fetchall()
        unindexed = self._unindexed() if self.database.read_only else {}
        hits = []
        for dt, did, title, body_snip, title_snip, rank, qt, updated in rows:
            if dt == "project" and did in unindexed:
                continue  # its index entry is stale; it is scanned below instead
            snip = body_snip if HIGHLIGHT[0] in body_snip else title_snip
            hits.append(Hit(dt, did, title or "", _unspace(snip), round(-rank, 3), qt, updated))
        if unindexed and doc_type in (None, "project"):
            hits = self._scan(unindexed, query, query_type, tag, since) + hits
        return hits[:limit]

    def _unindexed(self) -> dict[int, tuple[Any, ...]]:
        """Projects changed since they were indexed, which a read-only folder cannot index."""
        rows = self.database.conn.execute(
            "SELECT id, title, query, thought, answer, query_type, tags, updated FROM projects"
            " WHERE (indexed < updated OR indexed = 0) AND trashed IS NULL"
        ).fetchall()
        return {r[0]: r[1:] for r in rows}

    def _scan(
        self,
        rows: dict[int, tuple[Any, ...]],
        query: str,
        query_type: str | None,
        tag: str | None,
        since: float | None,
    ) -> list[Hit]:
        """Plain substring search over ``rows``: slower than the index, but nothing is missed."""
        words = [w.lower() for w in query.split() if w.strip()]
        hits = []
        for pid, (title, q, thought, answer, qt, tags, updated) in rows.items():
            text = f"{title}\n{q}\n{thought}\n{answer}"
            low = text.lower()
            if not words or not all(w in low for w in words):
                continue
            if (query_type and qt != query_type) or (since is not None and updated < since):
                continue
            if tag and tag not in json.loads(tags or "[]"):
                continue
            at = low.find(words[0])
            snippet = text[max(0, at - 20) : at + len(words[0]) + 40].replace("\n", " ")
            hits.append(Hit("project", pid, title or q[:40], snippet, 0.0, qt or "", updated))
        return hits

    def similar_exemplars(
        self, text: str, *, query_type: str | None = None, with_thought: bool = True, limit: int = 3
    ) -> list[int]:
        """Ids of the exemplars most like ``text`` (any of its words, BM25-ranked, prompt words
        weighted most): retrieval for the outline step."""
        words = [w for w in dict.fromkeys(self._query_words(text)) if len(w) >= 2 or w.isascii()]
        if not words:
            return []
        match = _fts_match(words[:64], " OR ")  # any word
        where = ["search_index MATCH ?", "s.doc_type = 'exemplar'"]
        args: list[Any] = [match]
        if query_type:
            where.append("e.query_type = ?")
            args.append(query_type)
        if with_thought:
            where.append("e.thought != ''")
        sql = f"""SELECT s.doc_id FROM search_index s JOIN exemplars e ON e.id = s.doc_id
                  WHERE {" AND ".join(where)} ORDER BY {RANK} LIMIT ?"""
        return [r[0] for r in self.database.conn.execute(sql, (*args, limit)).fetchall()]


def _fts_match(words: list[str], op: str) -> str:
    """An FTS5 query of quoted words joined by ``op``."""
    return op.join('"' + w.replace('"', '""') + '"' for w in words)


def _unspace(text: str) -> str:
    """Segmented text has spaces between words; Chinese reads without them."""
    return _SPACE_BETWEEN_CJK.sub("", text)
