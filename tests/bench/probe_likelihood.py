"""Probe (not a feature): can the model's likelihood tell an essay from its paragraph-shuffled copy?

The critic bench's shuffled copies tie with their originals: no text feature sees paragraph order.
This measures, on the training split of aes-300 only, whether the demo model's per-token
log-likelihood could: for each essay and its shuffled copy (the critic bench's own damage), the
whole text's log-likelihood, the first 16 tokens of every paragraph, and (once per essay, the same
for both orders) each paragraph alone after the title, which gives how much the context before a
paragraph helps predict it. It prints the pairwise share where the original is more likely, the
spread of that gain across essays against the shift shuffling causes, each signal's Spearman with
the teacher, and the seconds a pass takes.

It calls llama-cpp-python directly because the app has no likelihood operation (this was not
built; see the README's critic section).

    .venv/bin/python tests/bench/probe_likelihood.py --n 45 --out ll.jsonl
    .venv/bin/python tests/bench/probe_likelihood.py --from-rows ll.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from aes import load_essays, split  # noqa: E402
from bench_critic import damage  # noqa: E402

from writer_app.writing.calibration import spearman  # noqa: E402

DEMO = Path.home() / ".local/share/writer-companion/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
HEAD_TOKENS = 16


class Scorer:
    def __init__(self, model: Path) -> None:
        from llama_cpp import Llama

        self.llm = Llama(str(model), n_ctx=4096, n_batch=512, logits_all=True, n_threads=2, verbose=False)

    def logprobs(self, text: str) -> tuple[np.ndarray, np.ndarray, float]:
        """Each token's log-probability after the ones before it (from the second token on), the
        character offset of each token, and the seconds the pass took."""
        toks = self.llm.tokenize(text.encode(), add_bos=False, special=False)
        self.llm.reset()
        t0 = time.perf_counter()
        self.llm.eval(toks)
        secs = time.perf_counter() - t0
        sc = np.asarray(self.llm.scores[: len(toks) - 1], dtype=np.float32)
        top = sc.max(1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(sc - top).sum(1))
        lp = sc[np.arange(len(toks) - 1), toks[1:]] - lse
        offsets, done = [], b""
        for t in toks:
            offsets.append(len(done.decode("utf-8", "ignore")))
            done += self.llm.detokenize([t])
        return lp, np.array(offsets), secs


def measure(scorer: Scorer, essay: dict[str, Any], other: str) -> dict[str, Any]:
    shuffled = damage(essay["text"], "shuffled", zlib.crc32(essay["id"].encode()), other)
    row: dict[str, Any] = {"id": essay["id"], "score": essay["score"]}
    for name, text in (("orig", essay["text"]), ("shuf", shuffled)):
        lp, offsets, secs = scorer.logprobs(text)
        heads = np.zeros(len(lp), bool)
        for start in (i + 1 for i, c in enumerate(text) if c == "\n"):
            k = int(np.searchsorted(offsets[1:], start))
            heads[k : k + HEAD_TOKENS] = True
        row[name] = {"sum": float(lp.sum()), "n": len(lp), "heads": float(lp[heads].mean()), "s": secs}
    lines = essay["text"].split("\n")
    title, paras = lines[0], [p for p in lines[1:] if p.strip()]
    alone, secs = 0.0, 0.0
    for p in paras:
        lp, offsets, s = scorer.logprobs(f"{title}\n{p}")
        alone += float(lp[int(np.searchsorted(offsets[1:], len(title) + 1)) :].sum())
        secs += s
    row["alone"] = {"sum": alone, "s": secs}
    return row


def report(rows: list[dict[str, Any]]) -> None:
    n = len(rows)
    o, s = [r["orig"] for r in rows], [r["shuf"] for r in rows]
    whole = sum(a["sum"] > b["sum"] for a, b in zip(o, s, strict=True))
    heads = sum(a["heads"] > b["heads"] for a, b in zip(o, s, strict=True))
    gain = np.array([(r["orig"]["sum"] - r["alone"]["sum"]) / r["orig"]["n"] for r in rows])
    shift = np.array([(r["orig"]["sum"] - r["shuf"]["sum"]) / r["orig"]["n"] for r in rows])
    teacher = [float(r["score"]) for r in rows]
    print(f"essays (training split): {n}")
    print(f"original more likely than its shuffled copy, whole text: {whole}/{n} ({whole / n:.0%})")
    print(f"the same, first {HEAD_TOKENS} tokens of each paragraph: {heads}/{n} ({heads / n:.0%})")
    p10, p50, p90 = np.percentile(gain, [10, 50, 90])
    print(f"gain from context, nats a token: 10/50/90 % {p10:.3f} / {p50:.3f} / {p90:.3f}")
    print(f"shift by shuffling, nats a token: median {np.median(shift):.3f}")
    print(
        f"Spearman with the teacher: gain {spearman(list(gain), teacher):.3f}, "
        f"log-likelihood a token {spearman([r['orig']['sum'] / r['orig']['n'] for r in rows], teacher):.3f}"
    )
    print(
        f"seconds a pass, median: {np.median([r['orig']['s'] for r in rows]):.1f} "
        f"(with the paragraphs alone: {np.median([r['orig']['s'] + r['alone']['s'] for r in rows]):.1f})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=45, help="training essays to measure")
    ap.add_argument("--model", type=Path, default=DEMO)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--from-rows", type=Path, help="reprint the figures of an earlier run's rows")
    args = ap.parse_args()
    if args.from_rows:
        report([json.loads(line) for line in args.from_rows.read_text(encoding="utf-8").splitlines()])
        return 0
    essays = load_essays()
    train, _held_out = split(essays)  # the held-out split is never read here
    scorer = Scorer(args.model)
    rows = []
    for e in train[: args.n]:
        other = essays[(essays.index(e) + 7) % len(essays)]["text"]
        rows.append(measure(scorer, e, other))
        if args.out:
            with args.out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(rows[-1], ensure_ascii=False) + "\n")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
