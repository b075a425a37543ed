"""Classroom load: 1, 4 and 16 simulated students share one OpenAI-compatible server on loopback,
each writing an outline (构思, JSON) and then a draft through the app's own client and writing
code. Prints figures; asserts nothing (not a test).

    .venv/bin/python tests/bench/bench_classroom.py [--model demo] [--students 1,4,16]
        [--length 300] [--llama-server PATH --parallel 4] [--json OUT.json]

The server is llama-cpp-python's ``llama_cpp.server`` (one request at a time), or with
``--llama-server`` llama.cpp's own ``llama-server --parallel N`` (continuous batching). Per round:
time to first token (TTFT) of every request, streaming tokens/s per request, each student's
outline→draft seconds, the round's total tokens/s, and failed or hung requests (there must be none).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openai_stub import free_port  # noqa: E402

from writer_app.config import AppPaths  # noqa: E402
from writer_app.domain import find_genre, load_genres  # noqa: E402
from writer_app.llm.engine import FinishReason, GenerationParams  # noqa: E402
from writer_app.llm.local import make_registry  # noqa: E402
from writer_app.llm.remote import RemoteEngine, ServerConfig  # noqa: E402
from writer_app.resources import locate, resources_dir  # noqa: E402
from writer_app.writing.draft import collect_draft, draft  # noqa: E402
from writer_app.writing.outline import generate_outline  # noqa: E402
from writer_app.writing.prompts import load_prompts  # noqa: E402

QUERIES = [
    ("议论文", "以“坚持”为话题，写一篇议论文，自拟标题。"),
    ("记叙文", "以“那一刻，我长大了”为题，写一篇记叙文。"),
    ("议论文", "有人说“慢下来才能看清风景”，谈谈你的看法。"),
    ("散文", "以“故乡的秋天”为题，写一篇散文。"),
]


class Recorder:
    """The engine, keeping every request's final stats."""

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine
        self.requests: list[dict[str, Any]] = []

    def stream(self, messages: Any, params: Any = None, cancel: Any = None) -> Any:
        for chunk in self.engine.stream(messages, params, cancel):
            if chunk.done:
                s = chunk.stats
                self.requests.append(
                    {
                        "reason": chunk.finish_reason.value,
                        "message": chunk.message,
                        "ttft_s": s.ttft_s,
                        "tokens": s.completion_tokens,
                        "stream_s": max(0.0, s.total_s - s.ttft_s),
                        "total_s": s.total_s,
                    }
                )
            yield chunk

    def close(self) -> None:
        self.engine.close()


def start_server(args: argparse.Namespace, model: Path) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    if args.llama_server:
        cmd = [
            args.llama_server, "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
            "--parallel", str(args.parallel), "-c", str(args.n_ctx * args.parallel),
            "-t", str(args.threads), "--no-webui",
        ]  # fmt: skip
        name = f"llama-server --parallel {args.parallel}"
    else:
        cmd = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", model.stem,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(args.n_ctx),
            "--n_threads", str(args.threads), "--verbose", "False",
            # its default, True, ends a streaming answer early whenever another request arrives
            "--interrupt_requests", "False",
        ]  # fmt: skip
        name = "llama_cpp.server (one request at a time)"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as r:
                if r.status == 200:
                    return proc, url, name
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def student(i: int, url: str, args: argparse.Namespace, out: dict[str, Any]) -> None:
    res = resources_dir()
    genres = load_genres(res)
    kind, query = QUERIES[i % len(QUERIES)]
    genre = find_genre(genres, kind)
    engine = Recorder(RemoteEngine(ServerConfig(url, timeout_s=args.timeout)))
    params = GenerationParams(temperature=0.8, seed=100 + i)
    out["requests"] = engine.requests
    t0 = time.perf_counter()
    try:
        thought = generate_outline(
            engine, load_prompts(res, "outline"), query, genre, params, target_chars=args.length
        )
        out["outline_s"] = time.perf_counter() - t0
        result = collect_draft(
            draft(engine, load_prompts(res, "draft"), query, thought, genre, params, target_chars=args.length)
        )
        out["chars"] = result.chars
        out["finish"] = result.finish_reason
    except Exception as exc:  # counted, not raised: the figure is how many fail
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["total_s"] = time.perf_counter() - t0


