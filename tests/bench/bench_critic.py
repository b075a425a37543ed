"""What the critic is worth, in figures (a bench, not a test). aes-300: 300 narrative essays with
their teachers' scores; the held-out split (100, sha256(id) first) is for reporting only.

    .venv/bin/python tests/bench/bench_critic.py                    # text only: about a minute
    .venv/bin/python tests/bench/bench_critic.py --model demo --mode score --split train --limit 40 --cache c.jsonl
    .venv/bin/python tests/bench/bench_critic.py --model demo --mode band --split held-out --cache c.jsonl
    .venv/bin/python tests/bench/bench_critic.py --drafts /tmp/bench/report2.jsonl   # worthless texts

Figures, every one computed in this run:
- agreement with teachers (Spearman, and QWK on the 60-point scale with the teacher's score × 0.6)
  for each ingredient: the analysis-only dimensions, + evidence, the total calibrated from the
  text features alone (before the lexical model, refitted here on the training split), the
  lexical model alone, a stack with fitted weights (tried, not shipped), the shipped stack, the
  model's dimensions (raw), the model with evidence, the calibrated total with the model;
- one total: critiques whose total differs from their dimensions plus deductions;
- the learning curve: the whole fit (lexical model and stack) made on the first 30/60/100/200
  training essays, each scored on the held-out split; and the lexical model with the title's
  characters left out of every essay's n-grams (does it score topic words?);
- damaged copies (text path, all 300 essays): the share of pairs where the original scores
  strictly higher than each damaged copy (shuffled paragraphs; 5 sentences repeated elsewhere;
  the second half replaced by another essay's; cut to 40 %; plan labels and assistant talk
  inserted; generic filler);
- worthless texts: drafts (from bench_quality.py --out) with ≥ 5 near-duplicate sentences or
  ≥ 20 % copied from their 构思, and the same essays with 5 sentences repeated 2×: each must
  score ≤ 30/60;
- critiques without suggestions; seconds per critique; with --seeds, the spread of two seeds.

Model critiques are cached per (model, mode, prompt text, seed, essay, variant) in --cache, so a run
resumes (answers depend on the sampling code too: use a new --cache when that changes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))  # scripted_engine: replays cached model answers

from aes import load_essays, split  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.resources import locate, resources_dir  # noqa: E402
from writer_app.writing.calibration import (  # noqa: E402
    LEXICAL,
    choose,
    fit,
    fit_stacked,
    load_calibrations,
    spearman,
)
from writer_app.writing.critique import Grounding, critique, feature_values, load_feature_model  # noqa: E402
from writer_app.writing.evidence import load_evidence_rules  # noqa: E402
from writer_app.writing.guards import load_guard_rules, split_sentences  # noqa: E402
from writer_app.writing.lexical import (  # noqa: E402
    fit_counts,
    load_lexical,
    ngram_counts,
    out_of_fold,
)
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
# what a small model leaves in a draft (the kinds the guards refuse), inserted between paragraphs
INSERTS = [
    "以下是文章的第二部分。",
    "第二部分：举例论证。",
    "【结尾】",
    "希望这篇文章对你有所帮助。",
    "您可以根据实际情况补充更多事例。",
]
DAMAGE = ("shuffled", "repeat5", "half", "cut40", "inserts", "filler")


def qwk(a: list[int], b: list[int], lo: int = 0, hi: int = 60) -> float:
    """Quadratic weighted kappa between two integer ratings on lo..hi."""
    n = hi - lo + 1
    o = np.zeros((n, n))
    for x, y in zip(a, b, strict=True):
        o[x - lo, y - lo] += 1
    w = np.array([[(i - j) ** 2 for j in range(n)] for i in range(n)]) / (n - 1) ** 2
    e = np.outer(o.sum(1), o.sum(0)) / o.sum()
    return float(1 - (w * o).sum() / (w * e).sum()) if (w * e).sum() else 0.0


def damage(text: str, kind: str, seed: int, other: str) -> str:
    title, body = split_title(text)
    paras = [p for p in body.split("\n") if p.strip()]
    rng = random.Random(seed)
    if kind == "shuffled":
        order = list(range(len(paras)))
        while len(paras) > 1 and order == sorted(order):
            rng.shuffle(order)
        paras = [paras[i] for i in order]
    elif kind == "repeat5":
        pool = [s for s in sentences(body) if len(s) >= 10] or sentences(body)
        for s in rng.sample(pool, min(5, len(pool))):
            j = rng.randrange(len(paras))
            paras[j] = paras[j] + s  # the sentence again, elsewhere in the essay
    elif kind == "half":
        other_paras = [p for p in split_title(other)[1].split("\n") if p.strip()]
        paras = paras[: max(1, len(paras) // 2)] + other_paras[len(other_paras) // 2 :]
    elif kind == "cut40":
        joined = "\n".join(paras)
        limit = int(len(joined) * 0.4)
        cut = max(joined.rfind(m, 0, limit) for m in "。！？")
        paras = joined[: (cut + 1 if cut > 0 else limit)].split("\n")
    elif kind == "inserts":
        for ins in INSERTS[:3]:
            paras.insert(rng.randrange(1, len(paras) + 1), ins)
    elif kind == "filler":
        extra = int(sum(len(p) for p in paras) * 0.4)
        added = k = 0
        while added < extra:
            f = FILLER[k % len(FILLER)]
            j = rng.randrange(len(paras))
            paras[j] = paras[j] + f
            added += len(f)
            k += 1
    return (title + "\n" if title else "") + "\n".join(paras)


class Critic:
    """The critique as the app runs it, for the text path and (optionally) a model."""

    def __init__(self, args: argparse.Namespace) -> None:
        res = resources_dir()
        self.args = args
        self.rubric = load_rubric(res, "gaokao")
        self.analyzer = Analyzer(res)
        self.features = load_feature_model(res)
        self.prompts = load_prompts(res, "critique")
        if args.mode:
            self.prompts = replace(self.prompts, limits={**self.prompts.limits, "mode": args.mode})
        if args.json:
            compact = args.json == "compact"
            self.prompts = replace(self.prompts, limits={**self.prompts.limits, "json_compact": compact})
        self.json_form = "compact" if self.prompts.limit("json_compact", False) else "loose"
        # answers are cached per prompt text too: a changed prompt is asked again
        self.prompt_id = hashlib.sha256(
            json.dumps(self.prompts.templates, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()[:8]
        self.guards = load_guard_rules(res)
        self.evidence = load_evidence_rules(res)
        self.calibrations = load_calibrations(res / "rubrics" / "calibration.toml")
        t = time.perf_counter()
        self.lexical = {
            c.lexical: load_lexical(res / "rubrics" / "lexical" / f"{c.lexical}.json")
            for c in self.calibrations
            if c.lexical
        }
        self.lexical_load_ms = round((time.perf_counter() - t) * 1000, 1)
        self.override: Any = None  # a calibration to use instead of the shipped one (the "before" rows)
        self.engine = self.params = None
        self.model = ""
        self.cache: dict[str, dict[str, Any]] = {}
        if args.cache and args.cache.exists():
            for line in args.cache.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    r = json.loads(line)
                    self.cache[r["key"]] = r

    def open_model(self) -> None:
        from writer_app.config import AppPaths, load_settings
        from writer_app.llm.local import default_params, make_engine, make_registry

        paths = AppPaths.from_env()
        settings, _ = load_settings(paths.settings_file)
        self.engine, info = make_engine(
            paths, make_registry(paths, locate()), settings.engine, self.args.model
        )
        self.params = default_params(settings.engine, seed=self.args.seed)
        self.model = Path(info.path).name  # what the app keeps a calibration under
        print(
            f"model: {self.model} ({info.path}), mode {self.prompts.limit('mode', 'score')}, "
            f"JSON {self.json_form}",
            file=sys.stderr,
        )

    def grounding(self, calibrated: bool = True, evidence: bool = True, model: str = "") -> Grounding:
        cal = (self.override or choose(self.calibrations, "gaokao", model)) if calibrated else None
        return Grounding(
            self.guards if evidence else None,
            self.evidence if evidence else None,
            calibration=cal,
            lexical=self.lexical.get(cal.lexical) if cal is not None else None,
        )

    def text(self, essay: str, **kw: Any) -> Any:
        return critique(
            essay, self.rubric, self.analyzer, features=self.features, grounding=self.grounding(**kw)
        )

    def model_row(self, essay_id: str, variant: str, text: str, seed: int | None = None) -> dict[str, Any]:
        """The model's raw dimension scores (cached), with seconds and the suggestion count."""
        seed = self.args.seed if seed is None else seed
        mode = self.prompts.limit("mode", "score")
        key = f"{self.model}:{mode}:{self.json_form}:{self.prompt_id}:{seed}:{essay_id}:{variant}"
        if key in self.cache:
            return self.cache[key]
        t0 = time.perf_counter()
        r = critique(
            text,
            self.rubric,
            self.analyzer,
            engine=self.engine,
            prompts=self.prompts,
            params=replace(self.params, seed=seed),
            features=self.features,
            suggestions=self.args.suggestions,
        )
        row = {
            "key": key,
            "dims": [{"key": d["key"], "score": d["score"], "max": d["max"]} for d in r.dimensions],
            "seconds": round(time.perf_counter() - t0, 2),
            "suggestions": len(r.suggestions),
        }
        self.cache[key] = row
        if self.args.cache:
            with self.args.cache.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return row

    def with_model(
        self, text: str, row: dict[str, Any], calibrated: bool = True, evidence: bool = True
    ) -> Any:
        """The app's critique of ``text`` given the model's (cached) dimension scores."""
        from scripted_engine import ScriptedEngine  # replays the model's answers through the app's path

        answers = [json.dumps({"reason": "", "score": d["score"], "suggestions": []}) for d in row["dims"]]
        prompts = replace(self.prompts, limits={**self.prompts.limits, "mode": "score"})
        return critique(
            text,
            self.rubric,
            self.analyzer,
            engine=ScriptedEngine(answers),
            prompts=prompts,
            features=self.features,
            grounding=self.grounding(calibrated, evidence, self.model),
        )


