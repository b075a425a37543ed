import io
import json
import random
import zipfile

import pytest
from conftest import open_library

from writer_app.errors import BadInputError
from writer_app.storage import bundle as bd
from writer_app.storage.bundle import build_bundle, import_bundle, read_bundle


def comparable(lib, pid):
    """A project as a bundle carries it: everything but local row ids."""
    return bd.project_record(lib.projects, pid)


def make_project(lib):
    store = lib.projects
    p = store.create("围棋与人生", "议论文", "本手、妙手、俗手", tags=["高三"])
    store.set_text(p.id, "thought", "## 立意\n先本手，后妙手。\n", kind="generation")
    store.set_text(p.id, "answer", "第一段。\n围棋讲究本手。\n结尾。", kind="generation")
    store.snapshot(p.id, "第一稿")
    store.annotate(p.id, "answer", 5, 10, "这句可以展开", author="王老师")
    return p.id


def write(tmp_path, data, name="b.wcbundle"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_round_trip_into_an_empty_data_dir_gives_identical_projects(library, tmp_path, analyzer):
    pid = make_project(library)
    second = library.projects.create("空项目")
    path = write(tmp_path, build_bundle(library.projects, [pid, second.id]))
    other = open_library(tmp_path / "other", analyzer)
    report = other.import_file(path)
    assert (report.projects_added, report.projects_merged, report.conflicts) == (2, 0, 0)
    for mine, theirs in zip([pid, second.id], report.project_ids, strict=True):
        assert comparable(other, theirs) == comparable(library, mine)
    assert other.search.search("本手")[0].title == "围棋与人生"  # imported projects are searchable
    # importing the same bundle again adds nothing
    again = other.import_file(path)
    assert (again.projects_added, again.revisions_added, again.annotations_added, again.conflicts) == (
        0,
        0,
        0,
        0,
    )
    other.close()


def test_merge_adds_comments_and_revisions_and_never_overwrites_local_text(library, tmp_path, analyzer):
    pid = make_project(library)
    # the student sends the project to the teacher
    teacher = open_library(tmp_path / "teacher", analyzer)
    tpid = teacher.import_file(
        write(tmp_path, build_bundle(library.projects, [pid]), "s.wcbundle")
    ).project_ids[0]
    t_text = "第一段。\n围棋讲究本手。\n老师改过的结尾。"
    teacher.projects.set_text(tpid, "answer", t_text, kind="snapshot", label="老师批改")
    teacher.projects.annotate(tpid, "answer", 0, 3, "开头太短", author="王老师")
    first_note = next(a for a in teacher.projects.annotations(tpid) if a.body == "这句可以展开")
    teacher.projects.resolve(first_note.id)
    back = write(tmp_path, build_bundle(teacher.projects, [tpid]), "t.wcbundle")
    teacher.close()
    # meanwhile the student kept writing
    mine = "第一段，写得更长了。\n围棋讲究本手。\n我的结尾。"
    library.projects.set_text(pid, "answer", mine, kind="snapshot")
    report = library.import_file(back)
    assert report.projects_merged == 1 and report.annotations_added == 1 and report.conflicts == 0
    p = library.projects.get(pid)
    assert p.answer == mine  # local text untouched
    texts = [r.text for r in library.projects.revisions(pid, "answer")]
    assert t_text in texts  # the teacher's version arrived as a revision
    notes = {a.body: a for a in library.projects.annotations(pid)}
    assert notes["这句可以展开"].resolved  # resolved by the teacher
    assert notes["开头太短"].detached is False and p.answer[notes["开头太短"].start :].startswith("第一段")
    assert notes["这句可以展开"].quote == "围棋讲究本" and not notes["这句可以展开"].detached


def test_a_differing_current_text_without_its_revision_becomes_a_conflict_revision(library, tmp_path):
    pid = make_project(library)
    rec = bd.project_record(library.projects, pid)
    rec["answer"] = "别处改过、又没有留下版本的正文。"
    path = write(tmp_path, _zip({"manifest.json": _manifest([rec]), f"projects/{rec['uid']}.json": rec}))
    report = library.import_file(path)
    assert report.conflicts == 1
    assert library.projects.get(pid).answer == "第一段。\n围棋讲究本手。\n结尾。"
    conflict = library.projects.revisions(pid, "answer")[0]
    assert conflict.kind == "conflict" and conflict.text == rec["answer"]


def _manifest(records, version=bd.VERSION):
    return {
        "format": bd.FORMAT,
        "version": version,
        "app_version": "9.9",
        "projects": [{"uid": r["uid"], "file": f"projects/{r['uid']}.json"} for r in records],
    }


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, value in entries.items():
            data = value if isinstance(value, bytes) else json.dumps(value).encode()
            zf.writestr(name, data)
    return buf.getvalue()


GOOD = {
    "uid": "a" * 32,
    "title": "t",
    "query_type": "",
    "query": "q",
    "thought": "",
    "answer": "x",
    "tags": [],
    "created": 1.0,
    "updated": 2.0,
    "revisions": [],
    "annotations": [],
}


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"manifest.json": _manifest([GOOD]), "../evil.json": GOOD}, "不安全的路径"),
        ({"manifest.json": _manifest([GOOD]), "/abs.json": GOOD}, "不安全的路径"),
        (
            {"manifest.json": {**_manifest([GOOD]), "projects": [{"uid": "a" * 32, "file": "../x"}]}},
            "不安全的文件名",
        ),
        ({"manifest.json": _manifest([GOOD], version=99)}, "更新版本"),
        ({"manifest.json": {"format": "other"}}, "不是写作伴侣的项目包"),
        ({"projects/x.json": GOOD}, "缺少 manifest"),
        ({"manifest.json": b"{not json"}, "不是合法的 JSON"),
        ({"manifest.json": _manifest([GOOD])}, "不在包里"),
        ({"manifest.json": _manifest([GOOD]), f"projects/{'a' * 32}.json": {**GOOD, "answer": 5}}, "answer"),
        (
            {
                "manifest.json": _manifest([GOOD]),
                f"projects/{'a' * 32}.json": {**GOOD, "revisions": [{"uid": "r", "field": "x"}]},
            },
            "revisions[0]",
        ),
        (
            {
                "manifest.json": _manifest([GOOD]),
                f"projects/{'a' * 32}.json": {**GOOD, "annotations": [{**GOOD, "field": "query"}]},
            },
            "annotations[0]",
        ),
    ],
)
def test_bad_bundles_are_refused_before_anything_is_stored(library, tmp_path, entries, reason):
    pid = make_project(library)
    before = comparable(library, pid)
    path = write(tmp_path, _zip(entries))
    with pytest.raises(BadInputError, match=reason.replace("[", r"\[")):
        library.import_file(path)
    assert comparable(library, pid) == before
    assert [p.id for p in library.projects.list_projects()] == [pid]


