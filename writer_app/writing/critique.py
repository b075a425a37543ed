"""评改: a critique on a rubric that a student can trust.

Three things decide the verdict, in this order of authority:
- computed evidence (:mod:`writer_app.writing.evidence`: repeats, copied plan, assistant talk,
  loops, drift), which takes points off and caps each dimension whatever anyone else says;
- the calibration (:mod:`writer_app.writing.calibration`), which maps the text's features and,
  where it earned weight against teachers, the model's scores to the total a teacher would give;
- the model's judgement per dimension (reason → score, or strengths and problems → band), with
  suggestions whose quotes are repaired or dropped.

Without a model, an analysis-only estimate scores each dimension from explainable text features
(``resources/rubrics/features.toml``: a linear model fitted on a training split of teacher-scored
essays, see ``tests/bench/fit_features.py``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from writer_app.analysis.metrics import HAN_RE, Analysis, Analyzer
from writer_app.errors import BadInputError
from writer_app.llm.engine import CancelToken, Engine, GenerationParams, Message
from writer_app.writing.calibration import LEXICAL, MODEL_PREFIX, Calibration, model_signals
from writer_app.writing.evidence import (
    Evidence,
    EvidenceRules,
    apply_evidence,
    dimension_caps,
    evidence_cap,
    evidence_points,
    evidence_suggestions,
    gather_evidence,
)
from writer_app.writing.guards import GuardRules
from writer_app.writing.lexical import LexicalModel
from writer_app.writing.prompts import PromptSet
from writer_app.writing.rubric import (
    Deductions,
    Dimension,
    Rubric,
    compute_deductions,
    count_chars,
    final_total,
    repair_quote,
    score_text,
    sentences,
    split_title,
)
from writer_app.writing.structured import generate_json

MIN_HAN_SHARE = 0.2


# --------------------------------------------------------------------------------------------
# features (analysis-only)
# --------------------------------------------------------------------------------------------
def feature_values(a: Analysis, text: str) -> dict[str, float]:
    """The deterministic features the analysis-only estimate uses (TTR/MATTR deliberately not)."""
    chars = max(a.chars, 1)
    return {
        "length_ratio": min(a.chars / max(a.target_chars, 1), 1.5),
        "paragraphs": float(min(a.paragraphs, 20)),
        "avg_sentence_chars": min(a.avg_sentence_chars, 80.0),
        "sentence_chars_sd": min(a.sentence_chars_sd, 60.0),
        "punct_ratio": a.punctuation / chars,
        "repeated_per_1k": sum(g["count"] for g in a.repeated_ngrams) * 1000 / chars,
        "connectives_per_100": a.connectives_per_100,
        "idioms_per_1k": len(a.idioms) * 1000 / chars,
        "quotes_per_1k": sum(text.count(q) for q in "“「") * 1000 / chars,
    }


@dataclass(frozen=True)
class Feature:
    name: str
    label: str
    dimension: dict[str, str]  # rubric name → dimension key
    mean: float
    scale: float
    weight: float  # on the standardized value, in fractions of the total score


@dataclass(frozen=True)
class FeatureModel:
    intercept: float
    features: tuple[Feature, ...]
    fitted_on: str = ""

    def dimension_scores(
        self, rubric: Rubric, values: dict[str, float]
    ) -> list[tuple[Dimension, int, list[tuple[str, float]]]]:
        """Per dimension: score and the features' contributions (in points) that explain it."""
        out = []
        for dim in rubric.dimensions:
            share = dim.max / rubric.max_total
            frac = self.intercept
            contribs: list[tuple[str, float]] = []
            for f in self.features:
                if f.dimension.get(rubric.name) != dim.key:
                    continue
                z = (values[f.name] - f.mean) / f.scale if f.scale else 0.0
                delta = f.weight * z / share  # its fraction of this dimension
                frac += delta
                contribs.append((f.label, delta * dim.max))
            points = frac * dim.max
            out.append((dim, int(max(0, min(dim.max, round(points)))), contribs))
        return out


