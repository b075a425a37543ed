"""Domain types: genres (query_type) and the Thought (构思) with its six sections.

A Thought is kept as the Markdown blocks the writer sees, verbatim, so hand edits and free text
the parser does not understand survive every round trip. The structured view (checklist,
parts with length budgets, …) is parsed from those blocks on demand; setting one section
rewrites only that block.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError

# --------------------------------------------------------------------------------------------
# genres
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Genre:
    name: str
    group: str  # "English|中文"
    target_chars: int
    rubric: str
    structure: tuple[str, ...]
    description: str = ""
    coig_group: str = ""
    unit: str = "字"  # what target_chars counts: 字 (characters), or 行 (lines, for poems)

    @property
    def is_gaokao(self) -> bool:
        return self.group.startswith("Gaokao")

    def part_hints(self) -> list[tuple[str, str]]:
        """The genre's parts as (title, what the part does): "开头：设置情境或悬念" → ("开头",
        "设置情境或悬念"); a line without a hint gives its title for both."""
        out = []
        for line in self.structure:
            title, _sep, hint = line.partition("：")
            out.append((title.strip(), (hint or title).strip()))
        return out


def load_genres(resources_dir: Path) -> list[Genre]:
    raw = tomllib.loads((resources_dir / "genres.toml").read_text(encoding="utf-8"))
    return [
        Genre(
            name=g["name"],
            group=g["group"],
            target_chars=int(g["target_chars"]),
            rubric=g["rubric"],
            structure=tuple(g.get("structure", [])),
            description=g.get("description", ""),
            coig_group=g.get("coig_group", ""),
            unit=g.get("unit", "字"),
        )
        for g in raw["genre"]
    ]


_LENGTH_ASKED = re.compile(r"(?:不少于|不低于|至少|约|大约|左右|共|写|满)?\s*(\d{1,5})\s*(字|行)")


def target_from_query(query: str, genre: Genre) -> int | None:
    """The length the prompt itself asks for, in the genre's unit ("不少于800字", "12行"), if any."""
    for m in _LENGTH_ASKED.finditer(query):
        if m.group(2) == genre.unit and int(m.group(1)) > 0:
            return int(m.group(1))
    return None


def find_genre(genres: list[Genre], name: str) -> Genre:
    for g in genres:
        if g.name == name:
            return g
    sample = "、".join(g.name for g in genres[:6])
    raise BadInputError(f"未知文体 {name}；例如：{sample}… (unknown genre; see `writer-app genres`)")


# --------------------------------------------------------------------------------------------
# the thought
# --------------------------------------------------------------------------------------------

SECTIONS: tuple[tuple[str, str], ...] = (
    ("requirements", "审题"),
    ("intent", "立意"),
    ("structure", "结构"),
    ("materials", "素材"),
    ("style", "风格"),
    ("self_check", "自查"),
)
SECTION_TITLES = dict(SECTIONS)
_ALIASES = {
    "requirements": ("审题", "要求"),
    "intent": ("立意", "主旨", "中心思想"),
    "structure": ("结构", "提纲", "大纲"),
    "materials": ("素材", "材料"),
    "style": ("风格", "语言"),
    "self_check": ("自查", "自我修正", "反思"),
}
LIST_SECTIONS = ("requirements", "materials", "self_check")
TEXT_SECTIONS = ("intent", "style")

_HEADING = re.compile(r"^(#{1,6})[ \t]*(.*?)[ \t]*#*[ \t]*$")
_ITEM = re.compile(r"^\s*[-*+]\s+(?:\[(?P<mark>[ xX])\]\s+)?(?P<text>.*\S)\s*$")
_PART = re.compile(
    r"^\s*\d+\s*[.、)）]\s*(?P<title>[^（(：:\n]*?[^（(：:\s])\s*"
    r"(?:[（(]\s*约?\s*(?P<chars>\d+)\s*[字行]\s*[）)])?\s*(?:[：:]\s*(?P<purpose>.*\S))?\s*$"
)


