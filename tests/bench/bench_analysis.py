"""Analysis speed: ``python tests/bench/bench_analysis.py``. Prints figures; asserts nothing.

Goals (issue 3): an 800-character essay ≤ 30 ms warm; 100,000 characters ≤ 1 s.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir

ESSAYS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "aes-300" / "essays.jsonl"


def corpus() -> str:
    if ESSAYS.exists():
        return "\n".join(json.loads(line)["text"] for line in ESSAYS.open(encoding="utf-8"))
    return "清晨，薄雾还没有散去，小镇的石板路上已经响起了自行车的铃声。因为下雨，所以我们没有出去。\n" * 3000


def main() -> None:
    text = corpus()
    analyzer = Analyzer(resources_dir())
    t0 = time.perf_counter()
    analyzer.warm_up_in_background().join()
    warm_s = time.perf_counter() - t0
    essay = text[:800]
    runs = []
    for _ in range(20):
        t = time.perf_counter()
        analyzer.analyze(essay)
        runs.append((time.perf_counter() - t) * 1000)
    big = (text * (1 + 100_000 // len(text)))[:100_000]
    t = time.perf_counter()
    analyzer.analyze(big)
    big_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "jieba_warm_up_s": round(warm_s, 3),
                "analyze_800_ms_median": round(statistics.median(runs), 2),
                "analyze_800_ms_max": round(max(runs), 2),
                "analyze_100k_s": round(big_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
