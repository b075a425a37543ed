"""Project bundles: one file carrying projects with their revisions and annotations, for teacher ↔
student exchange.

A bundle is a zip holding ``manifest.json`` and ``projects/<uid>.json``. Reading one never trusts
it: the file size, the number of entries, each entry's real (not declared) size, the compression
ratio and every entry name are checked, then every project is validated, all before the database
is touched. Importing merges in one transaction:

- a project not here is added as it is (same uid, texts, revisions and annotations);
- a project already here gains the revisions and annotations it lacks; its current texts are
  never overwritten: an incoming text that differs becomes a ``conflict`` revision.

A marked essay travels back with its marking: the critiques it lacks (told apart by when they
were made and what they say), and the teacher's total and comment (the newer one wins). The
student's name and the file it came from travel too, so a class's bundle re-imported by the
teacher lands on the same projects.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app import __version__
from writer_app.errors import BadInputError
from writer_app.storage.db import Database
from writer_app.storage.marking import MarkingStore
from writer_app.storage.projects import ANNOTATABLE, FIELDS, ProjectStore, reanchor
from writer_app.textio import bad_unicode, open_binary

FORMAT = "writer-companion-bundle"
SUFFIX = ".wcbundle"
VERSION = 1
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # text compresses ~3–10×; a zip bomb compresses thousands of times
MAX_FIELD_CHARS = 1_000_000
MAX_ITEMS = 50_000
ZIP_MAGIC = b"PK\x03\x04"
_UID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


@dataclass
class BundleReport:
    projects_added: int = 0
    projects_merged: int = 0
    revisions_added: int = 0
    annotations_added: int = 0
    critiques_added: int = 0
    marks_updated: int = 0  # the teacher's total and comment, newer than the one here
    conflicts: int = 0  # incoming texts kept as revisions instead of replacing local text
    # revisions or annotations whose uid belongs to another local project: kept under a new uid,
    # the other project untouched
    uid_conflicts: int = 0
    project_ids: list[int] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (entry name, reason): not stored
    trashed: list[tuple[int, str]] = field(default_factory=list)  # merged projects still in the trash

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["rejected"] = [{"entry": n, "reason": r} for n, r in self.rejected]
        d["trashed"] = [{"id": i, "title": t} for i, t in self.trashed]
        return d

    def notes(self) -> list[str]:
        """One line for each thing beyond the counts the user should know (bilingual)."""
        out = []
        if self.conflicts:
            out.append(
                f"{self.conflicts} 处文本与本地不同：本地文本未被覆盖，导入的文本已存为版本，可在历史中查看"
                " (texts that differ were kept as revisions; local text unchanged)"
            )
        if self.uid_conflicts:
            out.append(
                f"{self.uid_conflicts} 个版本或批注的编号与另一个项目的相同：已以新编号保存，另一个项目未改动"
                " (uids that belong to another project were stored under new uids; that project is unchanged)"
            )
        if self.critiques_added or self.marks_updated:
            out.append(
                f"带回点评 {self.critiques_added} 份、教师评分 {self.marks_updated} 份"
                f" (critiques and teacher's marks brought back)"
            )
        for pid, title in self.trashed:
            out.append(
                f"项目 {pid}「{title}」在回收站中，已合并但仍在回收站；用 writer-app project restore {pid} 恢复"
                " (merged, still in the trash)"
            )
        for name, reason in self.rejected:
            out.append(f"未导入 (not imported) {name}：{reason}")
        return out


def is_bundle(path: Path) -> bool:
    """A zip by its first bytes, or anything named ``.wcbundle`` (a damaged bundle is still one)."""
    if path.suffix.lower() == SUFFIX:
        return True
    with open_binary(path) as fh:  # refuses FIFOs and devices before open; one-line errors
        return fh.read(4) == ZIP_MAGIC


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
def project_record(store: ProjectStore, project_id: int) -> dict[str, Any]:
    p = store.get(project_id)
    rec = {k: getattr(p, k) for k in ("uid", "title", "query_type", "query", "thought", "answer", "tags")}
    rec.update(created=p.created, updated=p.updated, student=p.student, source=p.source)
    rec["revisions"] = [
        {k: getattr(r, k) for k in ("uid", "field", "text", "kind", "label", "created")}
        for r in reversed(store.revisions(project_id))
    ]
    rec["annotations"] = [
        {
            k: getattr(a, k)
            for k in (
                "uid",
                "field",
                "start",
                "end",
                "quote",
                "body",
                "author",
                "created",
                "resolved",
                "detached",
            )
        }
        for a in store.annotations(project_id)
    ]
    conn = store.database.conn
    rec["critiques"] = []
    for c in reversed(store.critiques(project_id)):
        row = conn.execute("SELECT uid FROM revisions WHERE id = ?", (c["revision_id"],)).fetchone()
        rec["critiques"].append(
            {k: c[k] for k in ("rubric", "total", "max_total", "source", "data", "created")}
            | {"revision": row[0] if row else ""}
        )
    mark = MarkingStore(store.database).mark(project_id)
    if mark is not None:
        rec["mark"] = {
            "total": mark.total,
            "comment": mark.comment,
            "author": mark.author,
            "updated": mark.updated,
        }
    return rec


def build_bundle(store: ProjectStore, project_ids: list[int]) -> bytes:
    records = [project_record(store, pid) for pid in project_ids]
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "app_version": __version__,
        "created": time.time(),
        "projects": [
            {"uid": r["uid"], "title": r["title"], "file": f"projects/{r['uid']}.json"} for r in records
        ],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        for r in records:
            zf.writestr(f"projects/{r['uid']}.json", json.dumps(r, ensure_ascii=False))
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# reading and validating
# --------------------------------------------------------------------------------------------
class _BundleError(BadInputError):
    """A problem with the bundle or one of its entries; ``reason`` is it without the framing."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"项目包无效：{reason} (invalid bundle; nothing was imported)")
        self.reason = reason


