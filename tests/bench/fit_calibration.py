"""Fit the critique's calibration on the aes-300 training split; write resources/rubrics/calibration.toml
and the lexical model it stacks (resources/rubrics/lexical/<version>.json).

    .venv/bin/python tests/bench/fit_calibration.py [--cache c.jsonl --model NAME --mode score] [--dry-run]

Always: the text-only calibration, on the 200 training essays: the lexical model (character
1–2-gram TF-IDF + ridge, :mod:`writer_app.writing.lexical`) stacked with a ridge on the text's
features (→ the teacher's score ÷ 100), see :func:`writer_app.writing.calibration.stack`. With --cache (bench_critic.py's model critiques): the same plus the model's
dimension scores, on the training essays the cache holds for that model, mode and seed; where the model's scores do not
improve the cross-validated agreement on those essays, the text-only fit is kept under the
model's name (its scores then carry no weight). Only the
training split is read; the held-out split stays unseen. The agreement written beside each fit is
cross-validated on the training split (bench_critic.py reports the held-out figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from aes import load_essays, split  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.writing.calibration import fit_stacked, model_signals, save_calibrations  # noqa: E402
from writer_app.writing.critique import feature_values  # noqa: E402
from writer_app.writing.lexical import save_lexical  # noqa: E402
from writer_app.writing.rubric import split_title  # noqa: E402


def cached_answers(cache: Path, model: str, mode: str, seed: int) -> dict[str, dict]:
    """The cache's answers of ``model`` in ``mode`` with ``seed`` to the original essays, by essay
    id. bench_critic's keys are ``model:mode:json form:prompt id:seed:essay:variant``; answers to
    more than one prompt or JSON form in one cache would mix two critics, so that is refused."""
    forms: dict[str, dict[str, dict]] = {}
    for line in cache.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        head, key_seed, essay, variant = r["key"].rsplit(":", 3)
        if head.startswith(f"{model}:{mode}:") and key_seed == str(seed) and variant == "original":
            forms.setdefault(head, {})[essay] = r
    if len(forms) > 1:
        raise SystemExit(
            f"{cache}: answers of {len(forms)} prompts or JSON forms ({', '.join(forms)}); use one"
        )
    return next(iter(forms.values()), {})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, help="bench_critic.py --cache file with model critiques")
    ap.add_argument("--model", default="", help="the model name the cache's keys start with")
    ap.add_argument("--mode", default="score")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    train, _held_out = split(load_essays())
    analyzer = Analyzer(resources_dir())
    text_rows, shares = [], []
    for e in train:
        _title, body = split_title(e["text"])
        text_rows.append(feature_values(analyzer.analyze(body, target_chars=800), body))
        shares.append(e["score"] / 100)
    texts = [e["text"] for e in train]
    text_fit, lexical = fit_stacked(
        texts,
        text_rows,
        shares,
        rubric="gaokao",
        curve=False,
        fitted_on=f"aes-300 training split ({len(train)} essays), text features + lexical model, stacked",
    )
    fits = [text_fit]
    if args.cache:
        cached = cached_answers(args.cache, args.model, args.mode, args.seed)
        rows, ys, model_texts = [], [], []
        for e, tr, y in zip(train, text_rows, shares, strict=True):
            r = cached.get(e["id"])
            if r is not None:
                rows.append(tr | model_signals(r["dims"]))
                ys.append(y)
                model_texts.append(e["text"])
        model_fit, model_lexical = fit_stacked(
            model_texts,
            rows,
            ys,
            rubric="gaokao",
            model=args.model,
            curve=False,
            fitted_on=f"aes-300 training split ({len(rows)} essays with the model's {args.mode} critique), stacked",
        )
        if model_lexical.version != lexical.version:
            raise SystemExit("the model's essays are not the whole training split: refit with all 200")
        fits.append(model_fit)
    for c in fits:
        print(
            f"{c.model or 'text'}: n={c.n} agreement (5-fold CV, train) {c.agreement}, model weight {c.model_weight:.4f}"
        )
        for n, w in zip(c.signals, c.weights, strict=True):
            print(f"  {n:<22} {w:+.4f}")
    if not args.dry_run:
        out = resources_dir() / "rubrics" / "calibration.toml"
        folder = resources_dir() / "rubrics" / "lexical"
        for old in folder.glob("*.json"):
            if old.stem != lexical.version:
                old.unlink()
        print(f"wrote {save_lexical(folder, lexical)} ({len(lexical.ngrams)} n-grams)")
        save_calibrations(out, fits)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
