"""The batch critique: progress and ETA, a refused essay fails alone, an error stops the batch
with the rest pending, cancel and kill -9 resume with every essay critiqued exactly once, and
a server's slots run at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.errors import BadInputError, CancelledError, ModelError
from writer_app.llm.engine import CancelToken
from writer_app.resources import resources_dir
from writer_app.storage.library import Library
from writer_app.storage.marking import PENDING
from writer_app.writing.batch import BatchProgress, run_batch

HERE = Path(__file__).parent


def _critique(project, cancel):
    return {
        "total": 30,
        "max_total": 60,
        "rubric": "gaokao",
        "source": "analysis",
        "who": project.student,
    }, None


def _class(lib: Library, n: int) -> list[int]:
    return [
        lib.projects.import_essay(
            f"essay:一班:学生{i:02d}", student=f"学生{i:02d}", title="题", text=f"第{i}篇。", tags=["一班"]
        )[1]
        for i in range(n)
    ]


@pytest.fixture
def lib(tmp_path):
    library = Library.open(
        AppPaths(data_dir=tmp_path / "d", config_dir=tmp_path / "d"), Analyzer(resources_dir())
    )
    yield library
    library.close()


def _critiques(lib: Library, ids: list[int]) -> list[int]:
    return [len(lib.projects.critiques(pid)) for pid in ids]


def test_progress_names_each_student_and_an_eta_after_the_first(lib):
    ids = _class(lib, 4)
    batch = lib.marking.start("critique", "一班", ids, {})
    seen: list[BatchProgress] = []
    ticks = iter(range(100))
    out = run_batch(
        lib.marking,
        batch.id,
        lib.projects.get,
        _critique,
        CancelToken(),
        on_progress=seen.append,
        clock=lambda: float(next(ticks)),
    )
    assert out.finished is not None and out.done == 4
    assert seen[0].current == "学生00" and seen[0].eta_s is None
    assert any(p.eta_s is not None and p.eta_s > 0 for p in seen)
    assert seen[-1].finished == 4 and "4/4" in seen[-1].line()
    assert _critiques(lib, ids) == [1, 1, 1, 1]


def test_a_refused_essay_fails_alone_and_an_engine_error_stops_with_the_rest_pending(lib):
    ids = _class(lib, 4)
    batch = lib.marking.start("critique", "一班", ids, {})

    def one(project, cancel):
        if project.id == ids[0]:
            raise BadInputError("文章为空 (the essay is empty)")
        if project.id == ids[2]:
            raise ModelError("模型进程意外退出 (the model process died)")
        return _critique(project, cancel)

    with pytest.raises(ModelError):
        run_batch(lib.marking, batch.id, lib.projects.get, one, CancelToken())
    now = lib.marking.batch(batch.id)
    assert (now.done, now.failed, now.pending) == (1, 1, 2)
    assert [i.project_id for i in lib.marking.items(batch.id, PENDING)] == ids[2:]
    run_batch(lib.marking, batch.id, lib.projects.get, _critique, CancelToken())  # the resume
    assert _critiques(lib, ids) == [0, 1, 1, 1]


def test_a_cancelled_batch_keeps_what_finished_and_resumes_the_rest(lib):
    ids = _class(lib, 5)
    batch = lib.marking.start("critique", "一班", ids, {})
    cancel = CancelToken()

    def one(project, token):
        if project.id == ids[2]:
            cancel.cancel()
            raise CancelledError()
        return _critique(project, token)

    with pytest.raises(CancelledError):
        run_batch(lib.marking, batch.id, lib.projects.get, one, cancel)
    stopped = lib.marking.batch(batch.id)
    assert stopped.cancelled is not None and (stopped.done, stopped.pending) == (2, 3)
    assert lib.marking.unfinished("critique", "一班").id == batch.id
    run_batch(lib.marking, batch.id, lib.projects.get, _critique, CancelToken())
    assert _critiques(lib, ids) == [1] * 5


def test_a_server_s_slots_are_used_at_once(lib):
    ids = _class(lib, 8)
    batch = lib.marking.start("critique", "一班", ids, {})
    lock, running, peak = threading.Lock(), [0], [0]

    def one(project, cancel):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return _critique(project, cancel)

    out = run_batch(lib.marking, batch.id, lib.projects.get, one, CancelToken(), parallel=4)
    assert peak[0] == 4 and out.done == 8 and _critiques(lib, ids) == [1] * 8


def test_kill_9_mid_batch_then_resume_critiques_every_essay_exactly_once(lib, tmp_path):
    ids = _class(lib, 12)
    batch = lib.marking.start("critique", "一班", ids, {})
    child = subprocess.Popen(
        [sys.executable, str(HERE / "batch_child.py"), str(tmp_path / "d"), str(batch.id), "0.1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("progress 4/"):
            break
    child.kill()
    child.wait()
    killed = lib.marking.batch(batch.id)
    assert 0 < killed.done < 12 and killed.pending == 12 - killed.done
    out = run_batch(lib.marking, batch.id, lib.projects.get, _critique, CancelToken())
    assert out.done == 12 and out.finished is not None
    assert _critiques(lib, ids) == [1] * 12


def test_each_essay_is_read_as_its_turn_comes(lib):
    """Not the whole class before the first critique (that held the window's interpreter):
    a batch cancelled during its second essay has read two."""
    ids = _class(lib, 5)
    batch = lib.marking.start("critique", "一班", ids, {})
    token, read = CancelToken(), []

    def load(pid):
        read.append(pid)
        return lib.projects.get(pid)

    def critique(project, cancel):
        if len(read) == 2:
            cancel.cancel()
        return _critique(project, cancel)

    with pytest.raises(CancelledError):
        run_batch(lib.marking, batch.id, load, critique, token)
    assert read == ids[:2]
    assert lib.marking.batch(batch.id).done == 2
