"""Batch-critique bench: a class's essays critiqued as one queued job (prints figures only).

    .venv/bin/python tests/bench/bench_batch.py [--essays 45] [--model PATH] [--server URL] [--no-model]

The essays are the first N of the aes-300 *training* split (real students' essays; nothing is
tuned on them here, and the held-out split is not touched). They are imported as one class,
then ``Workbench.run_batch`` critiques them exactly as ``writer-app critique --tag`` and the
window's class view do: on the local model one at a time, on a server (``--server``) as many at
once as it has slots (``/props``) or ``--parallel`` says. Prints the wall time, the seconds per
essay, how the ETA shown after the fifth essay compared with the truth, and the totals.

``--gui N``: the same batch for N essays started from the window's class view (offscreen), with
a 5 ms timer probing how long the window's event loop stalls meanwhile.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from aes import load_essays, split  # noqa: E402

from writer_app.config import AppPaths, EngineSettings, ServerSettings, Settings  # noqa: E402
from writer_app.llm.engine import CancelToken  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.workbench import Workbench  # noqa: E402
from writer_app.writing.batch import BatchProgress  # noqa: E402

DEMO = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"


def gui_run(essays: list[dict], model: str, watch_ms: float = 0.0, explain_ms: float = 0.0) -> None:
    """The batch from the class view's button, the event loop probed throughout."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("WRITER_APP_NO_FIRST_RUN", "1")
    from bench_gui import Probe, pump_until
    from PySide6.QtWidgets import QApplication

    from writer_app.gui.app import create_window

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        paths = AppPaths(Path(tmp), Path(tmp))
        w = create_window(paths, Settings(engine=EngineSettings(model=model), author="bench"))
        w.show()
        w.start(load_model=True)
        pump_until(lambda: w.library is not None and w.wb.models.state in ("ready", "error"), 300)
        assert w.library is not None
        for e in essays:
            w.library.projects.import_essay(
                f"essay:bench:{e['id']}", student=e["id"], title=e["title"], text=e["text"], tags=["bench"]
            )
        dialog = w.open_class_view()
        pump_until(lambda: dialog.model.rowCount() == len(essays), 10)
        probe = Probe(watch_ms=watch_ms, explain_ms=explain_ms)
        probe.start()
        t0 = time.monotonic()
        dialog.batch_button.click()
        pump_until(lambda: not w.runner.busy("model"), 3600)
        wall = time.monotonic() - t0
        stalls = probe.stop()
        print(f"class view batch, {len(essays)} essays: {wall:.0f} s; {dialog.status.text().splitlines()[0]}")
        print(
            f"| window stall during the batch: max (p99, p95) | {stalls['stall_max_ms']} ms"
            f" ({stalls['stall_p99_ms']}, {stalls['stall_p95_ms']}) over {stalls['ticks']} ticks |"
        )
        for late, stacks in sorted(probe.late, key=lambda x: x[0], reverse=True)[:5]:
            print(f"\n### a tick noted {late:.0f} ms late (the watchdog's first look)\n{stacks}")
        if explain_ms:
            print(f"\n### {len(probe.explained)} stalls over {explain_ms:.0f} ms, where their time went")
            for _gap, line in sorted(probe.explained, reverse=True)[:15]:
                print(f"- {line}")
        print(
            f"| longest garbage collection in the window's process (full ones) | {stalls['gc_max_ms']} ms ({stalls['gc_full']}) |"
        )
        w.close()
    del app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--essays", type=int, default=45)
    ap.add_argument("--model", default=str(AppPaths.from_env().data_dir / "models" / DEMO))
    ap.add_argument("--server", default="", help="an OpenAI-compatible server's URL (classroom mode)")
    ap.add_argument("--parallel", type=int, default=0, help="requests at once on the server (0: ask it)")
    ap.add_argument("--gui", type=int, default=0, metavar="N", help="N essays from the window's class view")
    ap.add_argument(
        "--watch",
        type=float,
        default=0.0,
        metavar="MS",
        help="--gui: note every thread's stack at stalls over MS",
    )
    ap.add_argument(
        "--explain",
        type=float,
        default=0.0,
        metavar="MS",
        help="--gui: say where each stall over MS went (CPU, waiting for one, asleep, steal)",
    )
    ap.add_argument(
        "--json",
        choices=("compact", "loose"),
        help="the critique's JSON (default: the resources' json_compact)",
    )
    ap.add_argument("--no-model", action="store_true", help="the analysis-only critique (no model loaded)")
    args = ap.parse_args()
    train, _held_out = split(load_essays())
    if args.gui:
        gui_run(train[: args.gui], args.model, args.watch, args.explain)
        return
    essays = train[: args.essays]
    if args.server:
        engine = EngineSettings(
            backend="server", server=ServerSettings(url=args.server, parallel=args.parallel)
        )
    else:
        engine = EngineSettings(model=args.model)
    with tempfile.TemporaryDirectory() as tmp:
        paths = AppPaths(Path(tmp) / "data", Path(tmp) / "cfg")
        wb = Workbench.create(paths, Settings(engine=engine), resources_dir())
        if args.json:  # before/after jump-forward in one session
            wb.prompts("critique").limits["json_compact"] = args.json == "compact"
        form = "compact" if wb.prompts("critique").limit("json_compact", False) else "loose"
        lib = wb.open_library(first=True)
        for e in essays:
            lib.projects.import_essay(
                f"essay:bench:{e['id']}", student=e["id"], title=e["title"], text=e["text"], tags=["bench"]
            )
        t0 = time.monotonic()
        info = {"model": "none (analysis only)"} if args.no_model else wb.models.load()
        load_s = time.monotonic() - t0
        batch = wb.start_batch(lib, tag="bench", use_model=not args.no_model)
        assert batch is not None
        parallel = 1 if args.no_model else wb.models.parallel()
        seen: list[tuple[float, BatchProgress]] = []
        t1 = time.monotonic()
        done = wb.run_batch(
            lib, batch.id, CancelToken(), on_progress=lambda p: seen.append((time.monotonic(), p))
        )
        wall = time.monotonic() - t1
        ends = sorted({p.finished: t for t, p in seen}.items())
        per = [b - a for (_, a), (_, b) in zip([(0, t1), *ends[:-1]], ends, strict=True)][1:]
        eta5 = next((p.eta_s for t, p in seen if p.finished == 5 and p.eta_s is not None), None)
        at5 = next((t for t, p in seen if p.finished == 5), None)
        totals = [m.critique["total"] for m in lib.marking.marked(lib.marking.tagged("bench")) if m.critique]
        chars = [sum(1 for c in e["text"] if not c.isspace()) for e in essays]
        print(f"model: {info.get('model') or Path(args.model).name} ({'server' if args.server else 'local'})")
        print(f"essays: {len(essays)} (aes-300 training split), {statistics.median(chars):.0f} 字 median")
        print(f"requests at once: {parallel}; model load {load_s:.1f} s (not in the batch time); JSON {form}")
        print("| figure | value |\n|---|---|")
        print(f"| batch wall time | {wall:.0f} s ({wall / 60:.1f} min) |")
        print(f"| critiqued / failed | {done.done} / {done.failed} |")
        if per:
            print(f"| seconds per essay, median (max) | {statistics.median(per):.1f} ({max(per):.1f}) |")
        if eta5 is not None and at5 is not None:
            print(
                f"| ETA shown after 5 essays vs. the time it took | {eta5:.0f} s vs {t1 + wall - at5:.0f} s |"
            )
        if totals:
            print(
                f"| totals: median (min–max) | {statistics.median(totals):g} ({min(totals)}–{max(totals)}) |"
            )
        lib.close()
        wb.models.close()


if __name__ == "__main__":
    main()
