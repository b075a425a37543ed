"""Evidence a critique computes rather than asks of the model, and what it does to the scores.

A 0.5B model gave 56/60 to a draft that repeated one sentence seven times and pasted its plan:
asked for a verdict, a small model praises. What is wrong with such a text can be counted, so it
is: the near-duplicate sentences, the share copied from the 构思, assistant talk and plan labels,
loops, and a second half that has nothing to do with the first. The measures are the draft
guards' (:mod:`writer_app.writing.guards`), so "a repeat" means the same in the draft and in its
critique. Each piece of evidence carries the passages it quotes, and becomes a deduction or a cap
on the dimension it belongs to, by rules that are data (``resources/rubrics/evidence.toml``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from writer_app.errors import BadInputError
from writer_app.writing.guards import (
    CopySource,
    GuardRules,
    copied_share,
    hygiene_hits,
    near_duplicates,
    split_sentences,
)
from writer_app.writing.rubric import Rubric

ROLES = ("content", "expression", "development")
MAX_QUOTES = 3


class Words(Protocol):
    """What drift needs of the analyzer: IDF-weighted content words."""

    def weighted_words(self, text: str) -> dict[str, float]: ...


@dataclass(frozen=True)
class Cap:
    at_least: float
    caps: dict[str, float]  # role → fraction of the dimension's maximum


@dataclass(frozen=True)
class EvidenceKind:
    key: str
    label: str
    role: str
    points_each: int = 0
    points_max: int = 0
    caps: tuple[Cap, ...] = ()
    free: float = 0  # this much costs no points (a refrain repeated once or twice is a device)
    below: float = 0.0  # drift: the similarity under which the halves count as unrelated
    min_paragraphs: int = 3
    points_base: int = 0  # taken off as soon as it is found, before points_each per unit
    anchor_weight: float = 0.0  # drift: the title's and prompt's words, added to the text before


@dataclass(frozen=True)
class EvidenceRules:
    roles: dict[str, dict[str, str]]  # rubric name → role → dimension key
    kinds: dict[str, EvidenceKind]

    def dimension(self, rubric: Rubric, role: str) -> str:
        """The rubric's dimension that plays ``role`` (its last one where the rules name none)."""
        key = self.roles.get(rubric.name, {}).get(role, "")
        keys = [d.key for d in rubric.dimensions]
        return key if key in keys else keys[min(ROLES.index(role), len(keys) - 1)]


def load_evidence_rules(resources_dir: Path) -> EvidenceRules:
    path = resources_dir / "rubrics" / "evidence.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        kinds = {}
        for key, k in raw.get("kind", {}).items():
            if k.get("role") not in ROLES:
                raise ValueError(f"{key}: role must be one of {', '.join(ROLES)}")
            caps = tuple(
                Cap(float(c["at_least"]), {r: float(f) for r, f in c["caps"].items() if r in ROLES})
                for c in k.get("caps", [])
            )
            kinds[key] = EvidenceKind(
                key,
                str(k.get("label", key)),
                k["role"],
                int(k.get("points_each", 0)),
                int(k.get("points_max", 0)),
                tuple(sorted(caps, key=lambda c: c.at_least)),
                float(k.get("free", 0)),
                float(k.get("below", 0.0)),
                int(k.get("min_paragraphs", 3)),
                int(k.get("points_base", 0)),
                float(k.get("anchor_weight", 0.0)),
            )
        roles = {str(r): {str(a): str(b) for a, b in m.items()} for r, m in raw.get("roles", {}).items()}
        return EvidenceRules(roles, kinds)
    except FileNotFoundError:
        raise BadInputError(f"找不到证据规则 (evidence rules not found): {path}") from None
    except (
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise BadInputError(f"证据规则 {path.name} 格式错误：{exc} (malformed evidence rules)") from None


# --------------------------------------------------------------------------------------------
# the evidence
# --------------------------------------------------------------------------------------------
@dataclass
class Evidence:
    """One kind of problem found in the text: how much, where (verbatim quotes), and its effect."""

    kind: str
    label: str
    amount: float  # a count, or a share for copy
    dimension: str  # the rubric dimension it belongs to
    quotes: list[str] = field(default_factory=list)
    points: int = 0  # taken off ``dimension``
    caps: dict[str, int] = field(default_factory=dict)  # dimension key → the most it may score
    detail: str = ""

    def message(self, rubric: Rubric) -> str:
        """One line: what was found and what it costs ("近乎重复的句子 6 处：表达 −6，表达至多 10 分")."""
        names = {d.key: d.name for d in rubric.dimensions}
        amount = f"{self.amount:.0%}" if self.kind == "copy" else f"{self.amount:g} 处"
        if self.kind == "drift":
            amount = self.detail
        effects = []
        if self.points:
            effects.append(f"{names.get(self.dimension, self.dimension)} −{self.points}")
        for key, cap in self.caps.items():
            tier = _tier_name(rubric, key, cap)
            effects.append(f"{names.get(key, key)}至多 {cap} 分" + (f"（{tier}）" if tier else ""))
        return f"{self.label} {amount}" + ("：" + "，".join(effects) if effects else "")

    def to_dict(self, rubric: Rubric) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "amount": self.amount,
            "dimension": self.dimension,
            "quotes": self.quotes,
            "points": self.points,
            "caps": self.caps,
            "message": self.message(rubric),
        }