def teacher60(score: float) -> int:
    return int(round(score * 0.6))


def text_rows(critic: Critic, essays: list[dict[str, Any]]) -> list[dict[str, float]]:
    rows = []
    for e in essays:
        body = split_title(e["text"])[1]
        rows.append(feature_values(critic.analyzer.analyze(body, target_chars=800), body))
    return rows


def alternatives(critic: Critic, train: list[dict[str, Any]]) -> dict[str, Any]:
    """Calibrations fitted here on the training split, to score beside the shipped one: the text
    features alone (what shipped before the lexical model) and a stack whose weights are fitted
    (a ridge on the features and the lexical model's out-of-fold shares: tried, not shipped)."""
    rows = text_rows(critic, train)
    shares = [e["score"] / 100 for e in train]
    shipped = choose(critic.calibrations, "gaokao", "")
    oof = out_of_fold([ngram_counts(e["text"]) for e in train], shares)
    stacked_rows = [r | {LEXICAL: float(p)} for r, p in zip(rows, oof, strict=True)]
    fitted = fit(stacked_rows, shares, rubric="gaokao")
    return {
        "calibrated, features only (before)": fit(rows, shares, rubric="gaokao"),
        "calibrated, fitted-weight stack (not shipped)": replace(
            fitted, lexical=shipped.lexical if shipped else ""
        ),
    }