def load_feature_model(resources_dir: Path) -> FeatureModel:
    path = resources_dir / "rubrics" / "features.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return FeatureModel(
            intercept=float(raw["intercept"]),
            features=tuple(
                Feature(
                    f["name"],
                    f["label"],
                    dict(f["dimension"]),
                    float(f["mean"]),
                    float(f["scale"]),
                    float(f["weight"]),
                )
                for f in raw["feature"]
            ),
            fitted_on=raw.get("fitted_on", ""),
        )
    except FileNotFoundError:
        raise BadInputError(f"找不到特征模型 (feature model not found): {path}") from None
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise BadInputError(f"特征模型 {path.name} 格式错误 (malformed feature model): {exc}") from None


# --------------------------------------------------------------------------------------------
# the critique
# --------------------------------------------------------------------------------------------
@dataclass
class CritiqueResult:
    """A critique. ``total`` is the headline: the calibrated total where a calibration exists,
    else the dimensions' sum; both obey the evidence's caps and the rubric's deductions."""

    rubric: Rubric
    total: int
    dimensions: list[dict[str, Any]]
    deductions: Deductions
    suggestions: list[dict[str, Any]]
    metrics: dict[str, Any]
    source: str  # "model" or "analysis"
    title: str = ""
    stats: list[dict[str, Any]] = field(default_factory=list)  # per model request: tokens, cache reuse
    # the analysis-only estimate shown beside a model's verdict ({"total", "dimensions"}), if computed
    estimate: dict[str, Any] | None = None
    evidence: list[Evidence] = field(default_factory=list)
    dimension_total: int = 0  # the dimensions' sum after evidence and deductions (the model's verdict)
    calibration: dict[str, Any] | None = None  # how the total was calibrated, and how far to trust it
    # where the dimensions were scaled so that they and the deductions add up to the total
    scaled: bool = False
    mode: str = "score"  # how the model was asked: score (reason → score) or band (reasons → band)
    warnings: list[str] = field(default_factory=list)

    @property
    def score_text(self) -> str:
        lines = [score_text(self.rubric, self.total, self.dimensions, self.deductions)]
        lines += [f"证据：{ev.message(self.rubric)}" for ev in self.evidence]
        if self.calibration is not None:
            lines.append(f"校准：{self.calibration['note']}")
            lex = self.calibration.get("lexical")
            if lex:
                lines.append(lexical_text(lex))
        if self.scaled:
            raw = sum(d.get("unscaled", d["score"]) for d in self.dimensions)
            lines.append(
                f"各项原共 {raw} 分，已等比例调整为 {self.total - self.deductions.points} 分"
                f"（取整），使各项加扣分等于总分 {self.total}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "max_total": self.rubric.max_total,
            "rubric": self.rubric.name,
            "source": self.source,
            "mode": self.mode,
            "title": self.title,
            "dimensions": self.dimensions,
            "dimension_total": self.dimension_total,
            "deductions": self.deductions.items,
            "evidence": [ev.to_dict(self.rubric) for ev in self.evidence],
            "calibration": self.calibration,
            "scaled": self.scaled,
            "suggestions": self.suggestions,
            "metrics": self.metrics,
            "score_text": self.score_text,
            "stats": self.stats,
            "estimate": self.estimate,
            "warnings": self.warnings,
        }


def dimension_schema(dim: Dimension, prompts: PromptSet, suggestions: bool = True) -> dict[str, Any]:
    lim = prompts.limits
    return {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "maxLength": int(lim.get("reason_chars", 80))},
            "score": {"type": "integer", "enum": list(range(dim.max + 1))},
            "suggestions": _suggestion_schema(prompts, suggestions),
        },
        "required": ["reason", "score", "suggestions"],
    }


def band_schema(rubric: Rubric, prompts: PromptSet, suggestions: bool = True) -> dict[str, Any]:
    """Reasons first, then the band: strengths and problems, then 一等…四等."""
    lim = prompts.limits
    items = {"type": "string", "maxLength": int(lim.get("point_chars", 30))}
    n = int(lim.get("max_points", 3))
    return {
        "type": "object",
        "properties": {
            "strengths": {"type": "array", "items": items, "maxItems": n},
            "problems": {"type": "array", "items": items, "maxItems": n},
            "band": {"type": "string", "enum": [t.name for t in rubric.tiers]},
            "suggestions": _suggestion_schema(prompts, suggestions),
        },
        "required": ["strengths", "problems", "band", "suggestions"],
    }