def _tier_name(rubric: Rubric, key: str, cap: int) -> str:
    dim = next((d for d in rubric.dimensions if d.key == key), None)
    if dim is None or dim.max != rubric.tier_scale:
        return ""
    return rubric.tier_for(cap)


def gather_evidence(
    body: str,
    rubric: Rubric,
    guard_rules: GuardRules,
    rules: EvidenceRules,
    *,
    words: Words | None = None,
    query: str = "",
    sources: Iterable[str] = (),
    loops: list[str] | None = None,
    title: str = "",
) -> list[Evidence]:
    """Every kind of evidence found in ``body`` (the text without its ``title``), with its effect.

    ``sources`` are the texts a copy is counted from (the 构思); ``words`` (the analyzer) is needed
    for drift, which also reads the title and the prompt (``query``); ``loops`` are the loop units
    already found (computed here when None)."""
    from writer_app.llm.loopguard import find_loops

    found: list[Evidence] = []

    def add(key: str, amount: float, quotes: list[str], detail: str = "") -> None:
        kind = rules.kinds.get(key)
        if kind is None or amount <= 0:
            return
        ev = Evidence(
            key, kind.label, amount, rules.dimension(rubric, kind.role), _unique(quotes), detail=detail
        )
        if kind.points_each or kind.points_base:
            each = kind.points_each * max(0.0, amount - kind.free)
            ev.points = int(min(kind.points_max or math.inf, kind.points_base + each))
        for cap in kind.caps:
            if amount >= cap.at_least:
                for role, frac in cap.caps.items():
                    key_ = rules.dimension(rubric, role)
                    dim = next(d for d in rubric.dimensions if d.key == key_)
                    ev.caps[key_] = min(ev.caps.get(key_, dim.max), int(frac * dim.max))
        if ev.points or ev.caps:
            found.append(ev)

    dups = near_duplicates(body, guard_rules)
    add("repeat", len(dups), [s for s, _earlier in dups])
    src = [s for s in sources if s and s.strip()]
    if src:
        copy = CopySource(src, query, guard_rules.copy_run, guard_rules.whole_min_han)
        share = copied_share(body, copy)
        quotes = [s for s in split_sentences(body) if copy.copied_run(s) or copy.whole_copy(s)]
        add("copy", round(share, 3), quotes)
    hits = hygiene_hits(body, guard_rules, human=True)
    add("talk", len(hits), [s for _k, _m, s in hits])
    units = find_loops(body) if loops is None else loops
    add("loop", len(units), [_loop_quote(body, u) for u in units])
    if words is not None and "drift" in rules.kinds:
        kind = rules.kinds["drift"]
        anchor = "\n".join(t for t in (title.strip(), query.strip()) if t)
        sim, after = drift(body, words, kind.min_paragraphs, anchor=anchor, anchor_weight=kind.anchor_weight)
        if after and sim < kind.below:
            # how far under the line, 0–1: an essay just under it loses little, an unrelated half much
            depth = round((kind.below - sim) / kind.below, 3)
            before = "前文和题目" if anchor and kind.anchor_weight else "前文"
            detail = f"（这一部分与{before}的用词相似度 {sim:.3f}，低于 {kind.below:g}）"
            add("drift", depth, [after], detail=detail)
    return found


def _unique(quotes: list[str]) -> list[str]:
    out: list[str] = []
    for q in quotes:
        q = q.strip()
        if q and q not in out:
            out.append(q)
    return out[:MAX_QUOTES]


