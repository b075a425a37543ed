"""Time the writing pipeline on a real model and print figures (not a test; nothing is asserted).

    .venv/bin/python tests/bench/bench_writing.py [--model demo] [--prompts 4] [--seed 1]

For each Gaokao sample prompt (resources/sample_prompts.toml): outline seconds, an 800-字 draft
(seconds, characters, deviation from the target), and a critique of that draft (seconds, share of
the prompt reused from the cache for the second and third dimension). Goals (issue 3, 2 cores):
outline ≤ 20 s, 800-字 draft ≤ 60 s and within ±15 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import tomllib

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths, load_settings
from writer_app.domain import find_genre, load_genres
from writer_app.llm.local import default_params, make_engine, make_registry
from writer_app.resources import locate, resources_dir
from writer_app.writing.critique import critique, load_feature_model
from writer_app.writing.draft import collect_draft, draft
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.outline import generate_outline
from writer_app.writing.prompts import load_prompts
from writer_app.writing.rubric import load_rubric


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    res = resources_dir()
    paths = AppPaths.from_env()
    settings, _ = load_settings(paths.settings_file)
    engine, info = make_engine(paths, make_registry(paths, locate()), settings.engine, args.model)
    params = default_params(settings.engine, seed=args.seed)
    genres = load_genres(res)
    samples = tomllib.loads((res / "sample_prompts.toml").read_text(encoding="utf-8"))["prompt"]
    gaokao = [s for s in samples if find_genre(genres, s["query_type"]).rubric == "gaokao"][: args.prompts]
    p_outline, p_draft, p_critique = (load_prompts(res, n) for n in ("outline", "draft", "critique"))
    analyzer = Analyzer(res)
    analyzer.warm_up_in_background()
    rubric = load_rubric(res, "gaokao")
    rules = load_guard_rules(res)
    features = load_feature_model(res)
    t0 = time.perf_counter()
    engine.load()
    load_s = time.perf_counter() - t0
    rows = []
    for s in gaokao:
        genre = find_genre(genres, s["query_type"])
        t = time.perf_counter()
        thought = generate_outline(engine, p_outline, s["query"], genre, params, rules=rules)
        outline_s = time.perf_counter() - t
        t = time.perf_counter()
        result = collect_draft(
            draft(engine, p_draft, s["query"], thought, genre, params, target_chars=800, rules=rules)
        )
        draft_s = time.perf_counter() - t
        t = time.perf_counter()
        c = critique(
            result.answer,
            rubric,
            analyzer,
            query=s["query"],
            engine=engine,
            prompts=p_critique,
            params=params,
            features=features,
        )
        critique_s = time.perf_counter() - t
        reuse = [
            st["prompt_tokens_cached"] / st["prompt_tokens"] for st in c.stats[1:] if st["prompt_tokens"]
        ]
        rows.append(
            {
                "query_type": genre.name,
                "outline_s": round(outline_s, 1),
                "parts": len(result.parts),
                "draft_s": round(draft_s, 1),
                "draft_chars": result.chars,
                "deviation": round(result.chars / 800 - 1, 3),
                "finish": result.finish_reason,
                "critique_s": round(critique_s, 1),
                "critique_total": c.total,
                "prefix_reused": round(statistics.fmean(reuse), 3) if reuse else 0.0,
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    engine.close()
    summary = {
        "model": info.name,
        "threads": settings.engine.resolved_threads(),
        "load_s": round(load_s, 2),
        "outline_s_max": max(r["outline_s"] for r in rows),
        "draft_s_max": max(r["draft_s"] for r in rows),
        "draft_within_15pct": sum(abs(r["deviation"]) <= 0.15 for r in rows) / len(rows),
        "deviation_mean_abs": round(statistics.fmean(abs(r["deviation"]) for r in rows), 3),
        "critique_s_mean": round(statistics.fmean(r["critique_s"] for r in rows), 1),
        "prefix_reused_mean": round(statistics.fmean(r["prefix_reused"] for r in rows), 3),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