def _suggestion_schema(prompts: PromptSet, suggestions: bool) -> dict[str, Any]:
    lim = prompts.limits
    return {
        "type": "array",
        "maxItems": int(lim.get("max_suggestions", 5)) if suggestions else 0,
        "items": {
            "type": "object",
            "properties": {
                "quote": {"type": "string", "maxLength": int(lim.get("quote_chars", 60))},
                "issue": {"type": "string", "maxLength": int(lim.get("issue_chars", 40))},
                "fix": {"type": "string", "maxLength": int(lim.get("fix_chars", 80))},
            },
            "required": ["quote", "issue", "fix"],
        },
    }


def band_points(rubric: Rubric, band: str, problems: int) -> int:
    """A band's points: its top, less one per problem the model listed, never below the band's
    bottom. A dimension with problems cannot get the top of the top band."""
    tier = next((t for t in rubric.tiers if t.name == band), None)
    if tier is None:
        raise BadInputError(f"未知的等级 {band} (unknown band)")
    return max(tier.low, tier.high - max(0, problems))


def check_essay(text: str, prompts: PromptSet | None = None) -> None:
    body = text.strip()
    if not body:
        raise BadInputError("文章为空 (the essay is empty)")
    limit = int(prompts.limit("max_essay_chars", 6000)) if prompts else 6000
    chars = sum(1 for c in body if not c.isspace())
    if chars > limit:
        raise BadInputError(
            f"文章太长：{chars} 字，最多 {limit} 字 (essay too long: {chars} > {limit} characters)"
        )
    if len(HAN_RE.findall(body)) < MIN_HAN_SHARE * chars:
        raise BadInputError(
            "这篇文章几乎没有中文，评分标准只适用于中文写作 (the essay is not Chinese; the rubrics are for Chinese writing)"
        )


def _tiers_text(rubric: Rubric, dim: Dimension) -> str:
    if dim.max != rubric.tier_scale or not rubric.tiers:
        return f"0–{dim.max} 分"
    return "；".join(f"{t.name} {t.low}–{t.high}" for t in rubric.tiers)


@dataclass(frozen=True)
class Grounding:
    """What a critique computes beside the model: the guards' rules, the evidence rules, the
    texts a copy is counted from (the 构思), and the calibration of the total (None: uncalibrated)."""

    guard_rules: GuardRules | None = None
    evidence_rules: EvidenceRules | None = None
    sources: tuple[str, ...] = ()
    calibration: Calibration | None = None
    notice: str = ""  # why a calibration could not be used (one line), shown with the verdict
    lexical: LexicalModel | None = None  # the lexical model the calibration was stacked with

    def evidence(
        self, body: str, rubric: Rubric, words: Analyzer, query: str, loops: list[str], title: str = ""
    ) -> list[Evidence]:
        """The computed evidence about ``body`` (none without the rules to find it)."""
        if self.guard_rules is None or self.evidence_rules is None:
            return []
        return gather_evidence(
            body,
            rubric,
            self.guard_rules,
            self.evidence_rules,
            words=words,
            query=query,
            sources=self.sources,
            loops=loops,
            title=title,
        )


@dataclass
class TextSide:
    """What a critique computes from the text alone (no model): its analysis and the evidence.
    Plain data, so that a batch can compute it in another process (see
    :mod:`writer_app.writing.textside`)."""

    analysis: Analysis
    evidence: list[Evidence]


def text_side(
    essay: str,
    rubric: Rubric,
    analyzer: Analyzer,
    *,
    query: str = "",
    target_chars: int = 800,
    grounding: Grounding | None = None,
) -> TextSide:
    """The analysis of the essay's body and the evidence found in it."""
    title, body = split_title(essay)
    analysis = analyzer.analyze(body, prompt=query, target_chars=target_chars)
    evidence = (grounding or Grounding()).evidence(body, rubric, analyzer, query, analysis.loops, title)
    return TextSide(analysis, evidence)


