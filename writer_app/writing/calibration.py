"""Calibration: the total a teacher would give, fitted on essays teachers scored.

A model's verdict is one signal among several, and for a small model a nearly worthless one (the
demo model's totals correlate with teachers at −0.007). So the total shown is a ridge regression
of the teacher's score (as a share of the rubric's maximum) on standardized signals: the text's
features (:func:`writer_app.writing.critique.feature_values`) and, where the calibration was fitted
with a model, that model's dimension scores as shares of their maxima. A model whose signals got
no weight in the fit gets none in the total, and the critique says so.

The shipped calibration (``resources/rubrics/calibration.toml``) is written by
``tests/bench/fit_calibration.py`` from the aes-300 training split; ``writer-app calibrate`` fits
the same thing to one teacher's own marking and keeps it per model in the data folder.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from writer_app.errors import BadInputError

if TYPE_CHECKING:
    from writer_app.writing.lexical import LexicalModel

MODEL_PREFIX = "model_"  # a model signal: model_<dimension key>, the score as a share of its max
LEXICAL = "lexical"  # the lexical model's share (:mod:`writer_app.writing.lexical`)
MIN_ESSAYS = 30
NO_WEIGHT = 0.005  # a model whose signals' weights sum (in absolute value) below this carries none


@dataclass(frozen=True)
class Calibration:
    """One fitted mapping: signals → the teacher's score as a share of the maximum."""

    model: str  # "" for text only; otherwise the model whose scores are among the signals
    rubric: str
    signals: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    fitted_on: str = ""
    n: int = 0
    agreement: dict[str, float] = field(default_factory=dict)  # e.g. {"spearman_cv": 0.21}
    lexical: str = ""  # the version of the lexical model this calibration was stacked with
    # agreement when fitted on fewer essays: (essays fitted on, cross-validated Spearman)
    curve: tuple[tuple[int, float], ...] = ()

    @property
    def model_weight(self) -> float:
        return sum(
            abs(w) for s, w in zip(self.signals, self.weights, strict=True) if s.startswith(MODEL_PREFIX)
        )

    @property
    def uses_model(self) -> bool:
        return bool(self.model) and self.model_weight >= NO_WEIGHT

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        """What each signal adds to the share, against an average essay of the fit."""
        return {
            name: w * ((values.get(name, m) - m) / s if s else 0.0)
            for name, m, s, w in zip(self.signals, self.mean, self.scale, self.weights, strict=True)
        }

    def unknown_signals(self, known: set[str]) -> list[str]:
        """The signals this calibration needs that the critique does not compute (a calibration
        written for another version or rubric)."""
        return [s for s in self.signals if s not in known]

    def predict(self, values: dict[str, float]) -> float:
        """The share of the maximum (0–1). A signal missing from ``values`` counts as its mean."""
        share = self.intercept
        for name, m, s, w in zip(self.signals, self.mean, self.scale, self.weights, strict=True):
            v = values.get(name, m)
            share += w * ((v - m) / s if s else 0.0)
        return min(1.0, max(0.0, share))

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "rubric": self.rubric,
            "fitted_on": self.fitted_on,
            "n": self.n,
            "lexical": self.lexical,
            "curve": [[m, round(r, 3)] for m, r in self.curve],
            "agreement": dict(self.agreement),
            "intercept": round(self.intercept, 6),
            "signal": [
                {"name": n, "mean": round(m, 6), "scale": round(s, 6), "weight": round(w, 6)}
                for n, m, s, w in zip(self.signals, self.mean, self.scale, self.weights, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Calibration:
        sig = raw["signal"]
        scale = tuple(float(s["scale"]) for s in sig)
        values = [
            float(raw["intercept"]),
            *(float(s["mean"]) for s in sig),
            *scale,
            *(float(s["weight"]) for s in sig),
        ]
        if not all(math.isfinite(v) for v in values) or any(s < 0 for s in scale):
            raise ValueError("a number is not finite")
        return cls(
            model=str(raw.get("model", "")),
            rubric=str(raw["rubric"]),
            signals=tuple(str(s["name"]) for s in sig),
            mean=tuple(float(s["mean"]) for s in sig),
            scale=scale,
            weights=tuple(float(s["weight"]) for s in sig),
            intercept=float(raw["intercept"]),
            fitted_on=str(raw.get("fitted_on", "")),
            n=int(raw.get("n", 0)),
            agreement={str(k): float(v) for k, v in raw.get("agreement", {}).items()},
            lexical=str(raw.get("lexical", "")),
            curve=tuple((int(m), float(r)) for m, r in raw.get("curve", [])),
        )


def model_signals(dims: Sequence[dict[str, Any]]) -> dict[str, float]:
    """A model's dimension scores as signals (shares of their maxima)."""
    return {f"{MODEL_PREFIX}{d['key']}": d["score"] / d["max"] for d in dims if d.get("max")}


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def rank(a: np.ndarray) -> np.ndarray:
    order = a.argsort(kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a))
    for v in np.unique(a):  # ties share their average rank
        idx = a == v
        ranks[idx] = ranks[idx].mean()
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    rx, ry = rank(np.asarray(x, float)), rank(np.asarray(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def _ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    intercept = float(y.mean())
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - intercept))
    return mean, scale, w, intercept


def folds_of(n: int, folds: int = 5) -> list[np.ndarray]:
    """The test rows of each fold: a fixed shuffle of the rows, dealt out in turn. Shuffled,
    because a teacher's file or class is often in order (by name, by score); fixed, so that a
    fit is repeatable and every ingredient of a stack is cross-validated on the same folds."""
    order = np.random.default_rng(0).permutation(n)
    return [np.sort(order[f::folds]) for f in range(min(folds, n))]


def _out_of_fold(x: np.ndarray, y: np.ndarray, alpha: float, folds: int) -> np.ndarray:
    """Each row's prediction by a ridge fitted without it."""
    pred = np.empty(len(y))
    idx = np.arange(len(y))
    for test in folds_of(len(y), folds):
        train = np.setdiff1d(idx, test)
        mean, scale, w, b = _ridge(x[train], y[train], alpha)
        pred[test] = b + ((x[test] - mean) / scale) @ w
    return pred


def fit(
    rows: Sequence[dict[str, float]],
    shares: Sequence[float],
    *,
    rubric: str,
    model: str = "",
    alpha: float = 10.0,
    folds: int = 5,
    fitted_on: str = "",
) -> Calibration:
    """Ridge of ``shares`` (teacher score ÷ maximum) on the signals in ``rows``; the agreement it
    reports is cross-validated (each essay predicted by a fit that did not see it)."""
    if len(rows) < MIN_ESSAYS:
        raise BadInputError(
            f"至少需要 {MIN_ESSAYS} 篇打过分的文章，现有 {len(rows)} 篇 (need ≥ {MIN_ESSAYS} scored essays)"
        )
    names = sorted({k for r in rows for k in r})
    x = np.array([[float(r.get(k, 0.0)) for k in names] for r in rows])
    y = np.asarray(shares, float)
    if not np.isfinite(x).all() or not np.isfinite(y).all():
        raise BadInputError("校准数据中有无效的数值 (a value is not a finite number)")
    pred = _out_of_fold(x, y, alpha, folds)
    mean, scale, w, b = _ridge(x, y, alpha)
    return Calibration(
        model=model,
        rubric=rubric,
        signals=tuple(names),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in w),
        intercept=b,
        fitted_on=fitted_on or f"{len(y)} essays, ridge alpha={alpha}",
        n=len(y),
        agreement={"spearman_cv": round(spearman([float(v) for v in pred], [float(v) for v in y]), 3)},
    )


