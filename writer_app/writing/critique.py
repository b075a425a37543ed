"""评改: a critique on a rubric. The model judges each dimension (score, reason, suggestions with
quotes); quotes are repaired or dropped; deductions, caps and metrics are computed.

Without a model, an analysis-only estimate scores each dimension from explainable text features
(``resources/rubrics/features.toml``: a linear model fitted on a training split of teacher-scored
essays, see ``tests/bench/fit_features.py``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from writer_app.analysis.metrics import HAN_RE, Analysis, Analyzer
from writer_app.errors import BadInputError
from writer_app.llm.engine import CancelToken, Engine, GenerationParams, Message
from writer_app.writing.prompts import PromptSet
from writer_app.writing.rubric import (
    Deductions,
    Dimension,
    Rubric,
    compute_deductions,
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
    loop_points: int = 3  # a rule, not fitted: each repetition loop costs this much of 表达/语言
    fitted_on: str = ""

    def dimension_scores(
        self, rubric: Rubric, values: dict[str, float], loops: int
    ) -> list[tuple[Dimension, int, list[tuple[str, float]]]]:
        """Per dimension: score and the features' contributions (in points) that explain it."""
        out = []
        loop_dim = _loop_dimension(rubric)
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
            if dim.key == loop_dim and loops:
                points -= self.loop_points * loops
                contribs.append((f"重复循环 {loops} 处", -float(self.loop_points * loops)))
            out.append((dim, int(max(0, min(dim.max, round(points)))), contribs))
        return out


def _loop_dimension(rubric: Rubric) -> str:
    for key in ("expression", "language"):
        if any(d.key == key for d in rubric.dimensions):
            return key
    return rubric.dimensions[-1].key


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
            loop_points=int(raw.get("loop_points", 3)),
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

    @property
    def score_text(self) -> str:
        return score_text(self.rubric, self.total, self.dimensions, self.deductions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "max_total": self.rubric.max_total,
            "rubric": self.rubric.name,
            "source": self.source,
            "title": self.title,
            "dimensions": self.dimensions,
            "deductions": self.deductions.items,
            "suggestions": self.suggestions,
            "metrics": self.metrics,
            "score_text": self.score_text,
            "stats": self.stats,
            "estimate": self.estimate,
        }


def dimension_schema(dim: Dimension, prompts: PromptSet, suggestions: bool = True) -> dict[str, Any]:
    lim = prompts.limits
    return {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "maxLength": int(lim.get("reason_chars", 80))},
            "score": {"type": "integer", "enum": list(range(dim.max + 1))},
            "suggestions": {
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
            },
        },
        "required": ["reason", "score", "suggestions"],
    }


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
) -> CritiqueResult:
    """Model critique when ``engine`` and ``prompts`` are given, else the analysis-only estimate.

    ``suggestions=False`` scores only: the prompt is unchanged and the schema puts the score before
    the suggestions, so the scores are the ones a full critique gives, in a fraction of the time.
    """
    check_essay(essay, prompts)
    title, body = split_title(essay)
    analysis = analyzer.analyze(body, prompt=query, target_chars=target_chars)
    deductions = compute_deductions(rubric, essay, target_chars)
    metrics = analysis.to_dict()
    if engine is None or prompts is None:
        if features is None:
            raise BadInputError("没有模型时需要特征模型 (the analysis-only critique needs a feature model)")
        dims = _feature_dimensions(rubric, features, feature_values(analysis, body), len(analysis.loops))
        total = final_total(rubric, [d["score"] for d in dims], deductions)
        found = metric_suggestions(body, analysis)
        return CritiqueResult(rubric, total, dims, deductions, found, metrics, "analysis", title)

    params = replace(
        params or GenerationParams(),
        max_tokens=int(prompts.limit("max_tokens", 900)),
        temperature=float(prompts.limit("temperature", (params or GenerationParams()).temperature)),
    )
    dims, found, stats = [], [], []
    n = len(rubric.dimensions)
    for i, dim in enumerate(rubric.dimensions, 1):
        if on_progress:
            on_progress(i, n, dim.name)
        messages = _dimension_messages(prompts, rubric, dim, essay, query)
        data, completion = generate_json(
            engine, messages, dimension_schema(dim, prompts, suggestions), params, cancel
        )
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
        score = int(max(0, min(dim.max, data["score"])))
        dims.append(
            {
                "key": dim.key,
                "name": dim.name,
                "score": score,
                "max": dim.max,
                "reason": _whole_sentences(data["reason"]),
            }
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
    total = final_total(rubric, [d["score"] for d in dims], deductions)
    result = CritiqueResult(rubric, total, dims, deductions, found, metrics, "model", title, stats)
    if features is not None:
        est = _feature_dimensions(rubric, features, feature_values(analysis, body), len(analysis.loops))
        est_total = final_total(rubric, [d["score"] for d in est], deductions)
        result.estimate = {"total": est_total, "dimensions": est}
    return result


def _dimension_messages(
    prompts: PromptSet, rubric: Rubric, dim: Dimension, essay: str, query: str
) -> list[Message]:
    question = prompts.render(
        "question",
        dimension=dim.name,
        max=dim.max,
        criteria="、".join(dim.criteria),
        note=f"（{dim.note}）" if dim.note else "",
        tiers=_tiers_text(rubric, dim),
        max_suggestions=prompts.limit("max_suggestions", 5),
    )
    user = prompts.render(
        "user",
        rubric_title=rubric.title,
        max_total=rubric.max_total,
        query=query.strip() or prompts.render("no_query"),
        essay=essay.strip(),
        question=question,
    )
    return [{"role": "system", "content": prompts.render("system")}, {"role": "user", "content": user}]


def _feature_dimensions(
    rubric: Rubric, model: FeatureModel, values: dict[str, float], loops: int
) -> list[dict[str, Any]]:
    out = []
    for dim, score, contribs in model.dimension_scores(rubric, values, loops):
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
