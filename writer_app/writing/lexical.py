"""The lexical signal: character n-gram TF-IDF + ridge, learned from essays teachers marked.

Why it exists: the critique's text features (length, sentence shape, idioms …) agree with
teachers at Spearman ≈ 0.07–0.15 on aes-300, while the field's standard baseline, character
1–2-gram TF-IDF with a ridge regression, reaches ≈ 0.48 on the same held-out essays. It learns
which characters and character pairs the essays a teacher marked high use more than the low ones:
a judgement of vocabulary and phrasing, not of argument, so it is one signal of the stack in
:mod:`writer_app.writing.calibration`, and the computed evidence still caps what it may give.

How, in numpy alone:
- the vectorizer is scikit-learn's ``TfidfVectorizer(analyzer="char", ngram_range=(1, 2),
  sublinear_tf=True, min_df=2)``: whitespace runs read as one space, tf → 1 + ln tf, smooth idf
  ln((1 + n) / (1 + df)) + 1, each essay's vector scaled to unit length (tests cross-check it);
- the ridge (with an intercept) is solved in its dual form: with n essays and V n-grams
  (V ≫ n), a = (K + αI)⁻¹(y − ȳ) with K = X_c X_cᵀ is one n × n solve. What is kept are the
  primal weights w = X_cᵀ a, one per n-gram, so a prediction is a sparse dot product and an
  explanation is a list of the essay's own n-grams with what each added.

The fitted model is data: ``resources/rubrics/lexical/<version>.json`` (the shipped one, from
``tests/bench/fit_calibration.py`` on the aes-300 training split) or the data folder's
``lexical/<version>.json`` (``writer-app calibrate``). ``version`` is a digest of the content, and
a calibration names the version it was stacked with.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from writer_app.errors import BadInputError
from writer_app.writing.calibration import folds_of

FORMAT = 1
NGRAM = (1, 2)
MIN_DF = 2
ALPHA = 0.3  # chosen on the aes-300 training split (5-fold CV 0.187 against 0.180 at 1.0)
FOLDS = 5
_SPACE = re.compile(r"\s+")
_CHUNK = 4096  # n-gram columns densified at a time while fitting: memory stays n × 4096
_CLAUSE = re.compile(r"[^，。！？；：,.!?;:\n]+[，。！？；：,.!?;:]?")


def normalize(text: str) -> str:
    """The text as the vectorizer reads it: every whitespace run one space."""
    return _SPACE.sub(" ", text).strip()


def ngram_counts(text: str, ngram: tuple[int, int] = NGRAM, drop: str = "") -> Counter[str]:
    """The character n-grams of ``text`` and their counts. ``drop``: characters whose n-grams
    are left out (the bench's topic-word check removes the title's)."""
    s = normalize(text)
    counts: Counter[str] = Counter()
    lo, hi = ngram
    for n in range(lo, hi + 1):
        counts.update(s[i : i + n] for i in range(len(s) - n + 1))
    if drop:
        banned = set(drop) - {" "}
        for g in [g for g in counts if banned.intersection(g)]:
            del counts[g]
    return counts


@dataclass(frozen=True)
class LexicalModel:
    """A fitted lexical model: ``predict`` gives the teacher's score as a share of the maximum."""

    ngrams: tuple[str, ...]
    idf: np.ndarray
    weight: np.ndarray
    mean: np.ndarray  # the training essays' mean vector: explanations are relative to it
    intercept: float  # prediction = intercept + x · weight
    alpha: float = ALPHA
    min_df: int = MIN_DF
    ngram: tuple[int, int] = NGRAM
    n: int = 0
    fitted_on: str = ""
    version: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {g: i for i, g in enumerate(self.ngrams)})
        object.__setattr__(self, "_centre", float(self.mean @ self.weight))

    # -- inference ------------------------------------------------------------------------------
    def vector(self, counts: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the essay's unit-length TF-IDF vector."""
        return _row(counts, self._index, self.idf)  # type: ignore[attr-defined]

    def predict(self, text: str) -> float:
        return self.predict_counts(ngram_counts(text, self.ngram))

    def predict_counts(self, counts: Counter[str]) -> float:
        idx, vals = self.vector(counts)
        return float(self.intercept + vals @ self.weight[idx])

    def explain(self, text: str, top: int = 2) -> dict[str, Any]:
        """What raised and lowered this essay's lexical score against the average training
        essay: the clauses of *this* essay whose n-grams added most and took most (in shares of
        the maximum, summed over their n-grams' occurrences), and its strongest n-grams."""
        counts = ngram_counts(text, self.ngram)
        idx, vals = self.vector(counts)
        # each present n-gram's part of (prediction − average prediction); absent ones cannot be quoted
        per_gram = {
            self.ngrams[j]: float(v * self.weight[j] - self.mean[j] * self.weight[j])
            for j, v in zip(idx, vals, strict=True)
        }
        clauses: list[tuple[float, str]] = []
        lo, hi = self.ngram
        for m in _CLAUSE.finditer(text):
            clause = m.group(0).strip()
            s = normalize(clause)
            if len(s) < 4:
                continue
            total = 0.0
            for n in range(lo, hi + 1):
                for i in range(len(s) - n + 1):
                    g = s[i : i + n]
                    if g in per_gram:
                        total += per_gram[g] / counts[g]
            clauses.append((total, clause))
        raised = sorted((c for c in clauses if c[0] > 0), key=lambda c: -c[0])[:top]
        lowered = sorted((c for c in clauses if c[0] < 0), key=lambda c: c[0])[:top]
        grams = sorted(per_gram.items(), key=lambda kv: -abs(kv[1]))
        return {
            "share": self.predict_counts(counts),
            "raised": [{"quote": q, "share": round(v, 4)} for v, q in raised],
            "lowered": [{"quote": q, "share": round(v, 4)} for v, q in lowered],
            "ngrams": [{"ngram": g, "share": round(v, 4)} for g, v in grams[:8]],
        }

    def as_kept(self) -> LexicalModel:
        """The model as its file keeps it: rounded, and with its version."""
        return LexicalModel.from_dict(self.to_dict())

    def strongest(self, k: int = 15) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The n-grams with the largest positive and negative weights (what the model learned)."""
        order = np.argsort(self.weight)
        high = [(self.ngrams[j], float(self.weight[j])) for j in order[::-1][:k]]
        low = [(self.ngrams[j], float(self.weight[j])) for j in order[:k]]
        return high, low

    # -- files ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        body = {
            "format": FORMAT,
            "fitted_on": self.fitted_on,
            "n": self.n,
            "alpha": self.alpha,
            "min_df": self.min_df,
            "ngram": list(self.ngram),
            "intercept": round(self.intercept, 9),
            "ngrams": list(self.ngrams),
            "idf": [round(float(v), 6) for v in self.idf],
            "weight": [float(f"{v:.7g}") for v in self.weight],
            "mean": [float(f"{v:.7g}") for v in self.mean],
        }
        return {"version": content_version(body), **body}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LexicalModel:
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, expected {FORMAT}")
        ngrams = tuple(str(g) for g in raw["ngrams"])
        idf, weight, mean = (np.asarray(raw[k], dtype=float) for k in ("idf", "weight", "mean"))
        arrays = (idf, weight, mean)
        if any(len(a) != len(ngrams) for a in arrays):
            raise ValueError("the n-gram, idf, weight and mean lists differ in length")
        if len(set(ngrams)) != len(ngrams):
            raise ValueError("an n-gram is listed twice")
        intercept = float(raw["intercept"])
        if not all(np.isfinite(a).all() for a in arrays) or not math.isfinite(intercept):
            raise ValueError("a number is not finite")
        lo, hi = (int(v) for v in raw["ngram"])
        return cls(
            ngrams,
            idf,
            weight,
            mean,
            intercept=intercept,
            alpha=float(raw.get("alpha", ALPHA)),
            min_df=int(raw.get("min_df", MIN_DF)),
            ngram=(lo, hi),
            n=int(raw.get("n", 0)),
            fitted_on=str(raw.get("fitted_on", "")),
            version=str(raw.get("version", "")),
        )


def content_version(body: dict[str, Any]) -> str:
    """A digest of a lexical model's content (without its version): what calibrations name."""
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_lexical(path: Path) -> LexicalModel:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = LexicalModel.from_dict(raw)
    except FileNotFoundError:
        raise BadInputError(f"找不到词汇模型 (lexical model not found): {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInputError(f"词汇模型 {path.name} 无法读取：{exc} (unreadable lexical model)") from None
    return model


def save_lexical(folder: Path, model: LexicalModel) -> Path:
    """Write ``model`` as ``folder/<version>.json`` atomically; returns the path."""
    from writer_app.config import atomic_write_bytes

    data = model.to_dict()
    path = folder / f"{data['version']}.json"
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def fit_lexical(
    texts: Sequence[str],
    shares: Sequence[float],
    *,
    alpha: float = ALPHA,
    min_df: int = MIN_DF,
    fitted_on: str = "",
) -> LexicalModel:
    """Fit on ``texts`` and the teacher's scores as shares of the maximum."""
    counts = [ngram_counts(t) for t in texts]
    return fit_counts(counts, shares, alpha=alpha, min_df=min_df, fitted_on=fitted_on).as_kept()


def fit_counts(
    counts: Sequence[Counter[str]],
    shares: Sequence[float],
    *,
    alpha: float = ALPHA,
    min_df: int = MIN_DF,
    fitted_on: str = "",
) -> LexicalModel:
    """The dual-form ridge on the essays' n-gram counts (see the module docstring)."""
    n = len(counts)
    y = np.asarray(shares, dtype=float)
    if n < 2 or len(y) != n:
        raise BadInputError("词汇模型至少需要 2 篇打过分的文章 (the lexical model needs ≥ 2 scored essays)")
    df: Counter[str] = Counter()
    for c in counts:
        df.update(c.keys())
    ngrams = tuple(sorted(g for g, d in df.items() if d >= min_df))
    if not ngrams:
        raise BadInputError("这些文章没有共同的字词 (the essays share no characters)")
    index = {g: j for j, g in enumerate(ngrams)}
    idf = np.log((1.0 + n) / (1.0 + np.array([df[g] for g in ngrams], dtype=float))) + 1.0
    rows = [_row(c, index, idf) for c in counts]
    v = len(ngrams)
    mean = np.zeros(v)
    kernel = np.zeros((n, n))
    for lo in range(0, v, _CHUNK):
        block = _dense(rows, lo, min(v, lo + _CHUNK))
        mean[lo : lo + block.shape[1]] = block.mean(axis=0)
        block -= mean[lo : lo + block.shape[1]]
        kernel += block @ block.T
    ybar = float(y.mean())
    dual = np.linalg.solve(kernel + alpha * np.eye(n), y - ybar)
    weight = np.zeros(v)
    for lo in range(0, v, _CHUNK):
        block = _dense(rows, lo, min(v, lo + _CHUNK)) - mean[lo : min(v, lo + _CHUNK)]
        weight[lo : lo + block.shape[1]] = block.T @ dual
    return LexicalModel(
        ngrams,
        idf,
        weight,
        mean,
        intercept=ybar - float(mean @ weight),
        alpha=alpha,
        min_df=min_df,
        n=n,
        fitted_on=fitted_on or f"{n} essays, char 1-2-gram TF-IDF + ridge alpha={alpha:g}",
    )


def _row(counts: Counter[str], index: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An essay's unit-length TF-IDF vector as (sorted columns, values)."""
    cols = np.fromiter((index.get(g, -1) for g in counts), dtype=np.int64, count=len(counts))
    tfs = np.fromiter(counts.values(), dtype=float, count=len(counts))
    keep = cols >= 0
    cols, tfs = cols[keep], tfs[keep]
    order = np.argsort(cols)
    idx = cols[order]
    vals = (1.0 + np.log(tfs[order])) * idf[idx]
    norm = float(np.sqrt(vals @ vals))
    return idx, (vals / norm if norm else vals)


def _dense(rows: Sequence[tuple[np.ndarray, np.ndarray]], lo: int, hi: int) -> np.ndarray:
    """Columns lo..hi of the essays' vectors as a dense block."""
    block = np.zeros((len(rows), hi - lo))
    for i, (idx, vals) in enumerate(rows):
        a, b = np.searchsorted(idx, [lo, hi])
        block[i, idx[a:b] - lo] = vals[a:b]
    return block


def out_of_fold(
    counts: Sequence[Counter[str]], shares: Sequence[float], *, folds: int = FOLDS, alpha: float = ALPHA
) -> np.ndarray:
    """Each essay's lexical prediction from a model fitted without it (the stack is fitted on
    these, never on in-sample predictions)."""
    y = np.asarray(shares, dtype=float)
    pred = np.empty(len(y))
    for test in folds_of(len(y), folds):
        train = np.setdiff1d(np.arange(len(y)), test)
        m = fit_counts([counts[i] for i in train], y[train], alpha=alpha)
        pred[test] = [m.predict_counts(counts[i]) for i in test]
    return pred
