"""Import COIG-Writer records (a JSON array or JSONL) as exemplars: streamed, idempotent, and every
rejected record reported with its line number and reason. Valid records are kept either way."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from writer_app.errors import BadInputError
from writer_app.storage.db import Database
from writer_app.storage.search import SearchIndex
from writer_app.textio import open_binary

MAX_FIELD_CHARS = 200_000  # one record's field; COIG-Writer answers are a few thousand
MAX_RECORD_BYTES = 4 * 1024 * 1024
CHUNK = 1 << 16
TEXT_FIELDS = ("id", "query_type", "query", "thought", "answer", "link", "score")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass
class ImportReport:
    added: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": [{"line": n, "reason": r} for n, r in self.rejected],
        }


# --------------------------------------------------------------------------------------------
# reading: (line, record or error) pairs, streamed
# --------------------------------------------------------------------------------------------
def iter_records(fh: IO[bytes]) -> Iterator[tuple[int, Any, str]]:
    """Yield ``(line, value, error)`` for each record of a JSON array or JSONL byte stream."""
    head = fh.read(CHUNK)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    stripped = head.lstrip()
    if stripped.startswith(b"["):
        yield from _iter_array(fh, head)
    else:
        yield from _iter_lines(fh, head)


def _decode(raw: bytes) -> tuple[Any, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"不是 UTF-8 文本 (not UTF-8 at byte {exc.start})"
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"JSON 格式错误 (malformed JSON: {exc.msg})"
    except RecursionError:
        return None, "JSON 嵌套过深 (JSON nested too deeply)"


def _iter_lines(fh: IO[bytes], head: bytes) -> Iterator[tuple[int, Any, str]]:
    buf = head
    line_no = 0
    too_long = False
    while True:
        nl = buf.find(b"\n")
        if nl < 0:
            more = fh.read(CHUNK)
            if more:
                if len(buf) > MAX_RECORD_BYTES:  # drop the oversized line's bytes as they stream past
                    too_long = True
                    buf = b""
                buf += more
                continue
            line, buf = buf, b""
            if not line and not too_long:
                return
        else:
            line, buf = buf[:nl], buf[nl + 1 :]
        line_no += 1
        if too_long:
            too_long = False
            yield (
                line_no,
                None,
                f"这一行超过 {MAX_RECORD_BYTES // 1024 // 1024} MB 的上限 (line over the size limit)",
            )
        elif line.strip():
            value, err = _decode(line.strip())
            yield line_no, value, err
        if nl < 0 and not buf:
            more = fh.read(CHUNK)
            if not more:
                return
            buf = more


def _iter_array(fh: IO[bytes], head: bytes) -> Iterator[tuple[int, Any, str]]:
    """Items of a top-level JSON array, one at a time, with the line each starts on."""
    decoder = json.JSONDecoder()
    text = ""
    pending = b""
    line = 1

    def _append(chunk: bytes) -> bool:
        nonlocal text, pending
        if not chunk:
            return False
        data = pending + chunk
        try:
            text += data.decode("utf-8")
            pending = b""
        except UnicodeDecodeError as exc:
            if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
                text += data[: exc.start].decode("utf-8")
                pending = data[exc.start :]
            else:
                raise BadInputError(f"文件不是 UTF-8 文本 (not UTF-8 near byte {exc.start})") from None
        return True

    _append(head)
    pos = 0
    # skip to the opening bracket
    while True:
        while pos < len(text) and text[pos].isspace():
            line += text[pos] == "\n"
            pos += 1
        if pos < len(text):
            break
        if not _append(fh.read(CHUNK)):
            return
    pos += 1  # "["
    while True:
        # skip whitespace and commas between items
        while True:
            while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
                line += text[pos] == "\n"
                pos += 1
            if pos < len(text) or not _append(fh.read(CHUNK)):
                break
        if pos >= len(text):
            yield line, None, "JSON 数组没有结束 (the JSON array is not closed)"
            return
        if text[pos] == "]":
            return
        start_line = line
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
                break
            except json.JSONDecodeError as exc:
                if len(text) - pos > MAX_RECORD_BYTES:
                    yield (
                        start_line,
                        None,
                        "记录过大或格式错误，已停止读取 (record too large or malformed; stopped)",
                    )
                    return
                if not _append(fh.read(CHUNK)):
                    yield start_line, None, f"JSON 格式错误 (malformed JSON: {exc.msg})"
                    return
            except RecursionError:
                yield start_line, None, "JSON 嵌套过深 (JSON nested too deeply)"
                return
        line += text.count("\n", pos, end)
        yield start_line, value, ""
        text = text[end:]
        pos = 0


# --------------------------------------------------------------------------------------------
# validating and storing
# --------------------------------------------------------------------------------------------
def check_record(value: Any) -> tuple[dict[str, str] | None, str]:
    if not isinstance(value, dict):
        return None, "不是 JSON 对象 (not a JSON object)"
    rec: dict[str, str] = {}
    for key in TEXT_FIELDS:
        v = value.get(key)
        if v is None:
            continue
        if key in ("id", "score") and isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if not isinstance(v, str):
            return None, f"字段 {key} 应是文本 (field {key} must be a string, got {type(v).__name__})"
        if len(v) > MAX_FIELD_CHARS:
            return None, f"字段 {key} 有 {len(v)} 字，超过上限 {MAX_FIELD_CHARS} (field {key} over the limit)"
        rec[key] = v
    for key in ("query", "answer"):
        if not rec.get(key, "").strip():
            return None, f"缺少 {key} (missing {key})"
    return rec, ""


def score_value(score: str) -> float | None:
    m = _NUMBER.search(score or "")
    return float(m.group(0)) if m else None


def content_hash(rec: dict[str, str]) -> str:
    h = hashlib.sha256()
    for key in ("query_type", "query", "thought", "answer"):
        h.update(rec.get(key, "").encode("utf-8") + b"\x00")
    return h.hexdigest()


def import_coig(database: Database, index: SearchIndex, path: Path, batch: int = 200) -> ImportReport:
    """Import a COIG-Writer JSON array or JSONL file. Commits in batches; a killed import keeps
    whole batches and a re-run skips what is already there."""
    report = ImportReport()
    fh = open_binary(path)
    with fh:
        pending: list[tuple[int, dict[str, str]]] = []
        for line, value, err in iter_records(fh):
            if err:
                report.rejected.append((line, err))
                continue
            rec, err = check_record(value)
            if rec is None:
                report.rejected.append((line, err))
                continue
            pending.append((line, rec))
            if len(pending) >= batch:
                _store(database, index, pending, report)
                pending = []
        if pending:
            _store(database, index, pending, report)
    return report


def _store(
    database: Database, index: SearchIndex, records: list[tuple[int, dict[str, str]]], report: ImportReport
) -> None:
    now = time.time()
    with database.transaction() as conn:
        for _line, rec in records:
            digest = content_hash(rec)
            source_id = rec.get("id") or None
            if source_id is not None:
                dup = conn.execute("SELECT 1 FROM exemplars WHERE source_id = ?", (source_id,)).fetchone()
            else:
                dup = conn.execute("SELECT 1 FROM exemplars WHERE content_hash = ?", (digest,)).fetchone()
            if dup or conn.execute("SELECT 1 FROM exemplars WHERE content_hash = ?", (digest,)).fetchone():
                report.duplicates += 1
                continue
            cur = conn.execute(
                "INSERT INTO exemplars (source_id, content_hash, query_type, query, thought, answer, link, score,"
                " score_value, imported) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    digest,
                    rec.get("query_type", ""),
                    rec["query"],
                    rec.get("thought", ""),
                    rec["answer"],
                    rec.get("link", ""),
                    rec.get("score", ""),
                    score_value(rec.get("score", "")),
                    now,
                ),
            )
            index.index_exemplar(
                conn, int(cur.lastrowid or 0), rec["query"], rec.get("thought", ""), rec["answer"]
            )
            report.added += 1
