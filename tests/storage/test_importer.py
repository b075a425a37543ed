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
