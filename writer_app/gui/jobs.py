"""Background jobs for the GUI: a function runs on a Python thread, its events reach the GUI
thread in batches, and stale results are dropped.

Each job belongs to a *slot* ("model", "stats", "search", …). Starting a job in a busy slot
cancels the old one, and from then on nothing the old one sends is delivered: every event
carries its job's request id, and only the slot's current id gets through. Events are queued
by the worker thread and handed over by a timer on the GUI thread, one call per job per tick,
so a model streaming 40 tokens a second costs the GUI one repaint per tick, not 40.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from writer_app.errors import CancelledError, WriterAppError
from writer_app.llm.engine import CancelToken

TICK_MS = 40


@dataclass
class Job:
    id: int
    slot: str
    cancel: CancelToken
    on_event: Callable[[list[Any]], None] | None
    on_done: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None
    queue: queue.SimpleQueue[tuple[str, Any]] = field(default_factory=queue.SimpleQueue)
    thread: threading.Thread | None = None

    def emit(self, event: Any) -> None:
        """From the worker thread: hand one event to the GUI (delivered with the next tick)."""
        self.queue.put(("event", event))

    @property
    def cancelled(self) -> bool:
        return self.cancel.cancelled


class JobRunner(QObject):
    """Starts jobs, pumps their events into the GUI thread, and shuts them down on close."""

    busy_changed = Signal(str, bool)  # slot, busy

    def __init__(self, parent: QObject | None = None, crash_log: Path | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._current: dict[str, Job] = {}
        self._running: list[Job] = []
        self._crash_log = crash_log
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._pump)

    # -- starting and stopping ----------------------------------------------------------------------
    def start(
        self,
        slot: str,
        fn: Callable[[Job], Any],
        *,
        on_event: Callable[[list[Any]], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> Job:
        old = self._current.get(slot)
        if old is not None:
            old.cancel.cancel()
        job = Job(next(self._ids), slot, CancelToken(), on_event, on_done, on_error)
        self._current[slot] = job
        self._running.append(job)
        job.thread = threading.Thread(target=self._run, args=(job, fn), name=f"job-{slot}", daemon=True)
        job.thread.start()
        if not self._timer.isActive():
            self._timer.start()
        if old is None:
            self.busy_changed.emit(slot, True)
        return job

    def _run(self, job: Job, fn: Callable[[Job], Any]) -> None:
        try:
            result = fn(job)
        except CancelledError:
            job.queue.put(("cancelled", None))
        except WriterAppError as exc:
            job.queue.put(("error", str(exc)))
        except Exception as exc:  # a bug: one line for the user, the traceback in the log
            where = self._log(job)
            job.queue.put(("error", f"内部错误 (internal error): {type(exc).__name__}: {exc} [{where}]"))
        else:
            job.queue.put(("done", result))

    def _log(self, job: Job) -> str:
        if self._crash_log is None:
            return "-"
        try:
            self._crash_log.parent.mkdir(parents=True, exist_ok=True)
            with self._crash_log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} job {job.slot}\n{traceback.format_exc()}")
            return str(self._crash_log)
        except OSError:
            return "-"

    def cancel(self, slot: str) -> bool:
        """Ask the slot's job to stop; its final result still arrives (a cancelled draft keeps its text)."""
        job = self._current.get(slot)
        if job is None:
            return False
        job.cancel.cancel()
        return True

    def drop(self, slot: str) -> None:
        """Cancel the slot's job and ignore anything it still sends."""
        job = self._current.pop(slot, None)
        if job is not None:
            job.cancel.cancel()
            self.busy_changed.emit(slot, False)

    def busy(self, slot: str) -> bool:
        return slot in self._current

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything and wait (bounded) for the threads; their results are dropped."""
        for slot in list(self._current):
            self.drop(slot)
        deadline = time.monotonic() + timeout
        for job in self._running:
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))
        self._timer.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and scripts: pump until no job is left (True) or the time is up (False)."""
        from PySide6.QtCore import QCoreApplication

        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            self._pump()
            time.sleep(0.005)
        QCoreApplication.processEvents()
        return not self._running

    # -- the GUI side ---------------------------------------------------------------------------
    def _pump(self) -> None:
        for job in list(self._running):
            events: list[Any] = []
            final: tuple[str, Any] | None = None
            while final is None:
                try:
                    kind, payload = job.queue.get_nowait()
                except queue.Empty:
                    break
                if kind == "event":
                    events.append(payload)
                else:
                    final = (kind, payload)
            live = self._current.get(job.slot) is job
            if live and events and job.on_event is not None:
                job.on_event(events)
            if final is None:
                continue
            self._running.remove(job)
            if not live:
                continue  # superseded or dropped: its result is stale
            del self._current[job.slot]
            kind, payload = final
            if kind == "done" and job.on_done is not None:
                job.on_done(payload)
            elif kind == "error" and job.on_error is not None:
                job.on_error(payload)
            elif kind == "cancelled" and job.on_error is not None:
                job.on_error("")
            if job.slot not in self._current:
                self.busy_changed.emit(job.slot, False)
        if not self._running:
            self._timer.stop()
