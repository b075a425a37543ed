"""Fuzzing: arbitrary bytes and JSON never crash the importer or the bundle reader, and never
touch what is already stored."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_app.errors import BadInputError
from writer_app.storage.bundle import import_bundle
from writer_app.storage.db import open_database
from writer_app.storage.importer import import_coig
from writer_app.storage.search import SearchIndex

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = st.sampled_from(["id", "query_type", "query", "thought", "answer", "link", "score", "其他"])
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3), max_leaves=8
)
RECORD = st.dictionaries(KEY, VALUE, max_size=8) | VALUE


class Env:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fuzz-"))
        self.database = open_database(self.dir / "w.db")
        self.index = SearchIndex(self.database, list)
        seed = self.dir / "seed.jsonl"
        seed.write_text(
            json.dumps({"id": "keep", "query": "原有的题目", "answer": "原有的正文"}) + "\n", encoding="utf-8"
        )
        assert import_coig(self.database, self.index, seed).added == 1

    def check(self) -> None:
        conn = self.database.conn
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT query, answer FROM exemplars WHERE source_id = 'keep'").fetchone() == (
            "原有的题目",
            "原有的正文",
        )
        n = conn.execute("SELECT count(*) FROM exemplars").fetchone()[0]
        assert (
            conn.execute("SELECT count(*) FROM search_index WHERE doc_type = 'exemplar'").fetchone()[0] == n
        )
        bad = conn.execute(
            "SELECT count(*) FROM exemplars WHERE trim(query) = '' OR trim(answer) = ''"
        ).fetchone()[0]
        assert bad == 0


def _import(env: Env, data: bytes) -> None:
    f = env.dir / "in.json"
    f.write_bytes(data)
    try:
        report = import_coig(env.database, env.index, f)
    except BadInputError as exc:
        assert "\n" not in str(exc)
    else:
        assert report.added + report.duplicates + len(report.rejected) >= 0
        assert all(isinstance(line, int) and reason for line, reason in report.rejected)
    env.check()


ENV: dict[str, Env] = {}


def env() -> Env:
    if "e" not in ENV:
        ENV["e"] = Env()
    return ENV["e"]


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_importer(data):
    _import(env(), data)


@FUZZ
@given(st.lists(RECORD, max_size=6), st.booleans())
def test_arbitrary_json_records_never_crash_or_corrupt(records, as_array):
    text = json.dumps(records, ensure_ascii=False) if as_array else "\n".join(json.dumps(r) for r in records)
    _import(env(), text.encode("utf-8"))


@FUZZ
@given(st.lists(RECORD, max_size=4), st.integers(min_value=0, max_value=200))
def test_truncated_json_never_crashes(records, cut):
    data = json.dumps(records, ensure_ascii=False).encode("utf-8")
    _import(env(), data[: max(1, len(data) - cut)])


def _try_bundle(e: Env, data: bytes) -> None:
    f = e.dir / "b.wcbundle"
    f.write_bytes(data)
    try:
        import_bundle(e.database, f)
    except BadInputError as exc:
        assert "\n" not in str(exc)
    e.check()


@FUZZ
@given(st.binary(max_size=1500))
def test_arbitrary_bytes_as_a_bundle_are_refused_cleanly(data):
    _try_bundle(env(), b"PK\x03\x04" + data)


NAMES = st.sampled_from(["manifest.json", "projects/a.json", "../x", "/abs", "projects/", "a\\b", "ok.json"])


@pytest.mark.filterwarnings("ignore:Duplicate name")
@FUZZ
@given(st.lists(st.tuples(NAMES, RECORD), max_size=4), st.dictionaries(KEY, VALUE, max_size=4))
def test_arbitrary_zip_contents_are_refused_cleanly_or_imported(entries, manifest_extra):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        manifest = {
            "format": "writer-companion-bundle",
            "version": 1,
            "projects": [{"uid": "a", "file": "projects/a.json"}],
        }
        manifest.update(manifest_extra)
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, value in entries:
            if name != "manifest.json":
                zf.writestr(name, json.dumps(value))
    _try_bundle(env(), buf.getvalue())


TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=80)


@FUZZ
@given(
    TEXT,
    TEXT,
    TEXT,
    st.lists(st.tuples(st.integers(0, 80), st.integers(1, 10), TEXT.filter(str.strip)), max_size=3),
)
def test_any_project_round_trips_through_a_bundle_and_exports_safely(title, query, answer, notes):
    from writer_app.storage.bundle import build_bundle, project_record
    from writer_app.storage.export import to_docx, to_html, to_markdown, to_text
    from writer_app.storage.projects import ProjectStore

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        src_db = stack.enter_context(open_database(tmp / "a.db"))
        src = ProjectStore(src_db)
        p = src.create(title, "议论文", query)
        if answer:
            src.set_text(p.id, "answer", answer + "<script>x</script>")
        text = src.get(p.id).answer
        for start, length, body in notes:
            if start + length <= len(text):
                src.annotate(p.id, "answer", start, start + length, body, author="<b>老师</b>")
        f = tmp / "b.wcbundle"
        f.write_bytes(build_bundle(src, [p.id]))
        dest_db = stack.enter_context(open_database(tmp / "b.db"))
        (pid,) = import_bundle(dest_db, f).project_ids
        assert project_record(ProjectStore(dest_db), pid) == project_record(src, p.id)
        proj, anns = src.get(p.id), src.annotations(p.id)
        page = to_html(proj, anns)
        assert "<script>" not in page and "<b>老师</b>" not in page
        to_markdown(proj, anns), to_text(proj, anns), to_docx(proj, anns)


# ---------------------------------------------------------------------------------------------
# properties: for any mix of valid and invalid records, the reported count is the stored count
# and every row stored before is unchanged
# ---------------------------------------------------------------------------------------------
BAD_LINES = st.sampled_from(
    [
        '{"query": "坏", "answer": }',  # malformed
        '{"query": "题", "answer": "\\ud800"}',  # a lone surrogate
        '{"query": "只有题目"}',  # missing answer
        '{"query": "题", "answer": 5}',  # wrong type
        "123",  # not an object
        '"text"',
        "nul",
    ]
)
ITEM = st.one_of(st.tuples(st.just(True), TEXT.filter(str.strip)), st.tuples(st.just(False), BAD_LINES))


def _snapshot(e: Env) -> list[tuple]:
    return e.database.conn.execute("SELECT * FROM exemplars ORDER BY id").fetchall()


@FUZZ
@given(st.lists(ITEM, max_size=12), st.booleans())
def test_any_mix_of_records_stores_exactly_what_it_reports(items, as_array):
    import uuid

    e = env()
    before = _snapshot(e)
    tag = uuid.uuid4().hex
    lines = []
    valid = 0
    for i, (ok, value) in enumerate(items):
        if ok:
            lines.append(
                json.dumps({"id": f"{tag}-{i}", "query": f"题{i}", "answer": value}, ensure_ascii=False)
            )
            valid += 1
        else:
            lines.append(value)
    text = ("[\n" + ",\n".join(lines) + "\n]") if as_array else "\n".join(lines)
    f = e.dir / "mix.json"
    f.write_text(text, encoding="utf-8")
    report = import_coig(e.database, e.index, f)
    after = _snapshot(e)
    assert after[: len(before)] == before  # nothing stored before changed
    assert len(after) - len(before) == report.added  # the report matches the database
    if report.stopped is None:
        assert report.added + report.duplicates == valid and len(report.rejected) == len(items) - valid
    e.check()


def _bundle(records: list[dict], manifest_uids: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        uids = manifest_uids or [r["uid"] for r in records]
        manifest = {
            "format": "writer-companion-bundle",
            "version": 1,
            "projects": [{"uid": u, "file": f"projects/{u}.json"} for u in uids],
        }
        zf.writestr("manifest.json", json.dumps(manifest))
        for u, r in zip(uids, records, strict=True):
            zf.writestr(f"projects/{u}.json", json.dumps(r))
    return buf.getvalue()


BAD_PROJECT = st.sampled_from(
    [
        {"title": "\ud800"},
        {"answer": 5},
        {"created": float("nan")},
        {"tags": ["\udcff"]},
        {"revisions": [{"uid": "r", "field": "nope"}]},
    ]
)


@FUZZ
@given(st.lists(st.tuples(st.booleans(), TEXT, BAD_PROJECT), min_size=1, max_size=6))
def test_any_mix_of_bundle_projects_stores_exactly_what_it_reports(items):
    import uuid

    from writer_app.storage.projects import ProjectStore

    e = env()
    store = ProjectStore(e.database)
    keep = store.create("原有项目", "", "原有题目")
    before_rows = e.database.conn.execute("SELECT * FROM projects ORDER BY id").fetchall()
    records = []
    for ok, title, bad in items:
        rec = {
            "uid": uuid.uuid4().hex,
            "title": title,
            "query_type": "",
            "query": "q",
            "thought": "",
            "answer": "a",
            "tags": [],
            "created": 1.0,
            "updated": 2.0,
            "revisions": [],
            "annotations": [],
        }
        if not ok:
            rec.update(bad)
        records.append(rec)
    f = e.dir / "mix.wcbundle"
    f.write_bytes(_bundle(records))
    valid = sum(ok for ok, _, _ in items)
    try:
        report = import_bundle(e.database, f)
    except BadInputError:
        assert valid == 0
        report = None
    rows = e.database.conn.execute("SELECT * FROM projects ORDER BY id").fetchall()
    assert rows[: len(before_rows)] == before_rows
    added = report.projects_added if report else 0
    assert len(rows) - len(before_rows) == added == valid
    if report:
        assert len(report.rejected) == len(items) - valid
    assert store.get(keep.id).query == "原有题目"
    e.check()