def critique(
    essay: str,
    rubric: Rubric,
    analyzer: Analyzer,
    *,
    query: str = "",
    target_chars: int = 800,
    engine: Engine | None = None,
    prompts: PromptSet | None = None,
    params: GenerationParams | None = None,
    features: FeatureModel | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    suggestions: bool = True,
    grounding: Grounding | None = None,
    text: TextSide | None = None,
) -> CritiqueResult:
    """Model critique when ``engine`` and ``prompts`` are given, else the analysis-only estimate.

    Either way the evidence (``grounding``) takes its points and caps off the dimensions, the
    total is calibrated where a calibration is given, and there are suggestions with quotes.
    ``suggestions=False`` scores only: the prompt is unchanged and the schema puts the score before
    the suggestions, so the scores are the ones a full critique gives, in a fraction of the time.
    ``text``: the text side already computed for this essay, rubric, query and grounding."""
    check_essay(essay, prompts)
    g = grounding or Grounding()
    title, body = split_title(essay)
    side = text or text_side(essay, rubric, analyzer, query=query, target_chars=target_chars, grounding=g)
    analysis, evidence = side.analysis, side.evidence
    deductions = compute_deductions(rubric, essay, target_chars)
    metrics = analysis.to_dict()
    metrics["title_chars"] = count_chars(title)
    values = feature_values(analysis, body)
    if engine is None or prompts is None:
        if features is None:
            raise BadInputError("没有模型时需要特征模型 (the analysis-only critique needs a feature model)")
        raw_dims = _feature_dimensions(rubric, features, values)
        stats: list[dict[str, Any]] = []
        found: list[Any] = []
        source, mode = "analysis", "score"
    else:
        mode = _mode(prompts, rubric)
        raw_dims, found, stats = _model_dimensions(
            essay, rubric, prompts, params, query, mode, engine, cancel, on_progress, suggestions
        )
        source = "model"
    dims = apply_evidence(rubric, raw_dims, evidence)
    dimension_total = _total(rubric, [d["score"] for d in dims], deductions, evidence)
    total, calibration = dimension_total, None
    warnings = [g.notice] if g.notice else []
    if g.calibration is not None:
        signals = dict(values) | (model_signals(raw_dims) if source == "model" else {})
        lexical = g.lexical if g.lexical and g.lexical.version == g.calibration.lexical else None
        read = credited(essay, evidence)  # what the lexical signal reads
        if lexical is not None and LEXICAL in g.calibration.signals:
            signals[LEXICAL] = lexical.predict(read)
        unknown = g.calibration.unknown_signals(set(signals))
        if unknown == [LEXICAL]:
            warnings.append(
                f"校准所用的词汇模型 {g.calibration.lexical or '?'} 找不到或已损坏，未使用校准 "
                "(the calibration's lexical model is missing or damaged; not used)"
            )
        elif unknown:
            warnings.append(_mismatch(unknown))
        else:
            total, calibration = _calibrated(rubric, g.calibration, signals, deductions, evidence, source)
            if lexical is not None and LEXICAL in signals:
                calibration["lexical"] = _lexical_part(rubric, g.calibration, lexical, read, signals)
    settled = settle(rubric, dims, total, deductions, evidence)
    result = CritiqueResult(
        rubric,
        total,
        settled,
        deductions,
        [],
        metrics,
        source,
        title,
        stats,
        evidence=evidence,
        dimension_total=dimension_total,
        calibration=calibration,
        scaled=settled != dims,
        mode=mode,
        warnings=warnings,
    )
    if source == "model" and features is not None:  # the analysis-only estimate, shown beside it
        result.estimate = _estimate(rubric, features, values, deductions, evidence)
    result.suggestions = all_suggestions(
        rubric, body, analysis, found, evidence, topic=f"{title}\n{query}", want=3 if suggestions else 0
    )
    return result


def _mode(prompts: PromptSet, rubric: Rubric) -> str:
    """How the model scores: points ("score"), or a band then points ("band", needs tiers)."""
    mode = str(prompts.limit("mode", "score"))
    return "score" if mode == "band" and not rubric.tiers else mode


def _estimate(
    rubric: Rubric,
    features: FeatureModel,
    values: dict[str, float],
    deductions: Deductions,
    evidence: list[Evidence],
) -> dict[str, Any]:
    est = apply_evidence(rubric, _feature_dimensions(rubric, features, values), evidence)
    total = _total(rubric, [d["score"] for d in est], deductions, evidence)
    return {"total": total, "dimensions": settle(rubric, est, total, deductions, evidence)}


