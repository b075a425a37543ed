import io
import json

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir
from writer_app.storage.db import open_database
from writer_app.storage.importer import MAX_FIELD_CHARS, import_coig, iter_records, score_value
from writer_app.storage.search import SearchIndex

REC = {
    "id": "c1",
    "query_type": "诗歌",
    "query": "写一首秋天的诗",
    "thought": "意象：落叶",
    "answer": "落叶飘零",
    "score": "8分",
}


@pytest.fixture(scope="module")
def segment():
    return Analyzer(resources_dir()).tokens


@pytest.fixture
def env(tmp_path, segment):
    database = open_database(tmp_path / "w.db")
    yield database, SearchIndex(database, segment)
    database.close()


def dump(records) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def test_jsonl_and_json_array_give_the_same_records_with_line_numbers():
    recs = [REC, {**REC, "id": "c2"}]
    jsonl = list(iter_records(io.BytesIO(dump(recs).encode())))
    array = list(iter_records(io.BytesIO(("[\n" + ",\n".join(json.dumps(r) for r in recs) + "\n]").encode())))
    assert [v for _, v, _ in jsonl] == [v for _, v, _ in array] == recs
    assert [n for n, _, _ in jsonl] == [1, 2] and [n for n, _, _ in array] == [2, 3]


def test_a_json_array_is_streamed_in_small_chunks(monkeypatch):
    import writer_app.storage.importer as imp

    monkeypatch.setattr(imp, "CHUNK", 7)  # every record spans many reads, split inside characters
    recs = [{**REC, "id": str(i), "answer": "秋" * 50} for i in range(20)]
    got = list(iter_records(io.BytesIO(json.dumps(recs, ensure_ascii=False).encode())))
    assert [v for _, v, _ in got] == recs


def test_import_keeps_valid_records_and_reports_each_bad_line(env, tmp_path):
    database, index = env
    f = tmp_path / "coig.jsonl"
    lines = [
        json.dumps(REC, ensure_ascii=False),
        "{broken",
        json.dumps({"query": "只有题目"}, ensure_ascii=False),
        json.dumps({**REC, "id": "c3", "answer": 5}),
        json.dumps({**REC, "id": "c4", "answer": "长" * (MAX_FIELD_CHARS + 1)}),
        "[1, 2]",
        json.dumps({"query": "无编号", "answer": "正文", "score": 7.5}, ensure_ascii=False),
    ]
    f.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    report = import_coig(database, index, f)
    assert report.added == 2
    assert [n for n, _ in report.rejected] == [2, 3, 4, 5, 6, 8]
    reasons = dict(report.rejected)
    assert "answer" in reasons[3] and "上限" in reasons[5] and "UTF-8" in reasons[8]
    rows = database.conn.execute("SELECT source_id, score_value FROM exemplars ORDER BY id").fetchall()
    assert rows == [("c1", 8.0), (None, 7.5)]
    assert [h.doc_type for h in index.search("秋天")] == ["exemplar"]


def test_import_is_idempotent(env, tmp_path):
    database, index = env
    f = tmp_path / "coig.json"
    f.write_text(
        json.dumps([REC, {**REC, "id": None, "query": "另一个"}], ensure_ascii=False), encoding="utf-8"
    )
    first = import_coig(database, index, f)
    again = import_coig(database, index, f)
    assert (first.added, first.duplicates) == (2, 0) and (again.added, again.duplicates) == (0, 2)


def test_scores_are_read_from_free_text():
    assert score_value("总分：8.5/10") == 8.5 and score_value("优秀") is None and score_value("") is None


def test_garbage_files_never_crash_the_importer(env, tmp_path):
    database, index = env
    for i, data in enumerate(
        [b"", b"\x00\x01\x02" * 100, b"[", b"[{}", b'[{"query": "a", "answer": "b"},', b"{" * 50000]
    ):
        f = tmp_path / f"g{i}.json"
        f.write_bytes(data)
        try:
            report = import_coig(database, index, f)
        except Exception as exc:  # only the one clear error type is allowed
            from writer_app.errors import BadInputError

            assert isinstance(exc, BadInputError), exc
            continue
        assert report.added <= 1
    assert database.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