def fit_for_model(
    rows: Sequence[dict[str, float]],
    shares: Sequence[float],
    *,
    rubric: str,
    model: str,
    alpha: float = 10.0,
    fitted_on: str = "",
) -> Calibration:
    """The calibration for ``model``: text and model signals together where that agrees better
    with the teacher (cross-validated, on the same essays) than the text alone; otherwise the
    text alone, kept under the model's name, so the model's scores carry no weight in its total."""
    both = fit(rows, shares, rubric=rubric, model=model, alpha=alpha, fitted_on=fitted_on)
    text_rows = [{k: v for k, v in r.items() if not k.startswith(MODEL_PREFIX)} for r in rows]
    text = fit(text_rows, shares, rubric=rubric, model=model, alpha=alpha, fitted_on=fitted_on)
    gain = both.agreement["spearman_cv"] - text.agreement["spearman_cv"]
    chosen = both if gain > 0 else text
    agreement = dict(
        chosen.agreement,
        spearman_cv_text=text.agreement["spearman_cv"],
        spearman_cv_with_model=both.agreement["spearman_cv"],
    )
    return replace(chosen, agreement=agreement)


# --------------------------------------------------------------------------------------------
# the stack: text features, the lexical model and the model's scores
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """One ingredient of the stack: its signals, its out-of-fold predictions and (for a ridge
    over several signals) the ridge fitted on every essay."""

    name: str
    signals: tuple[str, ...]
    oof: np.ndarray
    ridge: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None  # None: one signal, used as it is


