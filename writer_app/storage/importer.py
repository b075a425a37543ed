"""Import COIG-Writer records (a JSON array or JSONL) as exemplars: streamed, idempotent, and every
rejected record reported with its line number and reason. Valid records are kept either way."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from writer_app.errors import BadInputError
from writer_app.storage.db import Database
from writer_app.storage.search import SearchIndex
from writer_app.textio import bad_unicode, open_binary

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
    stopped: tuple[int, str] | None = None  # (line, reason): nothing from this line on could be read
    encoding: str = "utf-8"

    @property
    def ok(self) -> bool:
        return not self.rejected and self.stopped is None

    def notes(self) -> list[str]:
        """One bilingual line for what was not stored beyond the rejected lines."""
        out = []
        if not self.encoding.startswith("utf-8"):
            out.append(f"按 {self.encoding} 编码读取 (read as {self.encoding})")
        if self.stopped:
            line, reason = self.stopped
            out.append(f"第 {line} 行起没有导入：{reason} (nothing from line {line} on was imported)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "rejected": [{"line": n, "reason": r} for n, r in self.rejected],
            "stopped": {"line": self.stopped[0], "reason": self.stopped[1]} if self.stopped else None,
            "encoding": self.encoding,
        }


# --------------------------------------------------------------------------------------------
# reading: (line, record or error) pairs, streamed
# --------------------------------------------------------------------------------------------
class _Stop:
    """The value yielded with an error after which nothing more of the file could be read."""


STOPPED = _Stop()


class _Reader(Protocol):
    def read(self, n: int = ...) -> bytes: ...


class _Recoded:
    """A binary stream in another encoding, read as UTF-8 bytes, chunk by chunk."""

    def __init__(self, fh: _Reader, encoding: str) -> None:
        self._fh = fh
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._encoding = encoding
        self._offset = 0

    def read(self, n: int = CHUNK) -> bytes:
        while True:  # b"" means the end, so a chunk that is half a character reads on
            raw = self._fh.read(n)
            try:
                text = self._decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                raise BadInputError(
                    f"文件在第 {self._offset + exc.start} 字节附近无法按 {self._encoding} 解码"
                    f" (cannot decode as {self._encoding} near byte {self._offset + exc.start})"
                ) from None
            self._offset += len(raw)
            if text or not raw:
                return text.encode("utf-8")


class _Prefixed:
    """``head`` (already read) followed by the rest of ``fh``."""

    def __init__(self, head: bytes, fh: _Reader) -> None:
        self._head = head
        self._fh = fh

    def read(self, n: int = CHUNK) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            return out
        return self._fh.read(n)


def _truncated_ok(data: bytes, encoding: str) -> bool:
    """Whether ``data`` decodes as ``encoding``, allowing a character cut at the end."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(head: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 (BOM, or the zero bytes of ASCII JSON) or GB18030/GBK."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and head[1] == 0 and head[0] != 0:
        return "utf-16-le"
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be"
    if _truncated_ok(head, "utf-8") or not _truncated_ok(head, "gb18030"):
        return "utf-8"  # a bad line in UTF-8 is rejected alone, with its number
    return "gb18030"


def iter_records(fh: IO[bytes], encoding: list[str] | None = None) -> Iterator[tuple[int, Any, str]]:
    """Yield ``(line, value, error)`` for each record of a JSON array or JSONL byte stream.

    ``value`` is :data:`STOPPED` with the error after which the rest of the file cannot be read.
    The encoding found is appended to ``encoding`` when given.
    """
    head = fh.read(CHUNK)
    enc = detect_encoding(head)
    if encoding is not None:
        encoding.append(enc)
    if enc == "utf-8-sig":
        head = head[3:]
    elif enc != "utf-8":
        fh = _Recoded(_Prefixed(head, fh), enc)  # type: ignore[assignment]
        head = fh.read(CHUNK)
    stripped = head.lstrip()
    items = _iter_array(fh, head) if stripped.startswith(b"[") else _iter_lines(fh, head)
    line = 1
    try:
        for item in items:
            line = item[0]
            yield item
    except BadInputError as exc:  # the file stops decoding part way: what came before is kept
        yield line, STOPPED, str(exc)


def _decode(raw: bytes) -> tuple[Any, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"不是 UTF-8 文本 (not UTF-8 at byte {exc.start})"
    return _decode_text(text)


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


_OUTSIDE = re.compile(r'[\[\]{}"]')
_INSIDE = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]\s]")