# ---------------------------------------------------------------------------------------------
# nothing silently lost: a bad record is rejected alone, the counts match the database
# ---------------------------------------------------------------------------------------------
def _count(database):
    return database.conn.execute("SELECT count(*) FROM exemplars").fetchone()[0]


def test_one_malformed_record_in_a_json_array_loses_only_itself(env, tmp_path):
    database, index = env
    good = [
        json.dumps({"id": f"r{i}", "query": f"题目{i}", "answer": f"正文{i}"}, ensure_ascii=False)
        for i in range(1999)
    ]
    items = good[:1] + ['{"query": "坏的", "answer": }'] + good[1:]  # the probe's case
    f = tmp_path / "a.json"
    f.write_text("[\n" + ",\n".join(items) + "\n]", encoding="utf-8")
    report = import_coig(database, index, f)
    assert report.added == 1999 == _count(database)
    assert report.rejected == [(3, report.rejected[0][1])] and "JSON" in report.rejected[0][1]
    assert report.stopped is None


def test_a_lone_surrogate_rejects_its_record_and_keeps_the_others(env, tmp_path):
    database, index = env
    lines = [
        json.dumps({"id": "a", "query": "题一", "answer": "文一"}, ensure_ascii=False),
        '{"id": "b", "query": "题二", "answer": "\\ud800"}',
        json.dumps({"id": "c", "query": "题三", "answer": "文三"}, ensure_ascii=False),
    ]
    for name, text in (("s.jsonl", "\n".join(lines)), ("s.json", "[" + ",".join(lines) + "]")):
        f = tmp_path / name
        f.write_text(text, encoding="utf-8")
        report = import_coig(database, index, f)
        assert report.added + report.duplicates == 2 and len(report.rejected) == 1
        assert "Unicode" in report.rejected[0][1]
    assert _count(database) == 2


def test_invalid_utf8_inside_an_array_rejects_that_record_only(env, tmp_path):
    database, index = env
    f = tmp_path / "b.json"
    f.write_bytes(
        b'[{"query": "q1", "answer": "a1"}, {"query": "q2", "answer": "\xff\xfe"}, {"query": "q3", "answer": "a3"}]'
    )
    report = import_coig(database, index, f)
    assert report.added == 2 == _count(database) and len(report.rejected) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "gbk", "gb18030", "utf-8-sig"])
def test_jsonl_in_other_encodings_is_read_and_says_so(env, tmp_path, encoding):
    database, index = env
    f = tmp_path / "e.jsonl"
    f.write_bytes(dump([REC, {**REC, "id": "c2", "answer": "秋风萧瑟"}]).encode(encoding))
    report = import_coig(database, index, f)
    assert report.added == 2 and not report.rejected and report.stopped is None
    assert (
        database.conn.execute("SELECT answer FROM exemplars WHERE source_id = 'c2'").fetchone()[0]
        == "秋风萧瑟"
    )
    if encoding in ("gbk", "gb18030"):
        assert report.encoding == "gb18030"
    elif encoding.startswith("utf-16"):
        assert report.encoding.startswith("utf-16")


def test_an_unclosed_item_stops_reading_and_says_where(env, tmp_path):
    database, index = env
    f = tmp_path / "u.json"
    f.write_text(
        '[{"query": "q1", "answer": "a1"},\n{"query": "q2, "answer": "a2"},\n{"query": "q3", "answer": "a3"}]'
    )
    report = import_coig(database, index, f)
    # the stray quote swallows the rest: the record before is kept, and the report says it stopped
    assert report.added == 1 == _count(database)
    assert report.stopped is not None and report.stopped[0] == 2 and not report.ok