def stack(
    rows: Sequence[dict[str, float]],
    shares: Sequence[float],
    lexical_oof: Sequence[float] | np.ndarray | None,
    *,
    rubric: str,
    model: str = "",
    lexical: str = "",
    alpha: float = 10.0,
    folds: int = 5,
    fitted_on: str = "",
) -> Calibration:
    """The total as a stack of its ingredients, each standardized and given the same weight:
    a ridge on the text features, the lexical model's share, and (where the rows carry them) a
    ridge on the model's dimension scores. One slope maps the mean to the teacher's scale (:func:`_equating_slope`).

    Every figure the stack is fitted on is out-of-fold: the lexical model's shares
    (``lexical_oof``, from models that did not see the essay) and each ridge's own predictions.
    The model's scores join only where they raise the out-of-fold agreement (a small model's
    scores often do not); the agreement reported is that of the out-of-fold mean, so
    cross-validated, beside each ingredient's own.

    Why equal weights and not fitted ones: on the aes-300 training split (5-fold CV repeated 3
    times, each fold's weights fitted inside it) a fitted stack agreed with teachers at 0.12–0.18,
    worse than the lexical model alone (0.19); the equal mean at 0.25. With a few hundred essays
    and signals this weak, fitted weights are mostly noise (see README, *What the critic is worth*).
    The result is one linear :class:`Calibration` over the signals, as before."""
    if len(rows) < MIN_ESSAYS:
        raise BadInputError(
            f"至少需要 {MIN_ESSAYS} 篇打过分的文章，现有 {len(rows)} 篇 (need ≥ {MIN_ESSAYS} scored essays)"
        )
    y = np.asarray(shares, float)
    names = sorted({k for r in rows for k in r} - {LEXICAL})
    text_names = tuple(k for k in names if not k.startswith(MODEL_PREFIX))
    model_names = tuple(k for k in names if k.startswith(MODEL_PREFIX))

    def ridge_part(name: str, signals: tuple[str, ...]) -> _Part:
        x = np.array([[float(r.get(k, 0.0)) for k in signals] for r in rows])
        if not np.isfinite(x).all() or not np.isfinite(y).all():
            raise BadInputError("校准数据中有无效的数值 (a value is not a finite number)")
        return _Part(name, signals, _out_of_fold(x, y, alpha, folds), _ridge(x, y, alpha))

    text = ridge_part("text", text_names)
    parts, agreement = [text], {"spearman_cv_text": _rho(text.oof, y)}
    if lexical_oof is not None:
        lex = np.asarray(lexical_oof, float)
        if len(lex) != len(y) or not np.isfinite(lex).all():
            raise BadInputError("词汇模型的预测无效 (the lexical predictions are not finite)")
        parts.append(_Part(LEXICAL, (LEXICAL,), lex, None))
        agreement["spearman_cv_lexical"] = _rho(lex, y)
    if model_names and model:  # the model's scores join where the mean agrees better with them
        part = ridge_part("model", model_names)
        agreement["spearman_cv_model"] = _rho(part.oof, y)
        agreement["spearman_cv_without_model"] = _rho(_mean_z(parts), y)
        agreement["spearman_cv_with_model"] = _rho(_mean_z([*parts, part]), y)
        if agreement["spearman_cv_with_model"] > agreement["spearman_cv_without_model"]:
            parts.append(part)
    z = _mean_z(parts)
    slope = _equating_slope(z, y)
    agreement["spearman_cv"] = _rho(z, y)
    return _compose(
        parts, slope, float(y.mean() - slope * z.mean()), rubric, model, lexical, fitted_on, len(y), agreement
    )


