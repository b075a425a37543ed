"""The class's marking store: which essays a batch takes, the queue's exactly-once completion,
and the teacher's marks."""

from __future__ import annotations

import pytest

from writer_app.storage.db import StorageError
from writer_app.storage.library import Library
from writer_app.storage.marking import DONE, FAILED, PENDING

CRITIQUE = {"total": 40, "max_total": 60, "rubric": "gaokao", "source": "analysis", "dimensions": []}


def _class(lib: Library, n: int = 3, tag: str = "高三2班") -> list[int]:
    ids = []
    for i in range(n):
        _, pid = lib.projects.import_essay(
            f"essay:{tag}:学生{i}",
            student=f"学生{i}",
            title=f"题{i}",
            text=f"第{i}篇作文的正文。",
            tags=[tag],
        )
        ids.append(pid)
    return ids


def test_a_tag_takes_its_essays_with_text_by_student_and_skips_the_trash(library):
    ids = _class(library)
    other = library.projects.create("别的", tags=["高三1班"])
    empty = library.projects.create("空的", tags=["高三2班"])
    library.projects.trash(ids[1])
    assert library.marking.tagged("高三2班") == [ids[0], ids[2]]
    assert other not in library.marking.tagged("高三1班")  # no text yet
    assert empty not in library.marking.tagged("高三2班")


def test_each_item_completes_once_and_the_batch_closes_when_none_is_pending(library):
    ids = _class(library)
    batch = library.marking.start("critique", "高三2班", ids, {"use_model": False})
    assert (batch.total, batch.pending) == (3, 3)
    assert library.marking.unfinished("critique", "高三2班").id == batch.id
    first = library.marking.complete(batch.id, ids[0], CRITIQUE)
    assert first > 0
    assert library.marking.complete(batch.id, ids[0], CRITIQUE) == 0  # a second result is not stored
    assert len(library.projects.critiques(ids[0])) == 1
    library.marking.fail(batch.id, ids[1], "文章为空 (the essay is empty)")
    library.marking.complete(
        batch.id, ids[2], CRITIQUE, {"model": "m", "params": {"seed": 1}, "stats": {"seconds": 2.0}}
    )
    states = {i.project_id: (i.state, i.error) for i in library.marking.items(batch.id)}
    assert states[ids[0]][0] == DONE and states[ids[1]] == (FAILED, "文章为空 (the essay is empty)")
    done = library.marking.batch(batch.id)
    assert done.finished is not None and (done.done, done.failed, done.pending) == (2, 1, 0)
    assert library.marking.unfinished("critique", "高三2班") is None
    assert [g["kind"] for g in library.projects.generations(ids[2])] == ["critique"]


def test_a_critique_and_its_done_mark_are_one_transaction(library, monkeypatch):
    ids = _class(library, 1)
    batch = library.marking.start("critique", "高三2班", ids, {})
    real = library.marking._close_if_done

    def fail(*args):
        raise StorageError("磁盘已满 (disk full)")

    monkeypatch.setattr(library.marking, "_close_if_done", fail)
    with pytest.raises(StorageError):
        library.marking.complete(batch.id, ids[0], CRITIQUE)
    assert library.projects.critiques(ids[0]) == []  # neither the critique nor the mark
    assert [i.state for i in library.marking.items(batch.id)] == [PENDING]
    monkeypatch.setattr(library.marking, "_close_if_done", real)
    library.marking.complete(batch.id, ids[0], CRITIQUE)
    assert len(library.projects.critiques(ids[0])) == 1


def test_only_texts_without_a_critique_of_their_current_revision_are_taken(library):
    ids = _class(library)
    library.projects.save_critique(ids[0], CRITIQUE)
    library.projects.save_critique(ids[1], CRITIQUE)
    library.projects.import_essay(
        "essay:高三2班:学生1", student="学生1", title="题1", text="改过的第二稿。", tags=["高三2班"]
    )
    assert library.marking.uncritiqued(ids) == [ids[1], ids[2]]
    with pytest.raises(StorageError):
        library.marking.start("critique", "", [], {})


def test_a_stopped_batch_is_noted_and_stays_unfinished(library):
    ids = _class(library)
    batch = library.marking.start("critique", "", ids, {})
    library.marking.complete(batch.id, ids[0], CRITIQUE)
    library.marking.note_cancelled(batch.id)
    after = library.marking.batch(batch.id)
    assert after.cancelled is not None and after.finished is None
    assert [i.project_id for i in library.marking.items(batch.id, PENDING)] == ids[1:]


def test_the_teacher_s_mark_is_stored_shown_and_cleared(library):
    ids = _class(library, 2)
    library.projects.save_critique(ids[0], CRITIQUE)
    mark = library.marking.set_mark(ids[0], 48.5, " 立意深刻 ", author="王老师")
    assert (mark.total, mark.comment) == (48.5, "立意深刻")
    library.marking.set_mark(ids[0], 50, "立意深刻")
    rows = library.marking.marked(ids)
    assert rows[0].mark.total == 50 and rows[0].critique["total"] == 40 and rows[0].critique_current
    assert rows[1].mark is None and rows[1].critique is None
    library.marking.set_mark(ids[0], None, "")
    assert library.marking.mark(ids[0]) is None
    with pytest.raises(StorageError):
        library.marking.set_mark(ids[0], -1)
    with pytest.raises(StorageError):
        library.marking.set_mark(9999, 10)


def test_a_class_row_carries_the_teacher_s_open_annotations_on_the_text(library):
    (pid,) = _class(library, 1)
    text = library.projects.get(pid).answer
    library.projects.annotate(pid, "answer", 0, 3, "开头可以更具体", author="王老师")
    (row,) = library.marking.marked([pid])
    assert row.annotations[0]["quote"] == text[:3] and row.annotations[0]["body"] == "开头可以更具体"
    assert not row.critique_current