def test_zip_bomb_and_oversized_entries_are_refused(library, tmp_path, monkeypatch):
    bomb = {"manifest.json": _manifest([GOOD]), f"projects/{'a' * 32}.json": b" " * (20 * 1024 * 1024)}
    with pytest.raises(BadInputError, match="压缩炸弹|过大"):
        read_bundle(write(tmp_path, _zip(bomb)))
    monkeypatch.setattr(bd, "MAX_ENTRY_BYTES", 1000)
    big = {"manifest.json": _manifest([GOOD]), f"projects/{'a' * 32}.json": {**GOOD, "answer": "长" * 2000}}
    with pytest.raises(BadInputError, match="过大"):
        read_bundle(write(tmp_path, _zip(big, zipfile.ZIP_STORED), "big.wcbundle"))
    monkeypatch.setattr(bd, "MAX_BUNDLE_BYTES", 10)
    with pytest.raises(BadInputError, match="超过上限"):
        read_bundle(write(tmp_path, _zip(big), "c.wcbundle"))


def test_damaged_zip_is_one_clear_error(library, tmp_path):
    data = build_bundle(library.projects, [make_project(library)])
    with pytest.raises(BadInputError, match="项目包无效"):
        import_bundle(library.database, write(tmp_path, data[: len(data) // 2]))


# ---------------------------------------------------------------------------------------------
# hostile bundles: uids scoped to their project, bad records rejected alone, one clear line
# ---------------------------------------------------------------------------------------------
def _with_uid_of(library, pid, table):
    """A new project's record carrying one revision or annotation whose uid is ``pid``'s."""
    theirs = bd.project_record(library.projects, pid)
    rec = {**GOOD, "uid": "b" * 32}
    if table == "revisions":
        rec["revisions"] = [{**theirs["revisions"][0], "text": "来访者的版本"}]
    else:
        rec["annotations"] = [{**theirs["annotations"][0], "resolved": True, "body": "来访者的批注"}]
    return rec


@pytest.mark.parametrize("table", ["revisions", "annotations"])
def test_a_uid_that_belongs_to_another_project_is_a_conflict_never_a_write(library, tmp_path, table):
    pid = make_project(library)
    before = comparable(library, pid)
    rec = _with_uid_of(library, pid, table)
    path = write(tmp_path, _zip({"manifest.json": _manifest([rec]), f"projects/{rec['uid']}.json": rec}))
    report = library.import_file(path)
    assert comparable(library, pid) == before  # the other project is untouched (not resolved)
    assert report.uid_conflicts == 1 and any("另一个项目" in n for n in report.notes())
    new = report.project_ids[0]
    if table == "revisions":
        field = rec["revisions"][0]["field"]
        assert [r.text for r in library.projects.revisions(new, field)] == ["来访者的版本"]
        assert report.revisions_added == 1
    else:
        assert [a.body for a in library.projects.annotations(new)] == ["来访者的批注"]
        assert report.annotations_added == 1
    again = library.import_file(path)  # idempotent: the renamed row is recognised
    assert (again.revisions_added, again.annotations_added, again.uid_conflicts) == (0, 0, 0)


def test_bad_records_are_rejected_alone_and_the_rest_kept(library, tmp_path):
    good = {**GOOD, "uid": "g" * 32}
    surrogate = {**GOOD, "uid": "s" * 32, "title": "\ud800坏"}
    rng = random.Random(7)  # incompressible, so the zip-bomb check does not fire first
    long_text = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(bd.MAX_FIELD_CHARS + 1))
    too_long = {**GOOD, "uid": "l" * 32, "answer": long_text}
    recs = [good, surrogate, too_long]
    entries = {"manifest.json": _manifest(recs)}
    entries.update({f"projects/{r['uid']}.json": r for r in recs})
    report = library.import_file(write(tmp_path, _zip(entries)))
    assert report.projects_added == 1
    reasons = dict(report.rejected)
    assert "Unicode" in reasons[f"projects/{'s' * 32}.json"]
    assert (
        "过长" in reasons[f"projects/{'l' * 32}.json"] and "too long" in reasons[f"projects/{'l' * 32}.json"]
    )
    assert len(library.projects.list_projects()) == 1  # the counts match the database
    assert not any("nothing was imported" in r for r in reasons.values())  # the rest was imported


def test_merging_into_a_trashed_project_says_so(library, tmp_path):
    pid = make_project(library)
    path = write(tmp_path, build_bundle(library.projects, [pid]))
    library.projects.trash(pid)
    report = library.import_file(path)
    assert report.trashed == [(pid, "围棋与人生")]
    assert any("回收站" in n and f"restore {pid}" in n for n in report.notes())


def test_corrupt_deflate_data_empty_and_damaged_bundles_are_one_line(library, tmp_path):
    data = bytearray(_zip({"manifest.json": _manifest([GOOD]), f"projects/{'a' * 32}.json": GOOD}))
    start = data.index(b"manifest.json") + len("manifest.json")
    for i in range(start, start + 30):  # scramble the deflate stream, keep the zip directory
        data[i] ^= 0x5A
    with pytest.raises(BadInputError, match="项目包无效"):
        library.import_file(write(tmp_path, bytes(data)))
    with pytest.raises(BadInputError, match="空的"):
        library.import_file(write(tmp_path, b"", "empty.wcbundle"))
    with pytest.raises(BadInputError, match="不是 zip"):  # by its name a bundle, not read as JSONL
        library.import_file(write(tmp_path, "你好\n世界".encode("gbk"), "damaged.wcbundle"))


def test_a_marked_essay_goes_back_with_its_critiques_mark_and_student(library, tmp_path, analyzer):
    _, pid = library.projects.import_essay(
        "essay:高三2班:张三", student="张三", title="坚持", text="坚持\n我在操场上奔跑。", tags=["高三2班"]
    )
    library.projects.annotate(pid, "answer", 3, 7, "写得具体", author="王老师")
    critique = {"total": 41, "max_total": 60, "rubric": "gaokao", "source": "model", "suggestions": []}
    library.projects.save_critique(pid, critique)
    library.marking.set_mark(pid, 45.0, "结尾再升华一下", author="王老师")
    path = write(tmp_path, build_bundle(library.projects, [pid]))

    student = open_library(tmp_path / "student", analyzer)
    report = student.import_file(path)
    (spid,) = report.project_ids
    assert (report.critiques_added, report.marks_updated) == (1, 1)
    assert any("带回点评 1 份" in line for line in report.notes())
    got = student.projects.get(spid)
    assert (got.student, got.source) == ("张三", "essay:高三2班:张三")
    (row,) = student.marking.marked([spid])
    assert row.critique == critique and row.critique_current  # linked to the revision it judged
    assert (row.mark.total, row.mark.comment) == (45.0, "结尾再升华一下")
    again = student.import_file(path)
    assert (again.critiques_added, again.marks_updated) == (0, 0)
    assert len(student.projects.critiques(spid)) == 1

    library.marking.set_mark(pid, 47.0, "改过了")  # the teacher's newer mark wins
    student.import_file(write(tmp_path, build_bundle(library.projects, [pid]), "c.wcbundle"))
    assert student.marking.mark(spid).total == 47.0
    student.marking.set_mark(spid, 30.0, "本地更新")  # a local mark newer than the bundle's stays
    student.import_file(path)
    assert student.marking.mark(spid).total == 30.0
    student.close()


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"mark": {"total": -3, "comment": "", "author": "", "updated": 1.0}}, "mark"),
        ({"mark": {"total": 3}}, "mark"),
        (
            {"critiques": [{"rubric": "gaokao", "total": 1, "max_total": 60, "source": "x", "created": 1.0}]},
            "critiques",
        ),
        ({"critiques": "no"}, "critiques"),
        ({"student": 5}, "student"),
    ],
)
def test_a_malformed_mark_or_critique_is_refused(library, tmp_path, patch, reason):
    pid = make_project(library)
    rec = bd.project_record(library.projects, pid) | patch
    assert reason in bd.check_project(rec)