def _equating_slope(z: np.ndarray, y: np.ndarray) -> float:
    """The slope that gives the predictions the spread of the teacher's scores (linear equating,
    as essay scorers report on the human scale), in the direction they agree. A least-squares
    slope would shrink every total towards the mean in proportion to how weakly the signals
    agree: with agreement near 0.2 all essays would score within a point or two of each other,
    and one point of evidence would outweigh everything the signals saw."""
    sz, sy = float(z.std()), float(y.std())
    if sz == 0:
        return 0.0
    return math.copysign(sy / sz, float(np.dot(z - z.mean(), y - y.mean())) or 1.0)


def _rho(pred: np.ndarray, y: np.ndarray) -> float:
    return round(spearman([float(v) for v in pred], [float(v) for v in y]), 3)


def _mean_z(parts: Sequence[_Part]) -> np.ndarray:
    zs = [(p.oof - p.oof.mean()) / p.oof.std() for p in parts if p.oof.std() > 0]
    return np.mean(zs, axis=0) if zs else np.zeros(len(parts[0].oof))


def _compose(
    parts: Sequence[_Part],
    slope: float,
    intercept: float,
    rubric: str,
    model: str,
    lexical: str,
    fitted_on: str,
    n: int,
    agreement: dict[str, float],
) -> Calibration:
    """share = intercept + slope · mean_k((p_k − μ_k) / σ_k), written out as weights on the
    standardized signals (each p_k is linear in its signals, so the stack is too)."""
    live = [p for p in parts if p.oof.std() > 0]
    k = max(len(live), 1)
    signals: list[str] = []
    mean: list[float] = []
    scale: list[float] = []
    weights: list[float] = []
    for p in live:
        mu, sigma = float(p.oof.mean()), float(p.oof.std())
        f = slope / k / sigma
        if p.ridge is None:  # one signal: its own mean and scale are the part's
            signals.append(p.signals[0])
            mean.append(mu)
            scale.append(sigma)
            weights.append(slope / k)
            continue
        m, s, w, b = p.ridge
        intercept += f * (b - mu)
        for name, mi, si, wi in zip(p.signals, m, s, w, strict=True):
            signals.append(name)
            mean.append(float(mi))
            scale.append(float(si))
            weights.append(f * float(wi))
    order = sorted(range(len(signals)), key=lambda i: signals[i])
    uses_lexical = any(p.name == LEXICAL for p in live)
    return Calibration(
        model=model,
        rubric=rubric,
        signals=tuple(signals[i] for i in order),
        mean=tuple(mean[i] for i in order),
        scale=tuple(scale[i] for i in order),
        weights=tuple(weights[i] for i in order),
        intercept=float(intercept),
        fitted_on=fitted_on or f"{n} essays, stacked: " + " + ".join(p.name for p in live),
        n=n,
        agreement=agreement,
        lexical=lexical if uses_lexical else "",
    )


def fit_stacked(
    texts: Sequence[str],
    rows: Sequence[dict[str, float]],
    shares: Sequence[float],
    *,
    rubric: str,
    model: str = "",
    fitted_on: str = "",
    curve: bool = True,
    on_step: Callable[[int, int, str], None] | None = None,
) -> tuple[Calibration, LexicalModel]:
    """The lexical model on ``texts`` and the stack on top of it, for essays a teacher scored
    (``shares``: their scores ÷ the maximum; ``rows``: each essay's other signals). With
    ``curve``, the learning curve too: the agreement of the same fit on fewer of the essays."""
    from writer_app.writing.lexical import fit_counts, ngram_counts, out_of_fold

    counts = [ngram_counts(t) for t in texts]
    sizes = curve_sizes(len(texts)) if curve else []
    steps = 2 + len(sizes)
    if on_step:
        on_step(1, steps, "词汇模型 (lexical model)")
    oof = out_of_fold(counts, shares)
    lex = fit_counts(counts, shares, fitted_on=fitted_on).as_kept()
    cal = stack(rows, shares, oof, rubric=rubric, model=model, lexical=lex.version, fitted_on=fitted_on)
    points = []
    for i, m in enumerate(sizes, 3):
        if on_step:
            on_step(i, steps, f"学习曲线 {m} 篇 (learning curve)")
        points.append((m, learning_point(counts, rows, shares, m, rubric=rubric, model=model)))
    return replace(cal, curve=tuple(points)), lex


