"""Background jobs: batched events, stale results dropped by request id, errors as one line."""

from __future__ import annotations

import threading

from writer_app.errors import BadInputError
from writer_app.gui.jobs import JobRunner


def test_a_newer_job_in_the_same_slot_drops_the_older_ones_results(qtbot):
    runner = JobRunner()
    gate = threading.Event()
    done: list[str] = []

    def slow(job):
        gate.wait(5)
        job.emit("old event")
        return "old"

    events: list[list[str]] = []
    first = runner.start("search", slow, on_event=events.append, on_done=done.append)
    second = runner.start("search", lambda job: "new", on_event=events.append, on_done=done.append)
    assert first.cancelled and not second.cancelled and second.id > first.id
    gate.set()
    assert runner.wait_idle(10)
    assert done == ["new"] and events == []


def test_events_arrive_in_batches_on_the_gui_thread_and_errors_as_one_line(qtbot):
    runner = JobRunner()
    batches: list[list[int]] = []
    seen_threads: set[int] = set()
    errors: list[str] = []

    def work(job):
        for i in range(200):
            job.emit(i)
        return "ok"

    def on_event(batch):
        seen_threads.add(threading.get_ident())
        batches.append(batch)

    runner.start("model", work, on_event=on_event)
    runner.start(
        "other", lambda job: (_ for _ in ()).throw(BadInputError("题目为空")), on_error=errors.append
    )
    runner.start("bug", lambda job: 1 / 0, on_error=errors.append)
    assert runner.wait_idle(10)
    assert [i for b in batches for i in b] == list(range(200))
    assert len(batches) < 200  # batched per tick, not one call per event
    assert seen_threads == {threading.get_ident()}
    assert errors[0] == "题目为空"
    assert errors[1].startswith("内部错误") and "ZeroDivisionError" in errors[1]


def test_cancel_lets_the_job_finish_with_its_partial_result(qtbot):
    runner = JobRunner()
    results = []

    def work(job):
        while not job.cancelled:
            job.cancel.on_cancel(lambda: None)
            threading.Event().wait(0.01)
        return "partial"

    runner.start("model", work, on_done=results.append)
    assert runner.busy("model")
    runner.cancel("model")
    assert runner.wait_idle(10)
    assert results == ["partial"] and not runner.busy("model")


def test_the_qt_binding_keeps_references_to_none(qtbot):
    """PySide6 6.12.0 dropped a reference to None on every call that returns nothing, so a long
    session crashed ("deallocating None"); pyproject keeps it out. This catches such a build."""
    import sys

    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    editor = QPlainTextEdit()
    qtbot.addWidget(editor)
    before = sys.getrefcount(None)
    for _ in range(2000):
        editor.setPlainText("字")
        QApplication.processEvents()
    assert sys.getrefcount(None) - before > -100