class _Oversized(_BundleError):
    """An entry too large or too compressed: the whole bundle is refused, not only its record."""


def _bad(reason: str, cls: type[_BundleError] = _BundleError) -> _BundleError:
    return cls(reason)


def _safe_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name or "\x00" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.rstrip("/").split("/"))


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """Read an entry, counting the bytes really produced (declared sizes can lie)."""
    limit = min(MAX_ENTRY_BYTES, budget[0])
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 16):
                out += chunk
                if len(out) > limit:
                    raise _bad(f"{info.filename} 解压后过大 (entry too large when unpacked)", _Oversized)
                if info.compress_size and len(out) > MAX_RATIO * info.compress_size + (1 << 20):
                    raise _bad(
                        f"{info.filename} 压缩比异常，疑似压缩炸弹 (suspicious compression ratio)", _Oversized
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error):
        raise _bad(f"{info.filename} 数据损坏，无法解压 (damaged data, cannot unpack)") from None
    except NotImplementedError:
        raise _bad(f"{info.filename} 用了不支持的压缩方式 (unsupported compression)") from None
    budget[0] -= len(out)
    return bytes(out)


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _bad(f"{name} 不是合法的 JSON ({type(exc).__name__})") from None


def read_bundle(path: Path) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The bundle's valid project records and the (entry, reason) of each invalid one.

    A damaged or unsafe bundle (zip, manifest, names, sizes) raises BadInputError with one line and
    nothing is imported; a project record that fails validation is left out and reported.
    """
    fh = open_binary(path)
    try:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise _bad("文件是空的 (the file is empty)")
        if size > MAX_BUNDLE_BYTES:
            raise _bad(
                f"文件 {size // 1024 // 1024} MB，超过上限 {MAX_BUNDLE_BYTES // 1024 // 1024} MB (too large)"
            )
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _bad(f"不是 zip 文件或已损坏 (not a zip file or damaged: {exc})") from None
        with zf:
            return _read_zip(zf)
    finally:
        fh.close()


def _read_zip(zf: zipfile.ZipFile) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _bad(f"条目 {len(infos)} 个，超过上限 {MAX_ENTRIES} (too many entries)")
    for info in infos:
        if not _safe_name(info.filename):
            raise _bad(f"含有不安全的路径 {info.filename!r} (unsafe path inside)")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_TOTAL_BYTES:
        raise _bad("解压后总大小超过上限 (too large when unpacked)")
    names = {i.filename: i for i in infos}
    if len(names) != len(infos):
        raise _bad("有重名的条目 (duplicate entries)")
    if "manifest.json" not in names:
        raise _bad("缺少 manifest.json (no manifest)")
    budget = [MAX_TOTAL_BYTES]
    manifest = _json(_read_entry(zf, names["manifest.json"], budget), "manifest.json")
    files = _check_manifest(manifest)
    records = []
    rejected: list[tuple[str, str]] = []
    seen: set[str] = set()
    for uid, name in files:
        if name not in names:
            raise _bad(f"清单中的 {name} 不在包里 (listed file missing)")
        try:
            rec = _json(_read_entry(zf, names[name], budget), name)
        except _Oversized:
            raise  # a bomb or an oversized entry condemns the whole file
        except _BundleError as exc:  # this record only: the others are still imported
            rejected.append((name, exc.reason))
            continue
        err = check_project(rec)
        if not err and (rec["uid"] != uid or uid in seen):
            err = "uid 与清单不符或重复 (uid does not match the manifest)"
        if err:
            rejected.append((name, err))
            continue
        seen.add(uid)
        records.append(rec)
    if rejected and not records:
        name, reason = rejected[0]
        more = f"（另有 {len(rejected) - 1} 个）" if len(rejected) > 1 else ""
        raise _bad(f"{name}: {reason}{more}")
    return records, rejected


def _check_manifest(m: Any) -> list[tuple[str, str]]:
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise _bad("不是写作伴侣的项目包 (not a Writer Companion bundle)")
    version = m.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _bad("清单缺少版本号 (manifest has no version)")
    if version > VERSION:
        raise BadInputError(
            f"这个项目包来自更新版本的写作伴侣（{m.get('app_version', '?')}，包格式 {version}），"
            f"请先升级本程序；没有导入任何内容 (bundle from a newer app version; nothing imported)"
        )
    items = m.get("projects")
    if not isinstance(items, list) or len(items) > MAX_ENTRIES:
        raise _bad("清单的 projects 不是列表 (manifest projects must be a list)")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("uid"), str) or not _UID.match(item["uid"]):
            raise _bad("清单中有无效的项目 (bad project entry in the manifest)")
        name = item.get("file")
        if not isinstance(name, str) or not _safe_name(name):
            raise _bad("清单中有不安全的文件名 (unsafe file name in the manifest)")
        out.append((item["uid"], name))
    return out


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) < 1e13


def _check_str(v: str) -> str:
    """'' for a usable text field, else why it is not (too long, invalid Unicode)."""
    if len(v) > MAX_FIELD_CHARS:
        return f"过长：{len(v)} 字，上限 {MAX_FIELD_CHARS} (too long)"
    if bad_unicode(v):
        return "含有无效的 Unicode 字符（孤立代理项）(invalid Unicode: a lone surrogate)"
    return ""


def _check_fields(obj: Any, spec: dict[str, Any], what: str) -> str:
    if not isinstance(obj, dict):
        return f"{what} 不是对象 (not an object)"
    for key, kind in spec.items():
        v = obj.get(key)
        if kind == "str" and isinstance(v, str):
            problem = _check_str(v)
            if problem:
                return f"{what} 的字段 {key} {problem}"
            continue
        checks: dict[str, Callable[[Any], bool]] = {
            "str": lambda v: isinstance(v, str),
            "uid": lambda v: isinstance(v, str) and bool(_UID.match(v)),
            "num": _is_num,
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_FIELD_CHARS,
            "bool": lambda v: isinstance(v, bool),
        }
        ok = checks[kind](v)
        if not ok:
            return f"{what} 的字段 {key} 无效 (field {key} is missing or has the wrong type)"
    return ""


PROJECT_SPEC = {
    "uid": "uid",
    "title": "str",
    "query_type": "str",
    "query": "str",
    "thought": "str",
    "answer": "str",
    "created": "num",
    "updated": "num",
}
REVISION_SPEC = {"uid": "uid", "field": "str", "text": "str", "kind": "str", "label": "str", "created": "num"}
ANNOTATION_SPEC = {
    "uid": "uid",
    "field": "str",
    "start": "int",
    "end": "int",
    "quote": "str",
    "body": "str",
    "author": "str",
    "created": "num",
    "resolved": "bool",
    "detached": "bool",
}


CRITIQUE_SPEC = {"rubric": "str", "total": "num", "max_total": "num", "source": "str", "created": "num"}
MARK_SPEC = {"comment": "str", "author": "str", "updated": "num"}


def _check_marking(rec: dict[str, Any]) -> str:
    """'' when the record's critiques, mark and student fields (all optional) are well formed."""
    for key in ("student", "source"):
        if key in rec and (not isinstance(rec[key], str) or len(rec[key]) > 500 or bad_unicode(rec[key])):
            return f"{key} 应是文本 ({key} must be a string)"
    items = rec.get("critiques", [])
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return "critiques 应是列表 (critiques must be a list)"
    for i, c in enumerate(items):
        err = _check_fields(c, CRITIQUE_SPEC, f"critiques[{i}]")
        if err:
            return err
        if not isinstance(c.get("data"), dict) or not isinstance(c.get("revision", ""), str):
            return f"critiques[{i}] 的内容无效 (a critique's data must be an object)"
    mark = rec.get("mark")
    if mark is not None:
        err = _check_fields(mark, MARK_SPEC, "mark")
        if err:
            return err
        if mark.get("total") is not None and not (_is_num(mark["total"]) and mark["total"] >= 0):
            return "mark 的分数无效 (the mark's total must be a number ≥ 0)"
    return ""


