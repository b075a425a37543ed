"""Fit the analysis-only feature model on the aes-300 training split; write resources/rubrics/features.toml.

    .venv/bin/python tests/bench/fit_features.py [--alpha 10] [--dry-run]

Ridge regression of the teacher's score (as a fraction of 100) on standardized features. Only the
200 training essays are used; the 100 held-out essays stay unseen (see aes.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import tomli_w

sys.path.insert(0, str(Path(__file__).parent))

from aes import load_essays, split  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.writing.critique import feature_values  # noqa: E402
from writer_app.writing.rubric import split_title  # noqa: E402

# feature → (label, gaokao dimension, general dimension)
FEATURES = {
    "length_ratio": ("篇幅", "content", "quality"),
    "paragraphs": ("段落层次", "expression", "logic"),
    "avg_sentence_chars": ("平均句长", "expression", "language"),
    "sentence_chars_sd": ("句式变化", "expression", "language"),
    "punct_ratio": ("标点密度", "expression", "language"),
    "repeated_per_1k": ("重复短语", "expression", "language"),
    "connectives_per_100": ("关联词", "expression", "logic"),
    "idioms_per_1k": ("成语", "development", "creativity"),
    "quotes_per_1k": ("对话与引用", "development", "creativity"),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpha", type=float, default=10.0, help="ridge penalty")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    train, _held_out = split(load_essays())
    analyzer = Analyzer(resources_dir())
    rows, y = [], []
    for e in train:
        _title, body = split_title(e["text"])
        a = analyzer.analyze(body, target_chars=800)
        v = feature_values(a, body)
        rows.append([v[k] for k in FEATURES])
        y.append(e["score"] / 100)
    x = np.array(rows)
    t = np.array(y)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    intercept = float(t.mean())
    w = np.linalg.solve(z.T @ z + args.alpha * np.eye(z.shape[1]), z.T @ (t - intercept))
    pred = intercept + z @ w
    r = np.corrcoef(pred, t)[0, 1]
    print(f"train n={len(t)} pearson r={r:.3f}")
    for k, wi in zip(FEATURES, w, strict=True):
        print(f"  {k:<22} {wi:+.4f}")
    doc = {
        "fitted_on": f"aes-300 training split ({len(t)} essays), ridge alpha={args.alpha}",
        "intercept": round(intercept, 5),
        "feature": [
            {
                "name": k,
                "label": FEATURES[k][0],
                "dimension": {"gaokao": FEATURES[k][1], "general": FEATURES[k][2]},
                "mean": round(float(m), 5),
                "scale": round(float(s), 5),
                "weight": round(float(wi), 5),
            }
            for k, m, s, wi in zip(FEATURES, mean, scale, w, strict=True)
        ],
    }
    if not args.dry_run:
        out = resources_dir() / "rubrics" / "features.toml"
        header = (
            "# Analysis-only feature model, written by tests/bench/fit_features.py. Do not edit by hand.\n"
        )
        out.write_text(header + tomli_w.dumps(doc), encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
