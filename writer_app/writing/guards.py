"""What makes a sentence unfit to show: a near-duplicate, a copied plan run, assistant talk, a plan label.

One definition serves three users, so "what counts as a repeat" means the same everywhere:
the draft's sentence guard (a sentence is judged before the editor sees it), the 构思's checks
(fragments of the prompt, duplicate purposes, generic 素材) and the quality bench's figures.
The thresholds and patterns are data (``resources/analysis/guards.toml``).

Measures, on Han characters (punctuation and spaces do not count):
- near-duplicate: a sentence of ≥ ``min_han`` Han characters whose character-bigram Jaccard with
  an earlier sentence of the same text is ≥ ``jaccard``; a shorter one (≥ ``exact_min_han``)
  whose Han characters equal an earlier one's (a repeated verse line); a shorter one still
  (≥ ``short_min_han``) whose Han characters stood as a sentence ``short_times`` times before
  ("搬不动。" twice is a writer's device, seven times a loop);
- copied: a ``run``-character stretch (spaces removed) that also stands in the 构思 (or the
  exemplar) but not in the prompt, or a shorter sentence (≥ ``whole_min_han`` Han characters)
  found whole there;
- assistant talk and plan labels: regexes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# a sentence ends at 。！？ (or ……, or a line end), with any closing quotes that follow
SENTENCE_END = re.compile(r"(?:[。！？!?]+|…{2,}|……)[”’」』）)\"]*")
_SPACE = re.compile(r"\s+")


def han(text: str) -> str:
    """The Han characters of ``text``, in order."""
    return "".join(_HAN.findall(text))


def han_count(text: str) -> int:
    return len(_HAN.findall(text))


def bigrams(text: str) -> frozenset[str]:
    h = han(text)
    return frozenset(h[i : i + 2] for i in range(len(h) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def split_sentences(text: str) -> list[str]:
    """Sentences in order (a line end also ends one); each keeps its end mark, none is empty."""
    out: list[str] = []
    for line in text.split("\n"):
        pos = 0
        for m in SENTENCE_END.finditer(line):
            s = line[pos : m.end()].strip()
            if s:
                out.append(s)
            pos = m.end()
        rest = line[pos:].strip()
        if rest:
            out.append(rest)
    return out


# --------------------------------------------------------------------------------------------
# the rules (data)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GuardRules:
    min_han: int = 8
    jaccard: float = 0.6
    copy_run: int = 12
    exact_min_han: int = 4
    short_min_han: int = 2
    short_times: int = 2
    whole_min_han: int = 6
    assistant: tuple[re.Pattern[str], ...] = ()
    plan_label: tuple[re.Pattern[str], ...] = ()
    noise: tuple[re.Pattern[str], ...] = ()
    generic: tuple[re.Pattern[str], ...] = ()
    concrete: tuple[re.Pattern[str], ...] = ()
    # patterns the draft guard refuses but a student may write (a letter's 您): never evidence
    # against a text the critique reads
    draft_only: frozenset[re.Pattern[str]] = frozenset()

    def _first(self, patterns: tuple[re.Pattern[str], ...], sentence: str, human: bool) -> str:
        return next(
            (
                m.group(0)
                for p in patterns
                if not (human and p in self.draft_only) and (m := p.search(sentence))
            ),
            "",
        )

    def talk(self, sentence: str, human: bool = False) -> str:
        """The assistant-talk pattern ``sentence`` matches ("" when none); ``human``: only the
        patterns no student writes (the critique's evidence)."""
        return self._first(self.assistant, sentence, human)

    def label(self, sentence: str, human: bool = False) -> str:
        """The plan label or Markdown mark in ``sentence`` ("" when none)."""
        return self._first(self.plan_label, sentence, human)

    def foreign(self, sentence: str, human: bool = False) -> str:
        """Text that is not Chinese prose (English words) in ``sentence`` ("" when none)."""
        return self._first(self.noise, sentence, human)

    def is_generic(self, item: str) -> bool:
        """A 素材 item that names nothing: a placeholder, or too short to hold anything concrete."""
        if han_count(item) < 4:
            return True  # names nothing in Chinese (a bare name, an English quotation)
        if any(p.search(item) for p in self.concrete):
            return False
        return any(p.search(item) for p in self.generic)


def load_guard_rules(resources_dir: Path) -> GuardRules:
    path = resources_dir / "analysis" / "guards.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        nd, cp = raw.get("near_duplicate", {}), raw.get("copy", {})

        def patterns(section: str, key: str = "patterns") -> tuple[re.Pattern[str], ...]:
            return tuple(re.compile(p, re.M) for p in raw.get(section, {}).get(key, []))

        draft_only = {s: patterns(s, "draft_only") for s in ("assistant", "plan_label", "noise")}
        return GuardRules(
            min_han=int(nd.get("min_han", 8)),
            jaccard=float(nd.get("jaccard", 0.6)),
            copy_run=int(cp.get("run", 12)),
            exact_min_han=int(nd.get("exact_min_han", 4)),
            short_min_han=int(nd.get("short_min_han", 2)),
            short_times=int(nd.get("short_times", 2)),
            whole_min_han=int(cp.get("whole_min_han", 6)),
            assistant=patterns("assistant") + draft_only["assistant"],
            plan_label=patterns("plan_label") + draft_only["plan_label"],
            noise=patterns("noise") + draft_only["noise"],
            draft_only=frozenset(p for ps in draft_only.values() for p in ps),
            generic=patterns("generic"),
            concrete=patterns("generic", "concrete"),
        )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, re.error, TypeError, ValueError) as exc:
        raise BadInputError(f"无法读取 {path.name}：{exc} (cannot read the guard rules)") from exc