def _loop_quote(text: str, unit: str) -> str:
    start = text.find(unit)
    return text[start : start + min(len(unit) * 2, 60)] if start >= 0 else unit[:60]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    num = sum(v * b.get(w, 0.0) for w, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return num / (na * nb) if na and nb else 0.0


def drift(
    body: str,
    words: Words,
    min_paragraphs: int = 3,
    side: float = 0.25,
    *,
    anchor: str = "",
    anchor_weight: float = 0.0,
) -> tuple[float, str]:
    """(the lowest similarity between the text before and after a paragraph break, the first
    paragraph after that break). Both sides hold at least ``side`` of the text; (1.0, "") where
    there are fewer than ``min_paragraphs`` paragraphs or no such break.

    The ``anchor`` (the title and the prompt) counts as part of the text before, its words
    weighted ``anchor_weight`` times: a later part that returns to the title is on topic even
    where it shares few words with the paragraphs before it."""
    paras = [p.strip() for p in body.split("\n") if p.strip()]
    if len(paras) < max(2, min_paragraphs):
        return 1.0, ""
    sizes = [len(p) for p in paras]
    total = sum(sizes)
    best, where = 1.0, ""
    before = 0
    extra = words.weighted_words(anchor) if anchor and anchor_weight else {}
    for k in range(1, len(paras)):
        before += sizes[k - 1]
        if before < side * total or total - before < side * total:
            continue
        first = words.weighted_words("\n".join(paras[:k]))
        for w, v in extra.items():
            first[w] = first.get(w, 0.0) + anchor_weight * v
        sim = _cosine(first, words.weighted_words("\n".join(paras[k:])))
        if sim < best:
            best, where = sim, paras[k]
    return best, where


# --------------------------------------------------------------------------------------------
# what the evidence does to the scores
# --------------------------------------------------------------------------------------------
def apply_evidence(
    rubric: Rubric, dims: list[dict[str, Any]], evidence: list[Evidence]
) -> list[dict[str, Any]]:
    """The dimensions with the evidence's points taken off and its caps applied; each dimension
    keeps the score it had before (``before_evidence``) and the messages that changed it."""
    out = []
    for d in dims:
        key = d["key"]
        mine = [ev for ev in evidence if ev.dimension == key or key in ev.caps]
        # points first, then the lowest cap: the order the evidence was found in does not matter
        score = d["score"] - sum(ev.points for ev in mine if ev.dimension == key)
        caps = [ev.caps[key] for ev in mine if key in ev.caps]
        if caps:
            score = min(score, min(caps))
        nd = dict(d, score=max(0, score))
        if nd["score"] != d["score"]:
            nd["before_evidence"] = d["score"]
        if mine:
            nd["evidence"] = [ev.message(rubric) for ev in mine]
        out.append(nd)
    return out


def dimension_caps(evidence: list[Evidence]) -> dict[str, int]:
    """Each capped dimension's lowest cap (dimension key → the most it may score)."""
    caps: dict[str, int] = {}
    for ev in evidence:
        for key, cap in ev.caps.items():
            caps[key] = min(caps.get(key, cap), cap)
    return caps


def evidence_cap(rubric: Rubric, evidence: list[Evidence]) -> int | None:
    """The most a text with this evidence may score in total: the sum of each dimension's cap
    (None where nothing is capped). A calibrated total obeys it as the dimensions do."""
    caps = dimension_caps(evidence)
    if not caps:
        return None
    return sum(caps.get(d.key, d.max) for d in rubric.dimensions)


def evidence_points(evidence: list[Evidence]) -> int:
    return sum(ev.points for ev in evidence)


def evidence_suggestions(rubric: Rubric, evidence: list[Evidence]) -> list[dict[str, Any]]:
    """One suggestion per quoted passage of the evidence: what is wrong, what to do."""
    fixes = {
        "repeat": ("这句与前文几乎重复", "删去，或换成新的内容"),
        "copy": ("照抄了构思里的原话", "用自己的话写出这一部分的内容"),
        "talk": ("不是文章本身的话（助手口吻、提纲标签或英文）", "删去"),
        "loop": ("同一内容接连重复", "删去重复的部分"),
        "drift": ("从这里起与前文几乎没有关系", "改写这一部分，使它回到题目"),
    }
    names = {d.key: d.name for d in rubric.dimensions}
    out = []
    for ev in evidence:
        issue, fix = fixes.get(ev.kind, (ev.label, "修改"))
        for q in ev.quotes:
            out.append(
                {"quote": q[:120], "issue": issue, "fix": fix, "dimension": names.get(ev.dimension, "")}
            )
    return out