def run_round(n: int, url: str, args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = [{} for _ in range(n)]
    threads = [
        threading.Thread(target=student, args=(i, url, args, results[i]), daemon=True) for i in range(n)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    deadline = t0 + args.round_limit
    for t in threads:
        t.join(max(0.0, deadline - time.perf_counter()))
    wall = time.perf_counter() - t0
    hung = sum(t.is_alive() for t in threads)
    reqs = [r for res in results for r in list(res.get("requests", []))]
    failed = [r for r in reqs if r["reason"] == FinishReason.ERROR.value]
    errors = [res["error"] for res in results if "error" in res]
    ttft = sorted(r["ttft_s"] for r in reqs if r["ttft_s"] > 0)
    rates = sorted(r["tokens"] / r["stream_s"] for r in reqs if r["stream_s"] > 0 and r["tokens"] > 1)
    tokens = sum(r["tokens"] for r in reqs)
    per_student = sorted(res["total_s"] for res in results if "total_s" in res)

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0

    return {
        "students": n,
        "requests": len(reqs),
        "failed_requests": len(failed),
        "student_errors": errors,
        "hung_students": hung,
        "wall_s": round(wall, 1),
        "ttft_median_s": round(statistics.median(ttft), 2) if ttft else 0.0,
        "ttft_p90_s": round(pct(ttft, 0.9), 2),
        "ttft_max_s": round(ttft[-1], 2) if ttft else 0.0,
        "stream_tps_median": round(statistics.median(rates), 1) if rates else 0.0,
        "student_s_median": round(statistics.median(per_student), 1) if per_student else 0.0,
        "student_s_max": round(per_student[-1], 1) if per_student else 0.0,
        "student_tps": round(tokens / n / wall, 1) if wall else 0.0,
        "server_tps": round(tokens / wall, 1) if wall else 0.0,
        "tokens": tokens,
        "chars_median": statistics.median([res.get("chars", 0) for res in results]),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="demo")
    ap.add_argument("--students", default="1,4,16")
    ap.add_argument("--length", type=int, default=300, help="draft target characters")
    ap.add_argument("--llama-server", dest="llama_server", help="llama.cpp's llama-server binary")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-ctx", type=int, default=4096, dest="n_ctx", help="context per slot")
    ap.add_argument("--timeout", type=float, default=300.0, help="the client's timeout (the app's default)")
    ap.add_argument("--round-limit", type=float, default=1800.0, dest="round_limit")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    model = make_registry(AppPaths.from_env(), locate()).resolve(args.model)
    proc, url, name = start_server(args, model)
    rounds = []
    try:
        print(
            f"server: {name}; model {model.name}; draft {args.length} 字; client timeout {args.timeout:g} s"
        )
        print(
            f"{'students':>8} {'wall s':>7} {'TTFT med':>9} {'TTFT p90':>9} {'TTFT max':>9} {'tok/s/req':>9} "
            f"{'tok/s/stu':>9} {'server tok/s':>12} {'student s med/max':>18} {'failed':>7} {'hung':>5}"
        )
        for n in (int(x) for x in args.students.split(",")):
            r = run_round(n, url, args)
            rounds.append(r)
            failed = r["failed_requests"] + len(r["student_errors"])
            print(
                f"{n:>8} {r['wall_s']:>7} {r['ttft_median_s']:>9} {r['ttft_p90_s']:>9} {r['ttft_max_s']:>9} "
                f"{r['stream_tps_median']:>9} {r['student_tps']:>9} {r['server_tps']:>12} "
                f"{str(r['student_s_median']) + ' / ' + str(r['student_s_max']):>18} {failed:>7} {r['hung_students']:>5}",
                flush=True,
            )
            for e in r["student_errors"]:
                print(f"    error: {e}")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    if args.json:
        args.json.write_text(json.dumps({"server": name, "model": model.name, "rounds": rounds}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