def check_project(rec: Any) -> str:
    """'' when ``rec`` is a well-formed project record, else the reason."""
    err = _check_fields(rec, PROJECT_SPEC, "项目")
    if err:
        return err
    err = _check_marking(rec)
    if err:
        return err
    tags = rec.get("tags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > 100
        or not all(isinstance(t, str) and len(t) <= 100 and not bad_unicode(t) for t in tags)
    ):
        return "tags 应是文本列表 (tags must be a list of strings)"
    for key, spec, fields in (
        ("revisions", REVISION_SPEC, FIELDS),
        ("annotations", ANNOTATION_SPEC, ANNOTATABLE),
    ):
        items = rec.get(key, [])
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            return f"{key} 应是列表 ({key} must be a list)"
        for i, item in enumerate(items):
            err = _check_fields(item, spec, f"{key}[{i}]")
            if err:
                return err
            if item["field"] not in fields:
                return f"{key}[{i}] 的 field 无效 (unknown field {item['field']!r})"
            if key == "annotations" and not item["start"] <= item["end"]:
                return f"{key}[{i}] 的位置无效 (bad range)"
    return ""


# --------------------------------------------------------------------------------------------
# merging
# --------------------------------------------------------------------------------------------
def import_bundle(database: Database, path: Path, clock: Any = time.time) -> BundleReport:
    records, rejected = read_bundle(path)  # everything is validated before the database is touched
    report = BundleReport(rejected=rejected)
    now = clock()
    with database.transaction() as conn:
        for rec in records:
            report.project_ids.append(_merge(conn, rec, report, now))
    return report