def one_total(r: Any) -> bool:
    """The total equals the dimensions plus the deductions."""
    return r.total == sum(d["score"] for d in r.dimensions) + r.deductions.points


def agreement(
    critic: Critic, essays: list[dict[str, Any]], name: str, others: dict[str, Any] | None = None
) -> dict[str, Any]:
    y = [e["score"] for e in essays]
    cols: dict[str, list[float]] = {"analysis": [], "analysis+evidence": []}
    for label in others or {}:
        cols[label] = []
    cols |= {"lexical model alone (its share)": [], "calibrated (text: the shipped stack)": []}
    off = 0
    shipped = choose(critic.calibrations, "gaokao", "")
    lexical = critic.lexical.get(shipped.lexical) if shipped else None
    for e in essays:
        plain = critic.text(e["text"], calibrated=False, evidence=False)
        cols["analysis"].append(plain.dimension_total)
        cols["analysis+evidence"].append(critic.text(e["text"], calibrated=False).dimension_total)
        for label, cal in (others or {}).items():
            critic.override = cal
            cols[label].append(critic.text(e["text"]).total)
            critic.override = None
        if lexical is not None:
            cols["lexical model alone (its share)"].append(lexical.predict(e["text"]))
        r = critic.text(e["text"])
        cols["calibrated (text: the shipped stack)"].append(r.total)
        off += not one_total(r)
    if critic.engine is not None:
        cols |= {"model": [], "model+evidence": [], "calibrated (text+model)": []}
        for n, e in enumerate(essays, 1):
            row = critic.model_row(e["id"], "original", e["text"])
            cols["model"].append(sum(d["score"] for d in row["dims"]))
            cols["model+evidence"].append(critic.with_model(e["text"], row, calibrated=False).dimension_total)
            r = critic.with_model(e["text"], row)
            cols["calibrated (text+model)"].append(r.total)
            off += not one_total(r)
            if n % 10 == 0:
                print(f"  {name}: {n}/{len(essays)}", file=sys.stderr, flush=True)
    t60 = [teacher60(s) for s in y]
    out: dict[str, Any] = {
        k: {"n": len(v), "spearman": round(spearman(v, y), 3)}
        | ({"qwk": round(qwk([int(x) for x in v], t60), 3)} if k != "lexical model alone (its share)" else {})
        for k, v in cols.items()
        if v
    }
    out["totals not equal to dimensions + deductions"] = off
    return out