# --------------------------------------------------------------------------------------------
# copied runs
# --------------------------------------------------------------------------------------------
def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def runs_of(text: str, n: int) -> set[str]:
    t = _squash(text)
    return {t[i : i + n] for i in range(len(t) - n + 1)}


class CopySource:
    """The ``n``-character runs of the sources (构思, exemplar) that the prompt does not hold, and
    the sources' Han text, in which a shorter sentence (``whole`` Han characters or more) found
    whole is a copy too: a part's purpose or a plan line set down as a sentence of the text."""

    def __init__(self, sources: Iterable[str], prompt: str, n: int, whole: int = 6) -> None:
        self.n, self.whole = n, whole
        allowed = runs_of(prompt, n)
        self.runs: set[str] = set()
        self._han: list[str] = []
        for s in sources:
            self.runs |= runs_of(s, n)
            self._han.append(han(s))
        self.runs -= allowed
        self._prompt_han = han(prompt)

    def whole_copy(self, sentence: str) -> bool:
        """Whether ``sentence`` (too short for a run) stands whole in a source but not in the prompt."""
        h = han(sentence)
        if not self.whole or len(h) < self.whole or h in self._prompt_han:
            return False
        return any(h in s for s in self._han)

    def copied_mask(self, text: str) -> list[bool]:
        """Per character of ``text`` with spaces removed: whether it sits inside a copied run or a
        sentence copied whole."""
        t = _squash(text)
        mask = [False] * len(t)
        if self.runs:
            for i in range(len(t) - self.n + 1):
                if t[i : i + self.n] in self.runs:
                    for k in range(i, i + self.n):
                        mask[k] = True
        if self._han:
            pos = 0
            for m in [*SENTENCE_END.finditer(t), None]:
                end = m.end() if m else len(t)
                if self.whole_copy(t[pos:end]):
                    mask[pos:end] = [True] * (end - pos)
                pos = end
        return mask

    def copied_run(self, text: str, before: str = "") -> str:
        """The first copied run in ``text`` ("" when none). With ``before`` (the text it follows), a
        run that starts there and ends in ``text`` counts too: two short copied sentences in a
        row are one copied run, as :func:`copied_share` counts them."""
        head = _squash(before)[-(self.n - 1) :] if before else ""
        t = head + _squash(text)
        return next(
            (t[i : i + self.n] for i in range(len(t) - self.n + 1) if t[i : i + self.n] in self.runs), ""
        )


def copied_share(text: str, source: CopySource) -> float:
    """Share of ``text``'s non-space characters that sit inside copied runs."""
    mask = source.copied_mask(text)
    return sum(mask) / len(mask) if mask else 0.0


# --------------------------------------------------------------------------------------------
# the sentence guard (drafts) and the text report (bench, critique)
# --------------------------------------------------------------------------------------------
@dataclass
class Verdict:
    """Why a sentence must not be shown: ``reason`` is repeat | copy | assistant | label | noise."""

    reason: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