def _merge(conn: Any, rec: dict[str, Any], report: BundleReport, now: float) -> int:
    """One project of a bundle into the library: added, or merged into the local project with its
    uid (tags joined; revisions and comments added; an incoming text that differs is kept as a
    conflict revision, never over the local text). Returns the local project id."""
    pid, local, existed, changed = _merge_project(conn, rec, report)
    changed = _merge_revisions(conn, rec, pid, report) or changed
    if existed:
        changed = _keep_incoming(conn, rec, pid, local, report, now) or changed
    changed = _merge_annotations(conn, rec, pid, report) or changed
    changed = _merge_marking(conn, rec, pid, report) or changed
    for f in ANNOTATABLE:
        reanchor(conn, pid, f, local[f])
    if existed and changed:
        conn.execute("UPDATE projects SET updated = ?, indexed = 0 WHERE id = ?", (now, pid))
    return pid


def _merge_project(
    conn: Any, rec: dict[str, Any], report: BundleReport
) -> tuple[int, dict[str, str], bool, bool]:
    """The project row: (id, its texts before the merge, whether it existed, whether it changed)."""
    row = conn.execute(
        "SELECT id, query, thought, answer, tags, trashed, title FROM projects WHERE uid = ?", (rec["uid"],)
    ).fetchone()
    tags = sorted(set(rec.get("tags", [])))
    changed = False
    if row is None:
        cur = conn.execute(
            "INSERT INTO projects (uid, title, query_type, query, thought, answer, tags, created, updated,"
            " student, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec["uid"],
                rec["title"],
                rec["query_type"],
                rec["query"],
                rec["thought"],
                rec["answer"],
                json.dumps(tags, ensure_ascii=False),
                rec["created"],
                rec["updated"],
                rec.get("student", ""),
                rec.get("source", ""),
            ),
        )
        pid = int(cur.lastrowid or 0)
        local = {f: rec[f] for f in FIELDS}
        report.projects_added += 1
    else:
        pid = row[0]
        local = dict(zip(FIELDS, row[1:4], strict=True))
        report.projects_merged += 1
        if row[5] is not None:
            report.trashed.append((pid, row[6]))
        merged_tags = sorted(set(json.loads(row[4] or "[]")) | set(tags))
        if merged_tags != sorted(json.loads(row[4] or "[]")):
            conn.execute(
                "UPDATE projects SET tags = ? WHERE id = ?",
                (json.dumps(merged_tags, ensure_ascii=False), pid),
            )
            changed = True
    return pid, local, row is not None, changed