def section_key(heading_text: str) -> str | None:
    """Which section a heading names, e.g. "一、审题（Requirements）" → "requirements"."""
    text = re.sub(r"^[\s\d一二三四五六七八九十.、)）]+", "", heading_text)
    for key, names in _ALIASES.items():
        if any(text.startswith(n) for n in names):
            return key
    return None


@dataclass
class Part:
    title: str
    purpose: str = ""
    chars: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "purpose": self.purpose, "chars": self.chars}


def scale_budgets(weights: Sequence[float], target: int, minimum: int, step: int = 1) -> list[int]:
    """Character budgets in proportion to ``weights`` (each at least ``minimum``, rounded to
    ``step``) that add up to ``target``; the last part takes the rounding remainder."""
    total = sum(weights)
    budgets = [max(minimum, round(w * target / total / step) * step) for w in weights]
    budgets[-1] = max(minimum, budgets[-1] + target - sum(budgets))
    return budgets


@dataclass
class Block:
    heading: str  # the heading line as written ("" for text before the first heading)
    key: str | None
    body: str  # everything up to the next heading, verbatim


@dataclass
class Thought:
    blocks: list[Block] = field(default_factory=list)

    # -- Markdown -------------------------------------------------------------------------------
    @classmethod
    def from_markdown(cls, md: str) -> Thought:
        blocks: list[Block] = [Block("", None, "")]
        for line in md.splitlines(keepends=True):
            m = _HEADING.match(line.rstrip("\r\n"))
            if m:
                blocks.append(Block(line, section_key(m.group(2)), ""))
            else:
                blocks[-1].body += line
        if not blocks[0].body:
            blocks.pop(0)
        return cls(blocks)

    def to_markdown(self) -> str:
        return "".join(b.heading + b.body for b in self.blocks)

    # -- sections -------------------------------------------------------------------------------
    def _block(self, key: str) -> Block | None:
        return next((b for b in self.blocks if b.key == key), None)

    def section_text(self, key: str) -> str:
        b = self._block(key)
        return b.body.strip() if b else ""

    def missing_sections(self) -> list[str]:
        return [k for k, _ in SECTIONS if not self.section_text(k)]

    def set_section(self, key: str, body: str) -> None:
        """Replace one section's text, keeping the writer's heading; add it in order if missing."""
        if key not in SECTION_TITLES:
            raise KeyError(key)
        text = body.strip("\n") + "\n\n"
        b = self._block(key)
        if b is not None:
            b.body = text
            return
        if self.blocks and not self.blocks[-1].body.endswith("\n\n"):
            self.blocks[-1].body = self.blocks[-1].body.rstrip("\n") + "\n\n"
        order = [k for k, _ in SECTIONS]
        pos = len(self.blocks)
        for i, existing in enumerate(self.blocks):
            if existing.key in order and order.index(existing.key) > order.index(key):
                pos = i
                break
        self.blocks.insert(pos, Block(f"## {SECTION_TITLES[key]}\n", key, text))

    def items(self, key: str) -> list[str]:
        """List items of a list section (checkbox marks dropped); other lines are notes."""
        return [m.group("text") for line in self.section_text(key).splitlines() if (m := _ITEM.match(line))]

    def checklist(self) -> list[tuple[bool, str]]:
        out = []
        for line in self.section_text("requirements").splitlines():
            m = _ITEM.match(line)
            if m:
                out.append(((m.group("mark") or " ") in "xX", m.group("text")))
        return out

    def parts(self) -> list[Part]:
        parts = []
        for line in self.section_text("structure").splitlines():
            m = _PART.match(line)
            if m:
                parts.append(Part(m.group("title"), m.group("purpose") or "", int(m.group("chars") or 0)))
        return parts

    def notes(self) -> list[str]:
        """Lines the structured view does not understand (kept verbatim in the Markdown)."""
        out = []
        for b in self.blocks:
            for line in b.body.splitlines():
                s = line.strip()
                if not s:
                    continue
                if b.key in LIST_SECTIONS and _ITEM.match(line):
                    continue
                if b.key == "structure" and _PART.match(line):
                    continue
                if b.key in TEXT_SECTIONS:
                    continue
                out.append(s)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirements": self.items("requirements"),
            "intent": self.section_text("intent"),
            "structure": [p.to_dict() for p in self.parts()],
            "materials": self.items("materials"),
            "style": self.section_text("style"),
            "self_check": self.items("self_check"),
            "notes": self.notes(),
        }

    # -- building ---------------------------------------------------------------------------------
    @staticmethod
    def render_section(key: str, value: Any, unit: str = "字") -> str:
        """Canonical Markdown for one section; whatever the values hold, it parses back the same.
        ``unit``: what a part's budget counts (字, or 行 for poems)."""
        if key in LIST_SECTIONS:
            items = (_one_line(v) for v in value)
            return "\n".join(f"- {v}" for v in items if v)
        if key == "structure":
            lines = []
            for i, p in enumerate(value, 1):
                if not isinstance(p, Part):
                    p = Part(str(p.get("title", "")), str(p.get("purpose", "")), int(p.get("chars", 0) or 0))
                # the title may not hold the characters that delimit the budget and the purpose
                title = _one_line(re.sub(r"[（()：:]", " ", p.title)) or f"第{i}部分"
                budget = f"（约{p.chars}{unit}）" if p.chars > 0 else ""
                purpose = _one_line(p.purpose)
                lines.append(f"{i}. {title}{budget}" + (f"：{purpose}" if purpose else ""))
            return "\n".join(lines)
        return str(value).strip()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Thought:
        """From the model's JSON (see :func:`thought_schema`) or :meth:`to_dict`."""
        t = cls()
        for key, _title in SECTIONS:
            if key in data and data[key]:
                t.set_section(key, cls.render_section(key, data[key]))
        return t


