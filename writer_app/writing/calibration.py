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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.errors import BadInputError

MODEL_PREFIX = "model_"  # a model signal: model_<dimension key>, the score as a share of its max
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

    @property
    def model_weight(self) -> float:
        return sum(
            abs(w) for s, w in zip(self.signals, self.weights, strict=True) if s.startswith(MODEL_PREFIX)
        )

    @property
    def uses_model(self) -> bool:
        return bool(self.model) and self.model_weight >= NO_WEIGHT

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
    pred = np.empty(len(y))
    idx = np.arange(len(y))
    for f in range(folds):
        test = idx[f::folds]
        train = np.setdiff1d(idx, test)
        mean, scale, w, b = _ridge(x[train], y[train], alpha)
        pred[test] = b + ((x[test] - mean) / scale) @ w
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