def _merge_revisions(conn: Any, rec: dict[str, Any], pid: int, report: BundleReport) -> bool:
    changed = False
    for r in rec.get("revisions", []):
        uid = _scoped_uid(conn, "revisions", r["uid"], pid)
        if uid is None:
            continue
        if uid != r["uid"]:
            if conn.execute(
                "SELECT 1 FROM revisions WHERE project_id = ? AND field = ? AND text = ? AND created = ?",
                (pid, r["field"], r["text"], r["created"]),
            ).fetchone():
                continue  # stored under a new uid by an earlier import of the same bundle
            report.uid_conflicts += 1
        conn.execute(
            "INSERT INTO revisions (uid, project_id, field, text, kind, label, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (uid, pid, r["field"], r["text"], r["kind"][:40], r["label"][:200], r["created"]),
        )
        report.revisions_added += 1
        changed = True
    return changed


def _keep_incoming(
    conn: Any, rec: dict[str, Any], pid: int, local: dict[str, str], report: BundleReport, now: float
) -> bool:
    """An incoming text that differs from the local one, and is not already a revision, is kept
    as a conflict revision; the local text stays."""
    changed = False
    for f in FIELDS:
        incoming = rec[f]
        if incoming == local[f] or not incoming.strip():
            continue
        known = conn.execute(
            "SELECT 1 FROM revisions WHERE project_id = ? AND field = ? AND text = ?", (pid, f, incoming)
        ).fetchone()
        if not known:
            conn.execute(
                "INSERT INTO revisions (uid, project_id, field, text, kind, label, created)"
                " VALUES (?, ?, ?, ?, 'conflict', ?, ?)",
                (uuid.uuid4().hex, pid, f, incoming, "导入的项目包中的版本（未覆盖本地文本）", now),
            )
            report.conflicts += 1
            changed = True
    return changed


