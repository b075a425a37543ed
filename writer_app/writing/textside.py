"""A critique's text side (analysis and evidence) computed in a process of its own.

Why: the window runs a class's batch critique on a thread of its own process. Each essay's
analysis and evidence (jieba, the loop finder, near-duplicate pairs) is 30–130 ms of pure Python,
and on that thread it competes with the GUI thread for the GIL. Every Qt call the GUI thread
makes hands the GIL over and waits up to a switch interval to get it back, so the window stalled
100–210 ms at the start of each essay (``tests/bench/bench_batch.py --gui``). In a process of its
own the work competes for a core only, and the GUI thread keeps the GIL to itself.

The command line has no window to keep responsive and computes in-process (no process to start,
no second jieba dictionary to load). If the process dies (killed, out of memory), the rest of the
batch is computed in-process: slower for the window, and nothing is lost.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType

from writer_app.analysis.metrics import Analyzer
from writer_app.writing.critique import Grounding, TextSide, text_side
from writer_app.writing.rubric import Rubric

# the helper process's own analyzer: made by _start when that process starts (in the app's
# process this stays None)
_analyzer: Analyzer | None = None


def _start(resources_dir: Path) -> None:
    global _analyzer
    _analyzer = Analyzer(resources_dir)
    _analyzer.tokens("预热")  # the dictionary is loaded now, not on the first essay


def _compute(essay: str, rubric: Rubric, query: str, target_chars: int, grounding: Grounding) -> TextSide:
    assert _analyzer is not None, "_start runs first in the helper process"
    return text_side(essay, rubric, _analyzer, query=query, target_chars=target_chars, grounding=grounding)


class TextSideProcess:
    """One helper process computing text sides, in order; ``fallback`` computes them here when
    the process is gone. Use it as a context manager: leaving it ends the process."""

    def __init__(self, resources_dir: Path, fallback: Analyzer) -> None:
        self._fallback = fallback
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            max_workers=1, mp_context=mp.get_context("spawn"), initializer=_start, initargs=(resources_dir,)
        )

    @property
    def alive(self) -> bool:
        return self._pool is not None

    def compute(
        self, essay: str, rubric: Rubric, *, query: str, target_chars: int, grounding: Grounding
    ) -> TextSide:
        pool = self._pool
        if pool is not None:
            try:
                return pool.submit(_compute, essay, rubric, query, target_chars, grounding).result()
            except (BrokenProcessPool, RuntimeError):  # the helper died (or just closed): carry on here
                self.close()
        return text_side(
            essay, rubric, self._fallback, query=query, target_chars=target_chars, grounding=grounding
        )

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> TextSideProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
