"""Rubrics (data in ``resources/rubrics``), deterministic deductions, quote repair, score text.

The model judges each dimension; everything here is computed, so it is the same every time and
can be explained line by line.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError

_SENTENCE = re.compile(r"[^。！？!?…\n]+[。！？!?…]*[”’」』）)]*")


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    max: int
    criteria: tuple[str, ...]
    block: str = ""
    note: str = ""


@dataclass(frozen=True)
class Tier:
    name: str
    low: int
    high: int


@dataclass(frozen=True)
class Rubric:
    name: str
    title: str
    max_total: int
    dimensions: tuple[Dimension, ...]
    tiers: tuple[Tier, ...]
    deduction_rules: dict[str, int] = field(default_factory=dict)

    @property
    def tier_scale(self) -> int:
        """The score the tiers are defined on (20 for each Gaokao block); other maxima get no tier."""
        return max((t.high for t in self.tiers), default=0)

    def tier_for(self, score: float) -> str:
        for t in self.tiers:
            if t.low <= round(score) <= t.high:
                return t.name
        return ""


def load_rubric(resources_dir: Path, name: str) -> Rubric:
    path = resources_dir / "rubrics" / f"{name}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"找不到评分标准 {name} (rubric not found: {path})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"评分标准 {path.name} 格式错误：{exc} (malformed rubric)") from None
    dims = tuple(
        Dimension(
            d["key"],
            d["name"],
            int(d["max"]),
            tuple(d.get("criteria", [])),
            d.get("block", ""),
            d.get("note", ""),
        )
        for d in raw["dimension"]
    )
    if sum(d.max for d in dims) != int(raw["max_total"]):
        raise BadInputError(f"评分标准 {path.name} 的各项满分之和不等于总分 (dimension maxima do not add up)")
    return Rubric(
        name=raw["name"],
        title=raw.get("title", name),
        max_total=int(raw["max_total"]),
        dimensions=dims,
        tiers=tuple(Tier(t["name"], int(t["low"]), int(t["high"])) for t in raw.get("tiers", [])),
        deduction_rules={k: int(v) for k, v in raw.get("deductions", {}).items()},
    )


# --------------------------------------------------------------------------------------------
# title and deductions
# --------------------------------------------------------------------------------------------
def split_title(text: str) -> tuple[str, str]:
    """(title, body). A title is a short first line without sentence-ending punctuation."""
    lines = text.strip("\n").split("\n")
    first = lines[0].strip() if lines else ""
    if first and len(first) <= 30 and len(lines) > 1 and not re.search(r"[。！？!?；;，,]$", first):
        return first.strip("《》#* "), "\n".join(lines[1:])
    return "", text


def count_chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


@dataclass
class Deductions:
    items: list[dict[str, Any]]  # {"rule", "points"} with points negative
    cap: int | None  # the total may not exceed this

    @property
    def points(self) -> int:
        return sum(d["points"] for d in self.items)


def compute_deductions(
    rubric: Rubric, text: str, required_chars: int, title: str | None = None
) -> Deductions:
    rules = rubric.deduction_rules
    items: list[dict[str, Any]] = []
    found_title, body = split_title(text) if title is None else (title, text)
    if "missing_title" in rules and not found_title.strip():
        items.append({"rule": "缺少标题 (missing title)", "points": -rules["missing_title"]})
    chars = count_chars(body)
    per = rules.get("per_chars_short", 0)
    if per and required_chars and chars < required_chars:
        short = required_chars - chars
        items.append(
            {
                "rule": f"字数不足：{chars}/{required_chars}，每少{per}字扣1分 (too short)",
                "points": -math.ceil(short / per),
            }
        )
    cap = None
    if "cap_under_200" in rules and chars < 200:
        cap = rules["cap_under_200"]
        items.append({"rule": f"不足200字，总分不超过{cap}分 (under 200 characters)", "points": 0})
    elif "cap_under_400" in rules and chars < 400:
        cap = rules["cap_under_400"]
        items.append({"rule": f"不足400字，总分不超过{cap}分 (under 400 characters)", "points": 0})
    return Deductions(items, cap)


def final_total(rubric: Rubric, dimension_scores: Sequence[float], deductions: Deductions) -> int:
    total = sum(dimension_scores) + deductions.points
    if deductions.cap is not None:
        total = min(total, deductions.cap)
    return int(max(0, min(rubric.max_total, round(total))))


# --------------------------------------------------------------------------------------------
# quotes
# --------------------------------------------------------------------------------------------
def sentences(text: str) -> list[str]:
    return [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"\s+", "", s)
    return {s[i : i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def repair_quote(quote: str, text: str, threshold: float = 0.6) -> str | None:
    """The quote if it occurs verbatim; else the sentence of ``text`` it most likely means; else None.

    A suggestion never shows a quote that is not in the text.
    """
    q = quote.strip().strip("“”\"'「」『』")
    if not q:
        return None
    if q in text:
        return q
    squeezed = re.sub(r"\s+", "", q)
    best, best_score = None, 0.0
    grams = _bigrams(squeezed)
    for s in sentences(text):
        if squeezed and squeezed in re.sub(r"\s+", "", s):
            return s
        score = len(grams & _bigrams(s)) / len(grams) if grams else 0.0
        if score > best_score:
            best, best_score = s, score
    return best if best_score >= threshold else None


# --------------------------------------------------------------------------------------------
# COIG-Writer style score text
# --------------------------------------------------------------------------------------------
def score_text(rubric: Rubric, total: int, dimensions: list[dict[str, Any]], deductions: Deductions) -> str:
    lines = [f"总分：{total}/{rubric.max_total}（{rubric.title}）"]
    for d in dimensions:
        tier = rubric.tier_for(d["score"]) if d["max"] == rubric.tier_scale else ""
        tier_text = f"，{tier}" if tier else ""
        reason = f"：{d['reason']}" if d.get("reason") else ""
        lines.append(f"{d['name']} {d['score']}/{d['max']}{tier_text}{reason}")
    for item in deductions.items:
        pts = f" {item['points']}分" if item["points"] else ""
        lines.append(f"扣分：{item['rule']}{pts}")
    return "\n".join(lines)