def curve_sizes(n: int, folds: int = 5) -> list[int]:
    """The learning curve's sizes: 30, 60, 100, 200, 300, 500, … up to what a fold's training
    part holds (the last is that part whole)."""
    cap = n - math.ceil(n / folds)
    sizes = [m for m in (30, 60, 100, 200, 300, 500, 1000, 2000, 5000) if m < 0.9 * cap]
    return [*sizes, cap] if cap >= MIN_ESSAYS else []


def learning_point(
    counts: Sequence[Any],
    rows: Sequence[dict[str, float]],
    shares: Sequence[float],
    size: int,
    *,
    rubric: str,
    model: str = "",
    folds: int = 5,
    seed: int = 0,
) -> float:
    """Cross-validated agreement of the whole fit (lexical model and stack) made on ``size`` of
    the essays: each fold's essays predicted by a fit on ``size`` essays drawn from the rest."""
    from writer_app.writing.lexical import fit_counts, out_of_fold

    y = np.asarray(shares, float)
    rng = np.random.default_rng(seed)
    pred = np.empty(len(y))
    for test in folds_of(len(y), folds):
        rest = np.setdiff1d(np.arange(len(y)), test)
        sub = rng.permutation(rest)[:size]
        sub_counts = [counts[i] for i in sub]
        cal = stack(
            [rows[i] for i in sub], y[sub], out_of_fold(sub_counts, y[sub]), rubric=rubric, model=model
        )
        lex = fit_counts(sub_counts, y[sub])
        pred[test] = [cal.predict(rows[i] | {LEXICAL: lex.predict_counts(counts[i])}) for i in test]
    return _rho(pred, y)


def curve_verdict(curve: Sequence[tuple[int, float]]) -> str:
    """ "rising", "flat" or "" (too few points): whether marking more essays would likely help."""
    if len(curve) < 2:
        return ""
    return "rising" if curve[-1][1] - curve[-2][1] >= 0.03 else "flat"


def calibration_lines(cal: Calibration) -> list[str]:
    """What a calibration run tells the teacher beyond the headline agreement: each
    ingredient's own cross-validated agreement, and the learning curve with what it suggests."""
    a = cal.agreement
    names = (
        ("spearman_cv_text", "文本特征 text features"),
        ("spearman_cv_lexical", "用字用词 lexical"),
        ("spearman_cv_model", "模型评分 the model's scores"),
    )
    parts = [f"{label} {a[key]:.2f}" for key, label in names if key in a]
    lines = (
        [f"各部分单独的一致性 (each ingredient alone, cross-validated): {' · '.join(parts)}"] if parts else []
    )
    if cal.curve:
        points = " · ".join(f"{m} 篇 {r:.2f}" for m, r in cal.curve)
        lines.append(f"学习曲线 (learning curve: fitted on fewer essays): {points}")
        verdict = curve_verdict(cal.curve)
        if verdict == "rising":
            lines.append(
                "曲线仍在上升：多打分一些文章，校准可能会更准 (still rising: marking more essays would likely help)"
            )
        elif verdict == "flat":
            lines.append("曲线已趋平：多打分未必更准 (levelling off: more marked essays may not help much)")
    return lines


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------
HEADER = "# Calibration of the critique's total, written by a fit (see writer_app/writing/calibration.py). Do not edit by hand.\n"


def load_calibrations(path: Path) -> list[Calibration]:
    """Every calibration in ``path`` ([] where the file does not exist)."""
    if not path.exists():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return [Calibration.from_dict(c) for c in raw.get("calibration", [])]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInputError(f"校准文件 {path.name} 无法读取：{exc} (unreadable calibration)") from None


def save_calibrations(path: Path, calibrations: Sequence[Calibration]) -> None:
    """Write atomically: a cancelled or failed write leaves the old file as it was."""
    import tomli_w

    from writer_app.config import atomic_write_bytes

    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER + tomli_w.dumps({"calibration": [c.to_dict() for c in calibrations]})
    atomic_write_bytes(path, text.encode("utf-8"))


def choose(calibrations: Sequence[Calibration], rubric: str, model: str) -> Calibration | None:
    """The calibration for this rubric and model, else this rubric's text-only one, else None."""
    for c in calibrations:
        if c.rubric == rubric and model and c.model == model:
            return c
    return next((c for c in calibrations if c.rubric == rubric and not c.model), None)
