"""Agreement of the critic with teachers on aes-300, and degraded pairs. Prints figures; not a test.

    .venv/bin/python tests/bench/eval_critic.py --mode analysis              # seconds
    .venv/bin/python tests/bench/eval_critic.py --mode model --cache r.jsonl  # ~20 s per critique
    .venv/bin/python tests/bench/eval_critic.py --mode model --degraded 20 --cache r.jsonl

- Spearman rank correlation between the critique total and the teacher's score, on the training
  split (200 essays; the feature model was fitted on it, so that figure is in-sample) and on the
  held-out split (100 essays nothing was fitted or tuned on).
- Degraded pairs: each essay against four worse versions of itself (paragraphs shuffled, a
  sentence repeated in a loop, cut to 40 %, filler padding); the share of pairs where the original
  scores strictly higher, and the share of ties.

Results are cached per (mode, essay id, variant) in --cache so an interrupted model run resumes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from aes import load_essays, split  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.config import AppPaths, load_settings  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.writing.critique import critique, load_feature_model  # noqa: E402
from writer_app.writing.prompts import load_prompts  # noqa: E402
from writer_app.writing.rubric import load_rubric, sentences, split_title  # noqa: E402

FILLER = [
    "这件事情让我明白了很多道理。",
    "总而言之，我们要正确地看待这个问题。",
    "这是一个值得我们每个人深思的问题。",
    "由此可见，这一点是非常重要的。",
    "我们应该从中吸取经验和教训。",
    "生活中这样的例子还有很多很多。",
    "所以说，我们一定要努力做得更好。",
    "每个人都应该认真思考这个问题。",
]
VARIANTS = ("shuffled", "loop", "cut40", "filler")


def rank(a: np.ndarray) -> np.ndarray:
    order = a.argsort(kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a))
    for v in np.unique(a):  # ties get their average rank
        idx = a == v
        ranks[idx] = ranks[idx].mean()
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = rank(np.array(x, float)), rank(np.array(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def degrade(text: str, kind: str, seed: int) -> str:
    title, body = split_title(text)
    paras = [p for p in body.split("\n") if p.strip()]
    rng = random.Random(seed)
    if kind == "shuffled":
        order = list(range(len(paras)))
        while len(paras) > 1 and order == sorted(order):
            rng.shuffle(order)
        paras = [paras[i] for i in order]
    elif kind == "loop":
        i = len(paras) // 2
        ss = sentences(paras[i]) or [paras[i]]
        s = ss[len(ss) // 2]
        paras[i] = paras[i].replace(s, s * 6, 1)
    elif kind == "cut40":
        joined = "\n".join(paras)
        limit = int(len(joined) * 0.4)
        cut = max(joined.rfind(m, 0, limit) for m in "。！？")
        paras = joined[: (cut + 1 if cut > 0 else limit)].split("\n")
    elif kind == "filler":
        extra = int(sum(len(p) for p in paras) * 0.4)
        added = 0
        k = 0
        while added < extra:
            f = FILLER[k % len(FILLER)]
            j = rng.randrange(len(paras))
            paras[j] = paras[j] + f
            added += len(f)
            k += 1
    return (title + "\n" if title else "") + "\n".join(paras)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("analysis", "model"), default="analysis")
    ap.add_argument("--split", choices=("train", "held-out", "both"), default="both")
    ap.add_argument("--limit", type=int, default=0, help="only the first N essays of each split")
    ap.add_argument("--degraded", type=int, default=-1, help="essays for degraded pairs (-1: all scored)")
    ap.add_argument("--cache", type=Path, help="JSONL of results, reused and appended")
    ap.add_argument("--model", help="model name or path (default: the configured one)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--with-suggestions", action="store_true", help="generate suggestions too (slower)")
    args = ap.parse_args()

    res = resources_dir()
    rubric = load_rubric(res, "gaokao")
    analyzer = Analyzer(res)
    features = load_feature_model(res)
    engine = None
    prompts = load_prompts(res, "critique")
    params = None
    if args.mode == "model":
        from writer_app.llm.local import default_params, make_engine, make_registry

        paths = AppPaths.from_env()
        settings, _ = load_settings(paths.settings_file)
        engine, info = make_engine(paths, make_registry(paths), settings.engine, args.model)
        params = default_params(settings.engine, seed=args.seed)
        print(f"model: {info.name} ({info.path})", file=sys.stderr)

    cache: dict[str, dict] = {}
    if args.cache and args.cache.exists():
        for line in args.cache.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                cache[r["key"]] = r

    def score(essay_id: str, variant: str, text: str) -> int:
        key = f"{args.mode}:{essay_id}:{variant}"
        if key in cache:
            return cache[key]["total"]
        t0 = time.perf_counter()
        r = critique(
            text,
            rubric,
            analyzer,
            target_chars=800,
            engine=engine,
            prompts=prompts if engine else None,
            params=params,
            features=features,
            suggestions=args.with_suggestions,  # scores only: same prompt, same scores, faster
        )
        row = {
            "key": key,
            "total": r.total,
            "dims": [d["score"] for d in r.dimensions],
            "seconds": round(time.perf_counter() - t0, 2),
        }
        cache[key] = row
        if args.cache:
            with args.cache.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return r.total

    train, held_out = split(load_essays())
    splits = {"train": train, "held-out": held_out}
    wanted = ("train", "held-out") if args.split == "both" else (args.split,)
    report: dict = {"mode": args.mode, "spearman": {}, "degraded": {}}
    scored: list[dict] = []
    t_start = time.perf_counter()
    for name in wanted:
        essays = splits[name][: args.limit] if args.limit else splits[name]
        totals = []
        for n, e in enumerate(essays, 1):
            totals.append(score(e["id"], "original", e["text"]))
            if engine and n % 10 == 0:
                print(f"  {name}: {n}/{len(essays)}", file=sys.stderr)
        rho = spearman(totals, [e["score"] for e in essays])
        report["spearman"][name] = {"n": len(essays), "rho": round(rho, 3)}
        scored += essays
    n_deg = len(scored) if args.degraded < 0 else min(args.degraded, len(scored))
    # degraded pairs come from the held-out essays first, then training ones
    pool = sorted(scored, key=lambda e: e not in held_out)[:n_deg]
    for variant in VARIANTS if n_deg else ():
        higher = ties = 0
        for e in pool:
            orig = score(e["id"], "original", e["text"])
            worse = score(e["id"], variant, degrade(e["text"], variant, seed=zlib.crc32(e["id"].encode())))
            higher += orig > worse
            ties += orig == worse
        report["degraded"][variant] = {
            "n": len(pool),
            "original_higher": round(higher / len(pool), 3),
            "ties": round(ties / len(pool), 3),
        }
    report["seconds"] = round(time.perf_counter() - t_start, 1)
    if engine:
        engine.close()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