def learning_curve(critic: Critic, train: list[dict[str, Any]], held: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole fit (lexical model and stack) on the first m training essays, each scored on the
    held-out split through the app's critique."""
    rows = text_rows(critic, train)
    y = [e["score"] for e in held]
    out = {}
    for m in (30, 60, 100, 200):
        t = time.perf_counter()
        cal, lex = fit_stacked(
            [e["text"] for e in train[:m]],
            rows[:m],
            [e["score"] / 100 for e in train[:m]],
            rubric="gaokao",
            curve=False,
        )
        critic.lexical[lex.version] = lex
        critic.override = cal
        totals = [critic.text(e["text"]).total for e in held]
        critic.override = None
        out[str(m)] = {
            "spearman_held_out": round(spearman(totals, y), 3),
            "fit_seconds": round(time.perf_counter() - t, 1),
        }
    return out


def cross_validated(critic: Critic, train: list[dict[str, Any]]) -> dict[str, Any]:
    """The tuning figure: each training essay critiqued (evidence and all) by a fit (lexical
    model and stack) made on the other folds of the training split. Choices are made on this;
    the held-out split only reports them."""
    from writer_app.writing.calibration import folds_of

    rows = text_rows(critic, train)
    totals: dict[int, int] = {}
    lexical_only: dict[int, float] = {}
    bare: dict[int, int] = {}
    for test in folds_of(len(train)):
        part = [i for i in range(len(train)) if i not in set(test)]
        cal, lex = fit_stacked(
            [train[i]["text"] for i in part],
            [rows[i] for i in part],
            [train[i]["score"] / 100 for i in part],
            rubric="gaokao",
            curve=False,
        )
        critic.lexical[lex.version] = lex
        critic.override = cal
        for i in test:
            totals[int(i)] = critic.text(train[i]["text"]).total
            bare[int(i)] = critic.text(train[i]["text"], evidence=False).total
            lexical_only[int(i)] = lex.predict(train[i]["text"])
        critic.override = None
    ids = sorted(totals)
    y = [train[i]["score"] for i in ids]
    return {
        "calibrated (text: the stack)": round(spearman([totals[i] for i in ids], y), 3),
        "qwk": round(qwk([totals[i] for i in ids], [teacher60(v) for v in y]), 3),
        "lexical model alone": round(spearman([lexical_only[i] for i in ids], y), 3),
        "the stack without the evidence": round(spearman([bare[i] for i in ids], y), 3),
        "totals_sd": round(float(np.std([totals[i] for i in ids])), 2),
    }


def topic_words(train: list[dict[str, Any]], held: list[dict[str, Any]]) -> dict[str, Any]:
    """The lexical model alone on the held-out split, as fitted, and with every n-gram that holds
    a character of the essay's own title left out (fitting and scoring): what the topic's words
    are worth to it."""
    from writer_app.analysis.metrics import HAN_RE

    def title_chars(e: dict[str, Any]) -> str:
        return "".join(HAN_RE.findall(e["title"] + split_title(e["text"])[0]))

    out = {}
    for label, drop in (("as fitted", lambda e: ""), ("title's characters left out", title_chars)):
        counts = [ngram_counts(e["text"], drop=drop(e)) for e in train]
        m = fit_counts(counts, [e["score"] / 100 for e in train])
        pred = [m.predict_counts(ngram_counts(e["text"], drop=drop(e))) for e in held]
        out[label] = round(spearman(pred, [e["score"] for e in held]), 3)
    return out


def damaged(
    critic: Critic, essays: list[dict[str, Any]], everyone: list[dict[str, Any]], held_ids: set[str]
) -> dict[str, Any]:
    """Per kind of damage, the share of essays that score strictly higher than their damaged copy:
    over all of ``essays``, and over the held-out ones alone (the rules were chosen on the rest)."""
    out = {}
    orig = {e["id"]: critic.text(e["text"]).total for e in essays}
    for kind in DAMAGE:
        higher: dict[str, bool] = {}
        ties = 0
        for e in essays:
            other = everyone[(everyone.index(e) + 7) % len(everyone)]["text"]
            worse = critic.text(damage(e["text"], kind, zlib.crc32(e["id"].encode()), other)).total
            higher[e["id"]] = orig[e["id"]] > worse
            ties += orig[e["id"]] == worse
        held = [v for k, v in higher.items() if k in held_ids]
        out[kind] = {
            "n": len(essays),
            "original_higher": round(sum(higher.values()) / len(essays), 3),
            "ties": round(ties / len(essays), 3),
            "held_out_higher": round(sum(held) / len(held), 3) if held else None,
        }
    return out


def worthless(critic: Critic, paths: list[Path], essays: list[dict[str, Any]]) -> dict[str, Any]:
    """Drafts the quality bench wrote with ≥ 5 near-duplicates or ≥ 20 % copied, and aes essays
    with 5 sentences each repeated twice: their totals, text path (and model where given)."""
    from writer_app.writing.guards import CopySource, copied_share, near_duplicates

    texts: list[tuple[str, str, str]] = []  # (label, text, thought)
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            body, thought = r.get("body", ""), r.get("thought", "")
            if r.get("unit") != "字" or not body.strip():
                continue
            copy = CopySource(
                [thought], r.get("query", ""), critic.guards.copy_run, critic.guards.whole_min_han
            )
            dups = len(near_duplicates(body, critic.guards))
            share = copied_share(body, copy) if thought else 0.0
            if dups >= 5 or share >= 0.2:
                texts.append((f"{r['config']}:{r['genre']} ({dups} dups, {share:.0%} copied)", body, thought))
    for e in essays:
        t = e["text"]
        for s in [s for s in split_sentences(split_title(t)[1]) if len(s) >= 10][:5]:
            t = t.replace(s, s * 3, 1)
        texts.append((f"aes:{e['id']} ×3", t, ""))
    rows = []
    for label, text, thought in texts:
        cal = choose(critic.calibrations, "gaokao", "")
        g = Grounding(
            critic.guards,
            critic.evidence,
            (thought,) if thought else (),
            cal,
            lexical=critic.lexical.get(cal.lexical) if cal is not None else None,
        )
        r = critique(
            text,
            critic.rubric,
            critic.analyzer,
            query="",
            features=critic.features,
            grounding=g,
            target_chars=800,
        )
        assert r.calibration is not None, r.warnings  # the shipped calibration was used
        rows.append({"text": label, "total": r.total, "suggestions": len(r.suggestions)})
    return {
        "n": len(rows),
        "max_total": max((r["total"] for r in rows), default=0),
        "over_30": sum(r["total"] > 30 for r in rows),
        "without_suggestions": sum(r["suggestions"] == 0 for r in rows),
        "drafts": [r for r in rows if not r["text"].startswith("aes:")],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="model name or path: add the model's critique (cached)")
    ap.add_argument("--mode", choices=("score", "band"), help="how the model is asked (default: resources)")
    ap.add_argument(
        "--json", choices=("compact", "loose"), help="the answer's JSON: compact (jump-forward) or loose"
    )
    ap.add_argument("--split", choices=("train", "held-out", "both"), default="held-out")
    ap.add_argument("--limit", type=int, default=0, help="only the first N essays of the split")
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--seeds", type=int, default=0, help="repeatability: this many essays critiqued with seed+1 too"
    )
    ap.add_argument("--suggestions", action="store_true", help="model critiques write suggestions (slower)")
    ap.add_argument("--drafts", type=Path, nargs="*", default=[], help="bench_quality --out files")
    ap.add_argument("--no-damage", action="store_true")
    ap.add_argument("--tuning", action="store_true", help="the training split's 5-fold figure too")
    ap.add_argument("--tuning-only", action="store_true", help="only that (no held-out essay is read)")
    args = ap.parse_args()
    critic = Critic(args)
    if args.model:
        critic.open_model()
    train, held = split(load_essays())
    everyone = held + train
    chosen = {"train": train, "held-out": held, "both": everyone}[args.split]
    if args.limit:
        chosen = chosen[: args.limit]
    t0 = time.perf_counter()
    report: dict[str, Any] = {"split": args.split, "n": len(chosen), "model": critic.model}
    report["json"] = critic.json_form
    report["lexical_model_load_ms"] = critic.lexical_load_ms
    if args.tuning:
        report["tuning_train_cv"] = cross_validated(critic, train)
        if args.tuning_only:
            print(json.dumps(report, ensure_ascii=False, indent=1))
            return 0
    report["agreement"] = agreement(critic, chosen, args.split, alternatives(critic, train))
    if args.split == "held-out" and not args.limit:
        report["learning_curve"] = learning_curve(critic, train, held)
        report["topic_words"] = topic_words(train, held)
    t = time.perf_counter()
    for e in chosen[:20]:
        critic.text(e["text"])
    report["text_seconds_per_critique"] = round((time.perf_counter() - t) / min(20, len(chosen)), 3)
    if critic.engine is not None:
        rows = [critic.model_row(e["id"], "original", e["text"]) for e in chosen]
        report["model_seconds"] = {
            "median": float(np.median([r["seconds"] for r in rows])),
            "max": max(r["seconds"] for r in rows),
        }
        if args.seeds:
            spread = []
            for e in chosen[: args.seeds]:
                a = critic.with_model(e["text"], critic.model_row(e["id"], "original", e["text"])).total
                b = critic.with_model(
                    e["text"], critic.model_row(e["id"], "original", e["text"], seed=args.seed + 1)
                ).total
                raw_a = sum(d["score"] for d in critic.model_row(e["id"], "original", e["text"])["dims"])
                raw_b = sum(
                    d["score"]
                    for d in critic.model_row(e["id"], "original", e["text"], seed=args.seed + 1)["dims"]
                )
                spread.append((abs(a - b), abs(raw_a - raw_b)))
            report["two_seeds"] = {
                "n": len(spread),
                "max_spread_total": max(s for s, _ in spread),
                "max_spread_model_raw": max(r for _, r in spread),
            }
    if not args.no_damage:
        report["damaged_all_300"] = damaged(critic, everyone, everyone, {e["id"] for e in held})
    if args.drafts:
        report["worthless"] = worthless(critic, args.drafts, held[:20])
    report["seconds"] = round(time.perf_counter() - t0, 1)
    if critic.engine is not None:
        critic.engine.close()
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