def _merge_annotations(conn: Any, rec: dict[str, Any], pid: int, report: BundleReport) -> bool:
    changed = False
    for a in rec.get("annotations", []):
        have = conn.execute(
            "SELECT id, resolved FROM annotations WHERE uid = ? AND project_id = ?", (a["uid"], pid)
        ).fetchone()
        if have:
            if a["resolved"] and not have[1]:
                conn.execute("UPDATE annotations SET resolved = 1 WHERE id = ?", (have[0],))
                changed = True
            continue
        uid = _scoped_uid(conn, "annotations", a["uid"], pid)
        if uid is None:
            continue
        if uid != a["uid"]:
            if conn.execute(
                "SELECT 1 FROM annotations WHERE project_id = ? AND field = ? AND start = ? AND end = ?"
                " AND body = ? AND created = ?",
                (pid, a["field"], a["start"], a["end"], a["body"], a["created"]),
            ).fetchone():
                continue
            report.uid_conflicts += 1
        conn.execute(
            "INSERT INTO annotations (uid, project_id, field, start, end, quote, body, author, created, resolved,"
            " detached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uid,
                pid,
                a["field"],
                a["start"],
                a["end"],
                a["quote"],
                a["body"],
                a["author"],
                a["created"],
                int(a["resolved"]),
                int(a["detached"]),
            ),
        )
        report.annotations_added += 1
        changed = True
    return changed


def _merge_marking(conn: Any, rec: dict[str, Any], pid: int, report: BundleReport) -> bool:
    """The critiques this project lacks (the same time, rubric and total is the same critique),
    linked to the revision they judged where it is here; the teacher's mark where it is newer."""
    changed = False
    for c in rec.get("critiques", []):
        if conn.execute(
            "SELECT 1 FROM critiques WHERE project_id = ? AND created = ? AND rubric = ? AND total = ?",
            (pid, c["created"], c["rubric"], int(c["total"])),
        ).fetchone():
            continue
        row = conn.execute(
            "SELECT id FROM revisions WHERE uid = ? AND project_id = ?", (c.get("revision", ""), pid)
        ).fetchone()
        conn.execute(
            "INSERT INTO critiques (project_id, revision_id, rubric, total, max_total, source, data, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                pid,
                row[0] if row else None,
                c["rubric"],
                int(c["total"]),
                int(c["max_total"]),
                c["source"],
                json.dumps(c["data"], ensure_ascii=False),
                c["created"],
            ),
        )
        report.critiques_added += 1
        changed = True
    mark = rec.get("mark")
    if mark is not None:
        have = conn.execute("SELECT updated FROM marks WHERE project_id = ?", (pid,)).fetchone()
        if have is None or have[0] < mark["updated"]:
            conn.execute(
                "INSERT INTO marks (project_id, total, comment, author, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(project_id) DO UPDATE SET total = excluded.total, comment = excluded.comment,"
                " author = excluded.author, updated = excluded.updated",
                (pid, mark.get("total"), mark["comment"], mark["author"], mark["updated"]),
            )
            report.marks_updated += 1
            changed = True
    return changed


def _scoped_uid(conn: Any, table: str, uid: str, pid: int) -> str | None:
    """The uid to store an incoming row under: its own; None when this project already has it; a
    fresh one when it belongs to another project (a conflict, never a write to that project)."""
    owner = conn.execute(f"SELECT project_id FROM {table} WHERE uid = ?", (uid,)).fetchone()  # noqa: S608
    if owner is None:
        return uid
    if owner[0] == pid:
        return None
    return uuid.uuid4().hex