def _one_line(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


def _string_list(max_length: int, max_items: int) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "maxLength": max_length},
        "minItems": 1,
        "maxItems": max_items,
    }


SCHEMA_LIMITS: dict[str, int] = {
    "requirements_items": 6,
    "requirements_chars": 30,
    "intent_chars": 80,
    "parts_min": 3,
    "parts_max": 5,
    "part_title_chars": 16,
    "part_purpose_chars": 40,
    "materials_items": 4,
    "materials_chars": 40,
    "style_chars": 60,
    "self_check_items": 3,
    "self_check_chars": 40,
}


def thought_schema(
    keys: tuple[str, ...] | None = None, limits: dict[str, int] | None = None
) -> dict[str, Any]:
    """JSON schema for generating a Thought, or only some sections (regenerating one).

    Tight string and list bounds keep a small model short and out of loops; ``limits`` overrides
    :data:`SCHEMA_LIMITS` (resources/prompts/outline.toml ``[limits.schema]``).
    """
    lim = {**SCHEMA_LIMITS, **(limits or {})}
    props: dict[str, Any] = {
        "requirements": _string_list(lim["requirements_chars"], lim["requirements_items"]),
        "intent": {"type": "string", "maxLength": lim["intent_chars"]},
        "structure": {
            "type": "array",
            "minItems": lim["parts_min"],
            "maxItems": lim["parts_max"],
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string", "maxLength": lim["part_title_chars"]},
                    "purpose": {"type": "string", "maxLength": lim["part_purpose_chars"]},
                    "chars": {"type": "integer"},
                },
                "required": ["title", "purpose", "chars"],
            },
        },
        "materials": _string_list(lim["materials_chars"], lim["materials_items"]),
        "style": {"type": "string", "maxLength": lim["style_chars"]},
        "self_check": _string_list(lim["self_check_chars"], lim["self_check_items"]),
    }
    keys = keys or tuple(k for k, _ in SECTIONS)
    return {"type": "object", "properties": {k: props[k] for k in keys}, "required": list(keys)}


@dataclass(frozen=True)
class Exemplar:
    """A COIG-Writer record (query → thought → answer) the writer imported, used as a model plan."""

    query: str
    thought: str
    answer: str = ""
    query_type: str = ""