def _mismatch(unknown: Sequence[str]) -> str:
    names = "、".join(unknown[:3])
    return f"校准与这个版本不符（未知的信号：{names}），未使用校准 (calibration does not match; not used)"


def _total(rubric: Rubric, scores: Sequence[float], deductions: Deductions, evidence: list[Evidence]) -> int:
    """The dimensions' sum held to the evidence's cap, then the rubric's deductions and caps."""
    raw = sum(scores)
    cap = evidence_cap(rubric, evidence)
    return final_total(rubric, [min(raw, cap) if cap is not None else raw], deductions)


def settle(
    rubric: Rubric,
    dims: list[dict[str, Any]],
    total: int,
    deductions: Deductions,
    evidence: list[Evidence],
) -> list[dict[str, Any]]:
    """The dimensions scaled so that they and the deductions add up to ``total`` (one total
    everywhere: the CLI's JSON, the window and the feedback sheets show the same sum). Each keeps
    its share of the points, rounded to whole points by largest remainder, none above its
    maximum or the evidence's cap on it; a scaled dimension keeps what it had as ``unscaled``."""
    caps = dimension_caps(evidence)
    bounds = [int(min(d["max"], caps.get(d["key"], d["max"]))) for d in dims]
    target = max(0, min(total - deductions.points, sum(bounds)))
    scores = [int(d["score"]) for d in dims]
    if sum(scores) == target:
        return dims
    new = apportion(scores, bounds, target)
    return [
        dict(d, score=v, unscaled=d["score"]) if v != d["score"] else d
        for d, v in zip(dims, new, strict=True)
    ]


def apportion(scores: Sequence[int], bounds: Sequence[int], target: int) -> list[int]:
    """``target`` whole points shared out in proportion to ``scores`` (to ``bounds`` where all
    are 0), none above its bound; ``target`` must not exceed the bounds' sum."""
    n = len(scores)
    weight = [float(s) for s in scores] if sum(scores) > 0 else [float(b) for b in bounds]
    alloc = [0.0] * n
    free, left = set(range(n)), float(target)
    while free and left > 0:
        tw = sum(weight[i] for i in free)
        if tw <= 0:  # only empty dimensions have room: share what is left evenly
            for i in free:
                weight[i] = 1.0
            tw = float(len(free))
        trial = {i: left * weight[i] / tw for i in free}
        over = [i for i in free if trial[i] > bounds[i]]
        if not over:
            for i, v in trial.items():
                alloc[i] = v
            break
        for i in over:
            alloc[i] = float(bounds[i])
            left -= bounds[i]
            free.discard(i)
    ints = [min(bounds[i], math.floor(alloc[i] + 1e-9)) for i in range(n)]
    order = sorted(range(n), key=lambda i: -(alloc[i] - ints[i]))
    while sum(ints) < target:
        grew = False
        for i in order:
            if sum(ints) < target and ints[i] < bounds[i]:
                ints[i] += 1
                grew = True
        if not grew:
            break
    return ints


def _calibrated(
    rubric: Rubric,
    cal: Calibration,
    signals: dict[str, float],
    deductions: Deductions,
    evidence: list[Evidence],
    source: str,
) -> tuple[int, dict[str, Any]]:
    """The calibrated total (the evidence's points and caps and the rubric's deductions apply to
    it as to the dimensions), and how it was made."""
    share = cal.predict(signals)
    raw = share * rubric.max_total - evidence_points(evidence)
    total = _total(rubric, [raw], deductions, evidence)
    weighs = source == "model" and cal.uses_model
    if source != "model" and LEXICAL in cal.signals:
        note = "根据文本特征和用字用词校准 (calibrated from the text's features and wording)"
    elif source != "model":
        note = "根据文本特征校准 (calibrated from the text's features)"
    elif weighs:
        note = f"模型评分按教师评分校准，权重 {cal.model_weight:.2f} (the model's scores, calibrated against teachers)"
    else:
        note = (
            "这个模型的评分与教师评分无关，不计入总分：总分是根据文本估计的，评语来自模型 "
            "(this model's scores carry no weight: the total is estimated from the text; the comments are the model's)"
        )
    parts = {"text": 0.0, "lexical": 0.0, "model": 0.0}
    for name, c in cal.contributions(signals).items():
        kind = "lexical" if name == LEXICAL else "model" if name.startswith(MODEL_PREFIX) else "text"
        parts[kind] += c * rubric.max_total
    return total, {
        "total": total,
        "share": round(share, 4),
        "parts": {k: round(v, 1) for k, v in parts.items() if k != "model" or weighs},
        "model": cal.model,
        "model_weight": round(cal.model_weight, 4) if weighs else 0.0,
        "fitted_on": cal.fitted_on,
        "agreement": cal.agreement,
        "note": note,
    }


