"""Critiquing a class's essays as one queued job, resumable after anything stops it.

The queue is in the database (:mod:`writer_app.storage.marking`); this module only works it off.
Why the split of labour below:

- Only the calling thread touches the database: SQLite connections belong to one thread, and
  each finished essay is stored (critique and ``done`` together) before the next result is
  taken. A killed process therefore loses at most the essays being critiqued at that moment,
  and those are still pending when the batch resumes.
- The critiques themselves may run ``parallel`` at once, on threads: a classroom server with
  four slots answers four requests at the time of one. The local model has one worker process
  and gets one at a time.
- A text the critic refuses (empty, too long, not Chinese, past the context) fails that item
  with its reason, and the batch goes on. Anything else (the server went away, the model
  crashed) stops the batch with the message: the rest stays pending, to resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from writer_app.errors import BadInputError, CancelledError, ContextOverflowError
from writer_app.llm.engine import CancelToken
from writer_app.storage.marking import PENDING, Batch, MarkingStore
from writer_app.storage.projects import Project

# what one critique gives the queue: the critique JSON and its generation log (None for the
# analysis-only estimate, which is not a generation)
Critiqued = tuple[dict[str, Any], dict[str, Any] | None]


@dataclass
class BatchProgress:
    finished: int  # items done or failed, of
    total: int
    failed: int
    current: str  # who is being critiqued now (the student, else the title)
    eta_s: float | None  # None until one essay of this run has finished
    just_finished: tuple[int, ...] = ()  # the projects stored since the last report

    def line(self) -> str:
        eta = "" if self.eta_s is None else f"，约 {_minutes(self.eta_s)} 后完成"
        return f"批量点评 {self.finished}/{self.total}：{self.current}{eta}"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} 秒"
    return f"{round(seconds / 60)} 分钟"


def who(project: Project) -> str:
    return project.student or project.title or f"#{project.id}"


def run_batch(
    store: MarkingStore,
    batch_id: int,
    load: Callable[[int], Project],
    critique_one: Callable[[Project, CancelToken], Critiqued],
    cancel: CancelToken,
    *,
    parallel: int = 1,
    on_progress: Callable[[BatchProgress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Batch:
    """Critique the batch's pending essays, storing each as it finishes; returns the batch as it
    then stands. Raises CancelledError when cancelled (what finished is kept), and the error
    that stopped it otherwise."""
    # each project is read as its turn comes: reading a class's essays at once held the
    # interpreter for ~40 ms, a stall in the window that started the batch
    pending = [item.project_id for item in store.items(batch_id, PENDING)]
    batch = store.batch(batch_id)
    started, finished_here = clock(), 0

    def report(current: str, just: tuple[int, ...] = ()) -> None:
        if on_progress is None:
            return
        now = store.batch(batch_id)
        eta = None
        if finished_here:
            eta = (clock() - started) / finished_here * now.pending
        on_progress(BatchProgress(now.done + now.failed, now.total, now.failed, current, eta, just))

    if not pending:
        return batch
    workers = max(1, min(parallel, len(pending)))
    queue = list(reversed(pending))
    running: dict[Future[Critiqued], Project] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch") as pool:
        try:
            while queue or running:
                while queue and len(running) < workers and not cancel.cancelled:
                    project = load(queue.pop())
                    running[pool.submit(critique_one, project, cancel)] = project
                    report(who(project))
                if cancel.cancelled:
                    raise CancelledError()
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                just: list[int] = []
                for future in done:
                    project = running.pop(future)
                    try:
                        data, generation = future.result()
                    except (BadInputError, ContextOverflowError) as exc:
                        store.fail(batch_id, project.id, str(exc))
                    else:
                        store.complete(batch_id, project.id, data, generation)
                    finished_here += 1
                    just.append(project.id)
                report(who(next(iter(running.values()))) if running else "", tuple(just))
        except CancelledError:
            _settle(store, batch_id, running, cancel)
            store.note_cancelled(batch_id)
            raise
        except BaseException:
            _settle(store, batch_id, running, cancel)
            raise
    return store.batch(batch_id)


def _settle(
    store: MarkingStore, batch_id: int, running: dict[Future[Critiqued], Project], cancel: CancelToken
) -> None:
    """Stop the requests in flight, and keep any that finished meanwhile (a critique that came
    back is not lost); the others stay pending."""
    cancel.cancel()
    for future, project in running.items():
        try:
            data, generation = future.result()
        except BaseException:  # cancelled or failed mid-request: it stays pending
            continue
        store.complete(batch_id, project.id, data, generation)