class _ArrayText:
    """The decoded text of a JSON array, read on demand; counts the lines of what is dropped."""

    def __init__(self, fh: IO[bytes], head: bytes) -> None:
        self.fh = fh
        self.text = ""
        self.pending = b""
        self.line = 1
        self.append(head)

    def append(self, chunk: bytes) -> bool:
        if not chunk:
            return False
        data = self.pending + chunk
        try:
            self.text += data.decode("utf-8")
            self.pending = b""
        except UnicodeDecodeError as exc:
            if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
                self.text += data[: exc.start].decode("utf-8", errors="surrogateescape")
                self.pending = data[exc.start :]
            else:  # kept as lone surrogates, so the record that holds them is rejected alone
                self.text += data.decode("utf-8", errors="surrogateescape")
                self.pending = b""
        return True

    def more(self) -> bool:
        return self.append(self.fh.read(CHUNK))

    def drop(self, upto: int) -> None:
        self.line += self.text.count("\n", 0, upto)
        self.text = self.text[upto:]


def _item_end(buf: _ArrayText) -> tuple[int, bool]:
    """Where the array item at the start of ``buf.text`` ends: ``(end, closed)``.

    Brackets and strings are followed, not parsed, so a malformed item is found whole and rejected
    alone. ``closed`` is False when the file ends inside the item (nothing after it can be read).
    An item longer than the record limit returns as soon as it is known to be too long.
    """
    if buf.text[0] not in '[{"':
        while not (m := _SCALAR_END.search(buf.text)):
            if not buf.more():
                return len(buf.text), True
        return m.start(), True
    depth = 0
    i = 0
    in_str = False
    while True:
        m = (_INSIDE if in_str else _OUTSIDE).search(buf.text, i)
        if m is None:
            i = len(buf.text)
            if i > MAX_RECORD_BYTES:
                return i, True
            if not buf.more():
                return i, False
            continue
        c = m.group()
        i = m.end()
        if in_str:
            if c == "\\":
                if i >= len(buf.text) and not buf.more():
                    return i, False
                i += 1
            else:
                in_str = False
                if depth == 0:
                    return i, True
        elif c == '"':
            in_str = True
        elif c in "[{":
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                return i, True


UNCLOSED = (
    "从这一行起 JSON 格式错误（括号或引号没有闭合），之后的内容无法读取"
    " (malformed from here on: an unclosed bracket or quote; the rest could not be read)"
)


def _iter_array(fh: IO[bytes], head: bytes) -> Iterator[tuple[int, Any, str]]:
    """Items of a top-level JSON array, one at a time, with the line each starts on. A malformed
    item is rejected alone and reading goes on with the next one."""
    buf = _ArrayText(fh, head)
    pos = buf.text.index("[") + 1
    while True:
        while True:  # whitespace and commas between items
            while pos < len(buf.text) and (buf.text[pos].isspace() or buf.text[pos] == ","):
                pos += 1
            if pos < len(buf.text) or not buf.more():
                break
        buf.drop(pos)
        if not buf.text:
            yield buf.line, STOPPED, "JSON 数组没有结束 (the JSON array is not closed)"
            return
        if buf.text[0] == "]":
            return
        end, closed = _item_end(buf)
        if end > MAX_RECORD_BYTES:
            yield (
                buf.line,
                STOPPED,
                (
                    f"记录超过 {MAX_RECORD_BYTES // 1024 // 1024} MB 的上限，之后的内容未读取"
                    " (record over the size limit; the rest was not read)"
                ),
            )
            return
        if not closed:
            yield buf.line, STOPPED, UNCLOSED
            return
        value, err = _decode_text(buf.text[:end])
        yield buf.line, value, err
        pos = end


def _decode_text(text: str) -> tuple[Any, str]:
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"JSON 格式错误 (malformed JSON: {exc.msg})"
    except RecursionError:
        return None, "JSON 嵌套过深 (JSON nested too deeply)"


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
            return None, f"字段 {key} 过长：{len(v)} 字，上限 {MAX_FIELD_CHARS} (field {key} is too long)"
        if bad_unicode(v):
            return None, (
                f"字段 {key} 含有无效字符（孤立代理项或不是 UTF-8 的字节）"
                f" (field {key} holds invalid Unicode: a lone surrogate or a non-UTF-8 byte)"
            )
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
    encoding: list[str] = []
    with fh:
        pending: list[tuple[int, dict[str, str]]] = []
        for line, value, err in iter_records(fh, encoding):
            if value is STOPPED:
                report.stopped = (line, err)
                break
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
    report.encoding = encoding[0] if encoding else "utf-8"
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