def credited(essay: str, evidence: list[Evidence]) -> str:
    """The text the lexical signal reads: the essay without what the evidence marks. A later
    part that drifted off the topic is left out from its first paragraph on, and every quoted
    repeat, copied passage, piece of assistant talk or loop is taken out, so that another essay's
    half, a pasted plan or filler earns no credit for its wording."""
    text = essay
    for ev in evidence:
        for q in ev.quotes:
            if not q:
                continue
            if ev.kind == "drift":
                cut = text.find(q)
                if cut > 0:
                    text = text[:cut]
            elif ev.kind == "repeat":  # the quote is the later saying: its last occurrence goes
                at = text.rfind(q)
                if at >= 0:
                    text = text[:at] + text[at + len(q) :]
            else:
                text = text.replace(q, "")
    return text if text.strip() else essay


def _lexical_part(
    rubric: Rubric, cal: Calibration, lexical: LexicalModel, essay: str, signals: dict[str, float]
) -> dict[str, Any]:
    """What the lexical signal did to this total: its points against an average essay, its share
    of how far the total moved from the average, and the clauses of this essay that raised and
    lowered it most (verbatim, with their points)."""
    i = cal.signals.index(LEXICAL)
    per_share = cal.weights[i] / cal.scale[i] * rubric.max_total if cal.scale[i] else 0.0
    contributions = cal.contributions(signals)
    moved = sum(abs(c) for c in contributions.values())
    ex = lexical.explain(essay)

    def quotes(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"quote": q["quote"], "points": round(q["share"] * per_share, 1)} for q in items]

    return {
        "version": lexical.version,
        "share": round(signals[LEXICAL], 4),
        "points": round(contributions[LEXICAL] * rubric.max_total, 1),
        "weight": round(abs(contributions[LEXICAL]) / moved, 2) if moved else 0.0,
        "raised": quotes(ex["raised"]),
        "lowered": quotes(ex["lowered"]),
        "ngrams": [g["ngram"] for g in ex["ngrams"]],
    }


def lexical_text(lex: dict[str, Any]) -> str:
    """One line on the lexical signal, for the critique's text and the window."""
    line = (
        f"用字用词（从教师评分学得）：比一般作文 {lex['points']:+.1f} 分，"
        f"占总分偏离平均的 {lex['weight']:.0%}"
    )
    if lex.get("raised"):
        line += "；加分最多：" + "、".join(f"「{q['quote']}」{q['points']:+.1f}" for q in lex["raised"])
    if lex.get("lowered"):
        line += "；减分最多：" + "、".join(f"「{q['quote']}」{q['points']:+.1f}" for q in lex["lowered"])
    return line