@dataclass
class SentenceGuard:
    """Judges each sentence before it is shown, against what was already accepted."""

    rules: GuardRules
    copy: CopySource | None = None
    _grams: list[tuple[frozenset[str], str]] = field(default_factory=list)
    _short: dict[str, str] = field(default_factory=dict)
    _shortest: dict[str, list[str]] = field(default_factory=dict)

    def seed(self, text: str) -> None:
        """Sentences already on the page (the text before the cursor, earlier parts)."""
        for s in split_sentences(text):
            self.accept(s)

    def check(self, sentence: str, before: str = "") -> Verdict | None:
        """Why ``sentence`` must not follow ``before`` (the text already shown), or None."""
        talk = self.rules.talk(sentence)
        if talk:
            return Verdict("assistant", talk)
        label = self.rules.label(sentence)
        if label:
            return Verdict("label", label)
        noise = self.rules.foreign(sentence)
        if noise:
            return Verdict("noise", noise)
        if self.copy is not None:
            run = self.copy.copied_run(sentence, before)
            if run or self.copy.whole_copy(sentence):
                return Verdict("copy", run or sentence)
        dup = self.near_duplicate_of(sentence)
        if dup:
            return Verdict("repeat", dup)
        return None

    def near_duplicate_of(self, sentence: str) -> str:
        """The earlier sentence ``sentence`` repeats ("" when none): by bigram Jaccard, or, for a
        sentence too short for that, by having the same Han characters (the shortest ones, by
        having had them ``short_times`` times already)."""
        n = han_count(sentence)
        if n < self.rules.min_han:
            if n >= self.rules.exact_min_han:
                return self._short.get(han(sentence), "")
            if n >= self.rules.short_min_han:
                seen = self._shortest.get(han(sentence), [])
                return seen[0] if len(seen) >= self.rules.short_times else ""
            return ""
        g = bigrams(sentence)
        return next((s for eg, s in self._grams if jaccard(g, eg) >= self.rules.jaccard), "")

    def near_duplicate_within(self, sentence: str, others: list[str]) -> bool:
        """Whether ``sentence`` repeats one of ``others`` (not yet accepted) by the same rule."""
        probe = SentenceGuard(self.rules)
        for o in others:
            probe.accept(o)
        return bool(probe.near_duplicate_of(sentence))

    def accept(self, sentence: str) -> None:
        n = han_count(sentence)
        if n >= self.rules.min_han:
            self._grams.append((bigrams(sentence), sentence))
        elif n >= self.rules.exact_min_han:
            self._short.setdefault(han(sentence), sentence)
        elif n >= self.rules.short_min_han:
            self._shortest.setdefault(han(sentence), []).append(sentence)


def near_duplicates(text: str, rules: GuardRules) -> list[tuple[str, str]]:
    """(sentence, the earlier sentence it near-duplicates) for every such sentence of ``text``."""
    guard = SentenceGuard(rules)
    out = []
    for s in split_sentences(text):
        dup = guard.near_duplicate_of(s)
        if dup:
            out.append((s, dup))
        guard.accept(s)
    return out


def hygiene_hits(text: str, rules: GuardRules, human: bool = False) -> list[tuple[str, str, str]]:
    """(kind, match, sentence) for assistant talk, plan labels and noise (English words) in
    ``text``; ``human``: without the patterns a student may write (the critique's evidence)."""
    out = []
    for s in split_sentences(text):
        if t := rules.talk(s, human):
            out.append(("assistant", t, s))
        elif lb := rules.label(s, human):
            out.append(("label", lb, s))
        elif n := rules.foreign(s, human):
            out.append(("noise", n, s))
    return out


def text_report(
    text: str, rules: GuardRules, *, prompt: str = "", sources: Iterable[str] = ()
) -> dict[str, Any]:
    """The figures the bench prints and the critique's evidence is built from."""
    from writer_app.llm.loopguard import find_loops

    copy = CopySource(sources, prompt, rules.copy_run, rules.whole_min_han)
    dups = near_duplicates(text, rules)
    hits = hygiene_hits(text, rules)
    return {
        "chars": sum(1 for ch in text if not ch.isspace()),
        "near_duplicates": len(dups),
        "copied_share": round(copied_share(text, copy), 4),
        "assistant_talk": sum(1 for k, _m, _s in hits if k == "assistant"),
        "plan_labels": sum(1 for k, _m, _s in hits if k == "label"),
        "noise": sum(1 for k, _m, _s in hits if k == "noise"),
        "loops": len(find_loops(text)),
        "duplicate_examples": [s for s, _ in dups[:3]],
        "hygiene_examples": [f"{k}:{m}" for k, m, _s in hits[:3]],
    }