def _model_dimensions(
    essay: str,
    rubric: Rubric,
    prompts: PromptSet,
    params: GenerationParams | None,
    query: str,
    mode: str,
    engine: Engine,
    cancel: CancelToken | None,
    on_progress: Callable[[int, int, str], None] | None,
    suggestions: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Each dimension asked of the model: (dimensions, its suggestions, per-request stats)."""
    params = replace(
        params or GenerationParams(),
        max_tokens=int(prompts.limit("max_tokens", 900)),
        temperature=float(prompts.limit("temperature", (params or GenerationParams()).temperature)),
        json_compact=bool(prompts.limit("json_compact", False)),
    )
    dims: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    stats: list[dict[str, Any]] = []
    n = len(rubric.dimensions)
    for i, dim in enumerate(rubric.dimensions, 1):
        if on_progress:
            on_progress(i, n, dim.name)
        banded = mode == "band" and dim.max == rubric.tier_scale
        messages = _dimension_messages(prompts, rubric, dim, essay, query, banded)
        schema = (
            band_schema(rubric, prompts, suggestions)
            if banded
            else dimension_schema(dim, prompts, suggestions)
        )
        data, completion = generate_json(engine, messages, schema, params, cancel)
        st = completion.stats
        stats.append(
            {
                "dimension": dim.key,
                "prompt_tokens": st.prompt_tokens,
                "prompt_tokens_cached": st.prompt_tokens_cached,
                "completion_tokens": st.completion_tokens,
                "seconds": round(st.total_s, 2),
            }
        )
        if banded:
            strengths = [x.strip() for x in data["strengths"] if x.strip()]
            problems = [x.strip() for x in data["problems"] if x.strip()]
            score = band_points(rubric, data["band"], len(problems))
            reason = "；".join(
                part
                for part in (
                    "优点：" + "，".join(strengths) if strengths else "",
                    "问题：" + "，".join(problems) if problems else "",
                )
                if part
            )
            entry = {"band": data["band"], "strengths": strengths, "problems": problems}
        else:
            score = int(max(0, min(dim.max, data["score"])))
            reason, entry = _whole_sentences(data["reason"]), {}
        dims.append(
            {"key": dim.key, "name": dim.name, "score": score, "max": dim.max, "reason": reason, **entry}
        )
        for s in data["suggestions"]:
            quote = repair_quote(s["quote"], essay)
            if quote is None or not s["issue"].strip():
                continue  # never show a quote that is not in the text
            if any(x["quote"] == quote for x in found):
                continue
            found.append(
                {"quote": quote, "issue": s["issue"].strip(), "fix": s["fix"].strip(), "dimension": dim.name}
            )
    return dims, found, stats


def _dimension_messages(
    prompts: PromptSet, rubric: Rubric, dim: Dimension, essay: str, query: str, banded: bool = False
) -> list[Message]:
    """The request for one dimension. Everything before the essay is the same for every dimension
    and every essay of a rubric and task (each dimension's points and bands, how to answer), so the
    engine's prefix reuse processes it once for a class; only the last line names the dimension."""
    lines = "\n".join(
        prompts.render(
            "dimension",
            dimension=d.name,
            max=d.max,
            criteria="、".join(d.criteria),
            note=f"（{d.note}）" if d.note else "",
            tiers=_tiers_text(rubric, d),
        )
        for d in rubric.dimensions
    )
    instructions = prompts.render(
        "band_instructions" if banded else "instructions",
        bands="、".join(t.name for t in rubric.tiers),
        max_suggestions=prompts.limit("max_suggestions", 5),
    )
    question = prompts.render("band_question" if banded else "question", dimension=dim.name, max=dim.max)
    user = prompts.render(
        "user",
        rubric_title=rubric.title,
        max_total=rubric.max_total,
        dimensions=lines,
        instructions=instructions,
        query=query.strip() or prompts.render("no_query"),
        essay=essay.strip(),
        question=question,
    )
    return [{"role": "system", "content": prompts.render("system")}, {"role": "user", "content": user}]


def _feature_dimensions(
    rubric: Rubric, model: FeatureModel, values: dict[str, float]
) -> list[dict[str, Any]]:
    out = []
    for dim, score, contribs in model.dimension_scores(rubric, values):
        top = sorted(contribs, key=lambda c: -abs(c[1]))[:3]
        parts = [f"{label}{'+' if pts >= 0 else '−'}{abs(pts):.1f}" for label, pts in top if abs(pts) >= 0.05]
        reason = "文本特征估计（无模型）：" + ("，".join(parts) if parts else "各项特征接近平均水平")
        out.append({"key": dim.key, "name": dim.name, "score": score, "max": dim.max, "reason": reason})
    return out


def _whole_sentences(text: str) -> str:
    """A reason cut off at its length bound ends at its last full sentence or clause instead."""
    text = text.strip()
    if not text or text[-1] in "。！？!?…”）)":
        return text
    for marks in ("。！？!?", "；;，,"):
        cut = max(text.rfind(m) for m in marks)
        if cut >= len(text) // 3:
            return text[:cut] + "。"
    return text + "…"


LONG_SENTENCE_CHARS = 90


def metric_suggestions(text: str, a: Analysis, limit: int = 5) -> list[dict[str, Any]]:
    """Suggestions that need no model: loops, overused phrases, overlong sentences; quotes verbatim."""
    out: list[dict[str, Any]] = []
    sents = sentences(text)

    def first_with(fragment: str) -> str | None:
        return next((s for s in sents if fragment in s), None)

    for unit in a.loops:
        quote = (unit * 2) if unit * 2 in text else first_with(unit)
        if quote:
            out.append(
                {
                    "quote": quote[:60],
                    "issue": "同一内容接连重复",
                    "fix": "删去重复的部分",
                    "dimension": "表达",
                }
            )
    for g in a.repeated_ngrams:
        if g["count"] >= 4:
            quote = first_with(g["ngram"])
            if quote:
                out.append(
                    {
                        "quote": quote[:60],
                        "issue": f"「{g['ngram']}」用了 {g['count']} 次",
                        "fix": "换一种说法，或删去多余的",
                        "dimension": "表达",
                    }
                )
    for sent in sents:
        n = sum(1 for c in sent if not c.isspace())
        if n > LONG_SENTENCE_CHARS:
            out.append(
                {
                    "quote": sent[:60],
                    "issue": f"句子过长（{n}字）",
                    "fix": "拆成两三句，每句只说一层意思",
                    "dimension": "表达",
                }
            )
    seen: set[str] = set()
    unique = []
    for item in out:
        if item["quote"] not in seen:
            seen.add(item["quote"])
            unique.append(item)
    return unique[:limit]


MAX_SUGGESTIONS = 8


def all_suggestions(
    rubric: Rubric,
    body: str,
    a: Analysis,
    from_model: list[dict[str, Any]],
    evidence: list[Evidence],
    *,
    topic: str = "",
    want: int = 3,
) -> list[dict[str, Any]]:
    """The model's suggestions first, then the evidence's, then those computed from the text
    (loops, overused phrases, long sentences); where fewer than ``want`` remain, the weakest
    computed spots (an opening or ending that does not touch the topic, the longest sentence, the
    thinnest paragraph). Every quote is verbatim; one suggestion per quote."""
    out: list[dict[str, Any]] = []
    for s in [*from_model, *evidence_suggestions(rubric, evidence), *metric_suggestions(body, a)]:
        if s["quote"] and s["quote"] in body and all(x["quote"] != s["quote"] for x in out):
            out.append(s)
    if len(out) < want:
        for s in _weak_spots(body, topic):
            if len(out) >= want:
                break
            if all(x["quote"] != s["quote"] for x in out):
                out.append(s)
    return out[:MAX_SUGGESTIONS]


def _han_bigrams(text: str) -> set[str]:
    h = "".join(HAN_RE.findall(text))
    return {h[i : i + 2] for i in range(len(h) - 1)}


def _weak_spots(body: str, topic: str) -> list[dict[str, Any]]:
    paras = [p.strip() for p in body.split("\n") if p.strip()]
    sents = sentences(body)
    out: list[dict[str, Any]] = []
    if not paras or not sents:
        return out
    grams = _han_bigrams(topic)
    if grams and not (_han_bigrams(paras[0]) & grams):
        out.append(
            {
                "quote": sentences(paras[0])[0] if sentences(paras[0]) else paras[0][:60],
                "issue": "开头没有点出题目",
                "fix": "在开头一两句里点明题目或中心",
                "dimension": "内容",
            }
        )
    if grams and len(paras) > 1 and not (_han_bigrams(paras[-1]) & grams):
        last = sentences(paras[-1])
        out.append(
            {
                "quote": last[-1] if last else paras[-1][:60],
                "issue": "结尾没有回扣题目",
                "fix": "结尾回到题目，收束全文",
                "dimension": "表达",
            }
        )
    longest = max(sents, key=len)
    if len(longest) >= 40:
        out.append(
            {
                "quote": longest[:120],
                "issue": f"这句较长（{count_chars(longest)}字）",
                "fix": "拆成两三句，每句只说一层意思",
                "dimension": "表达",
            }
        )
    middle = paras[1:-1] if len(paras) > 2 else []
    if middle:
        thin = min(middle, key=len)
        if count_chars(thin) < 80:
            out.append(
                {
                    "quote": thin[:120],
                    "issue": "这一段较单薄",
                    "fix": "补上具体的细节、例子或感受",
                    "dimension": "内容",
                }
            )
    return out
