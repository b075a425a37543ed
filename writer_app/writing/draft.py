"""成文: the draft follows the Thought part by part, each part held to its length budget.

One conversation carries the whole draft: the task, then a user turn per part, so each request
reuses the prefix processed by the one before. The task carries the prompt, the 立意 and the
style but not the plan's wording (a small model copies what it is shown); each part's turn
carries its purpose and its own 素材.

Small models repeat themselves, copy their plan and slip into an assistant's voice. So text
reaches the editor a whole sentence at a time, and each sentence is judged first by the guard
(``guards.py``): a near-duplicate, a copied plan run, assistant talk or a plan label is dropped
(and logged in ``DraftResult.dropped``) and the answer re-sampled from the accepted text with a
new seed and stronger penalties. A part stops at the first sentence end past its budget; what
a part leaves unwritten passes to the next, and a draft still short at the end continues with
unused 素材. Nothing shown is ever taken back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from writer_app.domain import Genre, Part, Thought, scale_budgets, target_from_query
from writer_app.errors import BadInputError, CancelledError, ModelError
from writer_app.llm.engine import (
    CancelToken,
    Engine,
    FinishReason,
    GenerationParams,
    Message,
    collect,
    opened,
)
from writer_app.writing.guards import (
    SENTENCE_END,
    CopySource,
    GuardRules,
    SentenceGuard,
    Verdict,
    han,
    runs_of,
)
from writer_app.writing.outline import check_query
from writer_app.writing.prompts import PromptSet
from writer_app.writing.rubric import count_chars

_HEADING_LINE = re.compile(
    r"^\s*(?:#{1,6}\s|#{1,6}$|第[一二三四五六七八九十\d]+部分[^。！？!?]{0,24}$|【[^】]{0,30}】\s*$|[-=*_]{3,}\s*$)"
)
_BOLD_LABEL_LINE = re.compile(r"^\s*\*\*[^*]{0,30}\*\*[：:]?\s*$")
# Text editors turn CR and the Unicode line/paragraph separators into "\n"; so does the draft,
# as each chunk arrives (one character for one, or none), so that what is stored is what is shown.
_LINE_BREAKS = str.maketrans({"\r": None, "\u2028": "\n", "\u2029": "\n"})
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]\s+|\d+(?:\.\d+)*[.、)）]\s*)")


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass
class PartResult:
    index: int
    title: str
    target: int
    finish_reason: str = ""
    extended: bool = False  # stopped short and got a continuation
    ended_early: bool = False  # the guard rejected sentence after sentence
    text: str = ""

    @property
    def chars(self) -> int:
        return count_chars(self.text)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "text"}
        d["chars"] = self.chars
        return d


@dataclass
class DraftResult:
    title: str
    parts: list[PartResult]
    target_chars: int
    finish_reason: str  # stop, cancelled, loop (a part ended early), short or long (outside the tolerance)
    warnings: list[str] = field(default_factory=list)
    unit: str = "字"
    dropped: list[dict[str, str]] = field(default_factory=list)  # what the guard kept out, and why

    @property
    def body(self) -> str:
        return "\n".join(p.text for p in self.parts if p.text)

    @property
    def answer(self) -> str:
        return f"{self.title}\n{self.body}" if self.title else self.body

    @property
    def chars(self) -> int:
        """Characters of the body, as a Gaokao grid counts them (the title is not counted)."""
        return count_chars(self.body)

    @property
    def looped(self) -> bool:
        """Whether the model fell into a loop in some part (whatever the final length says)."""
        return any(p.ended_early or p.finish_reason == "loop" for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "parts": [p.to_dict() for p in self.parts],
            "chars": self.chars,
            "finish_reason": self.finish_reason,
            "looped": self.looped,
            "title": self.title,
            "target_chars": self.target_chars,
            "warnings": self.warnings,
            "unit": self.unit,
            "dropped": self.dropped,
        }


class DraftKind(StrEnum):
    """What a :class:`DraftEvent` carries (a StrEnum: equal to its plain string)."""

    PROGRESS = "progress"  # a part starts: "第2/5部分"
    TEXT = "text"  # whole sentences, never taken back
    WARNING = "warning"  # a one-line note for the writer
    DONE = "done"  # the last event, carrying the result


@dataclass
class DraftEvent:
    """``progress`` (a part starts: "第2/5部分"), ``text`` (whole sentences, never taken back),
    ``warning``, and one final ``done`` carrying the result, whose ``answer`` is the authoritative text."""

    kind: DraftKind
    text: str = ""
    index: int = 0
    total: int = 0
    result: DraftResult | None = None


# --------------------------------------------------------------------------------------------
# planning and text helpers
# --------------------------------------------------------------------------------------------
def plan_parts(thought: Thought, genre: Genre, target_chars: int, minimum: int = 20) -> list[Part]:
    """The Thought's parts with budgets that add up to ``target_chars``; the genre's plan if it has none."""
    parts = thought.parts() or [Part(title=h, purpose=h) for h in genre.structure] or [Part("正文", "")]
    given = [p.chars for p in parts]
    known = [g for g in given if g > 0]
    fill = (sum(known) / len(known)) if known else 1.0
    weights = [g if g > 0 else fill for g in given]
    budgets = scale_budgets(weights, target_chars, minimum)
    return [Part(p.title, p.purpose, b) for p, b in zip(parts, budgets, strict=True)]


def clean_line(line: str) -> str | None:
    """Prose from one line of model output: Markdown headings and labels dropped (None), list
    markers and bold marks removed. Essays are plain paragraphs."""
    if _HEADING_LINE.match(line) or _BOLD_LABEL_LINE.match(line):
        return None
    line = _LIST_MARK.sub("", line, count=1)
    return line.replace("**", "").replace("__", "").strip()


def clean_prose(raw: str, final: bool) -> str:
    """Model output as essay paragraphs, one per line, with no Markdown.

    While streaming, the last (incomplete) line is held back when it may still turn into a
    heading or a marker, so the cleaned text only ever grows: what was shown stays true.
    """
    lines = raw.split("\n")
    last = "" if final else lines.pop()
    out = [c for line in lines if (c := clean_line(line))]
    if last:
        head = last.lstrip()
        undecided = head[:1] in "#-*+•=_【第" or head[:1].isdigit()
        if not (undecided and len(head) < 8):
            c = clean_line(last)
            if c:
                out.append(c.rstrip("*_"))
    return "\n".join(out)


_GIVEN_TITLE = re.compile(r"(?:以|题目[：:]?\s*)“([^”…]{1,20})”(?:为题|$|[，。])")


def given_title(query: str) -> str:
    """The title a 命题作文 prompt names ("以“那盏灯”为题"); "" for a prompt that leaves it open
    (or one to be completed: "以“那一刻，我读懂了……”为题")."""
    m = _GIVEN_TITLE.search(query)
    return m.group(1).strip() if m else ""


def clean_title(text: str) -> str:
    """The title from the model's answer: its first line that holds text, labels and marks taken off."""
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(
        r"^(?:标题|题目|Title|(?:议?论文|记叙文|作文|文章|范文|诗歌?)(?:标题|题目)?)\s*[：:]\s*(?=\S)",
        "",
        line,
        flags=re.I,
    )
    return line.strip().strip("#*《》“”\"'「」【】[] ").strip()[:30]


# --------------------------------------------------------------------------------------------
# one answer, written sentence by sentence behind the guard
# --------------------------------------------------------------------------------------------
@dataclass
class _Piece:
    text: str = ""
    finish_reason: FinishReason = FinishReason.STOP
    message: str = ""
    dropped: list[dict[str, str]] = field(default_factory=list)
    gave_up: bool = False  # the guard rejected sentence after sentence: the piece ended early


@dataclass(frozen=True)
class GuardSettings:
    """How hard the draft fights its model's habits (``[guard]`` in resources/prompts/draft.toml)."""

    enabled: bool = True
    max_tries: int = 3  # re-samples in a row after rejected sentences before a part ends early
    max_drops: int = 10  # rejected sentences per piece, in all
    dry_step: float = 0.4  # each re-sample raises the DRY multiplier by this
    presence_step: float = 0.3  # and the presence penalty by this
    temperature_step: float = 0.1

    @classmethod
    def from_prompts(cls, prompts: PromptSet) -> GuardSettings:
        raw = prompts.limit("guard", {})
        raw = raw if isinstance(raw, dict) else {}
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)


def _escalate(params: GenerationParams, g: GuardSettings, step: int) -> GenerationParams:
    """A re-sample: a new seed and stronger anti-repeat pressure."""
    if step <= 0:
        return params
    return replace(
        params,
        seed=params.seed + 7919 * step if params.seed >= 0 else -1,
        temperature=min(1.3, params.temperature + g.temperature_step * step),
        dry_multiplier=(params.dry_multiplier or 0.0) + g.dry_step * step,
        presence_penalty=params.presence_penalty + g.presence_step * step,
    )


def _next_sentence(raw: str, pos: int, final: bool, take_rest: bool) -> tuple[str, int, bool] | None:
    """The next whole sentence in ``raw`` from ``pos``: (sentence, end, a line end follows it).

    A sentence ends at an end mark (with its closing quotes) or at a line end; at the end of a
    stream (``final``) a sentence may end the text, and with ``take_rest`` (the model ended its
    answer, not the token bound) an unfinished rest counts as one. None while it still grows.
    """
    m = SENTENCE_END.search(raw, pos)
    nl = raw.find("\n", pos)
    if nl >= 0 and (m is None or nl < m.start()):
        return raw[pos:nl], nl + 1, True
    if m is not None and (m.end() < len(raw) or final):
        return raw[pos : m.end()], m.end(), False
    if take_rest and raw[pos:].strip():
        return raw[pos:], len(raw), False
    return None


_BARE_LINE_CHARS = 30
_CLAUSE = re.compile(r"[，。；！？、,;!?…：:]+")


def _bare_line(sentence: str, ends_line: bool, final: bool) -> bool:
    """A line of prose that stops without a sentence end and is short: a heading or a label."""
    return (
        (ends_line or final)
        and not SENTENCE_END.search(sentence[-3:])
        and count_chars(sentence) <= _BARE_LINE_CHARS
    )


@dataclass
class _Attempt:
    """One sampling of the answer: what came back, how far it was judged, and how it ended."""

    raw: str = ""
    pos: int = 0  # where the next sentence of ``raw`` starts
    rejected: bool = False  # a sentence was refused: the answer is sampled again from ``text``
    done: bool = False  # the budget was reached
    reason: FinishReason = FinishReason.STOP
    message: str = ""


class _PieceWriter:
    """One answer to ``messages``, shown a whole sentence at a time: ``run`` yields text events,
    then a _Piece.

    Each sentence is judged by ``guard`` before it is shown. A rejected one is logged in the
    piece's ``dropped`` and the answer is re-sampled from the text accepted so far (the same
    conversation, that text as the unfinished answer: the engine reuses the cached prefix),
    with a new seed and stronger penalties, and barred from opening the way a sentence refused
    at that point did (``ban_first``: a small model re-sampled at the same point otherwise wrote
    the same refused opening four times running). After ``max_tries`` rejections in a row, or
    ``max_drops`` in all, the piece ends early (``gave_up``). The piece ends at the first
    sentence end at or past ``budget`` (in ``measure``'s unit). Nothing shown is taken back;
    on a cancel, the sentence still held back is judged and shown. ``lead``: text already on the
    page that the answer continues (the last message is then that unfinished answer). In
    ``prose``, a short line with no sentence end is a heading or a label, never a paragraph.
    """

    def __init__(
        self,
        engine: Engine,
        messages: list[Message],
        params: GenerationParams,
        cancel: CancelToken,
        *,
        budget: int,
        measure: Callable[[str], int],
        tokens_per_unit: float,
        max_ratio: float,
        guard: SentenceGuard | None,
        settings: GuardSettings,
        prefix: str = "",
        lead: str = "",
        prose: bool = True,
    ) -> None:
        self.engine, self.messages, self.params, self.cancel = engine, messages, params, cancel
        self.budget, self.measure = budget, measure
        self.tokens_per_unit, self.max_ratio = tokens_per_unit, max_ratio
        self.guard, self.settings = guard, settings
        self.prefix, self.lead, self.prose = prefix, lead, prose
        self.text = ""  # what this piece has shown (every accepted sentence holds text)
        self.piece = _Piece()
        self.tries = 0  # rejections in a row
        self.para = False  # a line end came after the last accepted sentence
        self.avoid: list[str] = []  # refused continuations, shown to the DRY sampler on the re-sample
        self.openings: list[str] = []  # sentences refused where the text now ends: not begun again

    def units(self, sentence: str) -> list[str]:
        """What the guard judges: the sentence, or in verse each line it becomes (a small model
        writes prose sentences; each clause becomes a line, and a line repeats as a line)."""
        if self.prose:
            return [sentence]
        return [c.strip() for c in _CLAUSE.split(sentence) if c.strip()] or [sentence]

    def judge(self, sentence: str) -> Verdict | None:
        return self.passing(sentence)[1]

    def passing(self, sentence: str) -> tuple[list[str], Verdict | None, str]:
        """The units of ``sentence`` the guard passes before the first it refuses, why it
        refuses that one, and that unit."""
        if self.guard is None:
            return self.units(sentence), None, ""
        before = self.lead + self.text
        shown: list[str] = []
        for unit in self.units(sentence):
            verdict = self.guard.check(unit, before + "".join(shown))
            if verdict is None and shown and self.guard.near_duplicate_within(unit, shown):
                verdict = Verdict("repeat", unit)
            if verdict is not None:
                return shown, verdict, unit
            shown.append(unit)
        return shown, None, ""

    def accept(self, sentence: str) -> DraftEvent:
        if self.guard is not None:
            for unit in self.units(sentence):
                self.guard.accept(unit)
        if not self.prose:
            sentence = "\n".join(self.units(sentence)[: max(1, self.budget - self.measure(self.text))])
            self.para = True
        head = "" if self.text else self.prefix
        sep = "\n" if self.para and self.text else ""
        self.text += sep + sentence
        self.para = False
        return DraftEvent(DraftKind.TEXT, head + sep + sentence)

    def run(self) -> Iterator[DraftEvent | _Piece]:
        step = 0
        piece = self.piece
        while True:
            a = yield from self._sample(step)
            if a.reason is FinishReason.ERROR:
                raise ModelError(a.message or "模型出错 (the model failed)")
            if a.reason is FinishReason.CANCELLED or self.cancel.cancelled:
                yield from self._held_back(a)
                piece.finish_reason = FinishReason.CANCELLED
                break
            if a.done:
                piece.finish_reason = FinishReason.STOP
                break
            if a.reason is FinishReason.LOOP and not a.rejected:
                # the engine's loop guard fired inside a sentence the guard had not yet seen
                piece.dropped.append({"sentence": a.raw[a.pos :][:80], "reason": "loop", "detail": a.message})
                a.rejected = True
            if not a.rejected:
                piece.finish_reason = a.reason  # the model ended its answer (STOP) or hit the token bound
                break
            self.tries += 1
            step += 1
            if self.tries > self.settings.max_tries or len(piece.dropped) >= self.settings.max_drops:
                piece.gave_up = True
                piece.finish_reason = FinishReason.LOOP
                piece.message = (
                    f"连续 {self.tries} 次写出重复、照抄或不合适的句子 (the model kept repeating itself)"
                )
                break
        piece.text = self.text
        yield piece

    def _sample(self, step: int) -> Generator[DraftEvent, None, _Attempt]:
        """Sample the answer once (penalties by ``step``), showing each sentence the guard passes,
        until one is refused, the budget is reached or the stream ends."""
        room = max(1, self.budget - self.measure(self.text))
        p = replace(
            _escalate(self.params, self.settings, step),
            max_tokens=int(room * self.max_ratio * self.tokens_per_unit) + 16,
            continue_last=bool(self.lead or self.text),
            avoid=self.avoid[-8:],
            ban_first=list(self.openings),
        )
        so_far = self.lead + self.text
        msgs = [*self.messages, Message(role="assistant", content=so_far)] if so_far else self.messages
        a = _Attempt()
        line_start = True
        with opened(self.engine.stream(msgs, p, self.cancel)) as chunks:
            for chunk in chunks:
                final = chunk.done
                if final:
                    assert chunk.finish_reason is not None
                    a.reason, a.message = chunk.finish_reason, chunk.message
                    if a.reason is FinishReason.CANCELLED:
                        break  # the held-back sentence is handled by the caller
                else:
                    a.raw += chunk.text.translate(_LINE_BREAKS)
                while not a.done and not a.rejected:
                    nxt = _next_sentence(a.raw, a.pos, final, final and a.reason is FinishReason.STOP)
                    if nxt is None:
                        break
                    candidate, a.pos, ends_line = nxt
                    yield from self._sentence(a, candidate, ends_line, final, line_start)
                    line_start = ends_line
                if a.done or a.rejected or final:
                    break  # closing the stream cancels the request; the worker is ready for the next
        return a

    def _sentence(
        self, a: _Attempt, candidate: str, ends_line: bool, final: bool, at_start: bool
    ) -> Iterator[DraftEvent]:
        """Judge one sentence of the answer: shown, or the attempt is marked rejected."""
        sentence = ((clean_line(candidate) if at_start else candidate.replace("**", "")) or "").strip()
        if sentence:
            passed, verdict, refused = self.passing(sentence)
            if (
                verdict is None
                and self.prose
                and self.guard is not None
                and _bare_line(sentence, ends_line, final)
            ):
                verdict = Verdict("label", sentence)
            if verdict is not None:
                if passed and not self.prose:
                    # in verse each line is judged as a line: the lines before the refused one are
                    # shown, and the answer is re-sampled from there
                    yield from self._show(a, "，".join(passed))
                    if a.done:
                        return
                    at = candidate.find(refused)
                    sentence = candidate = candidate[at:] if at >= 0 else candidate
                self.piece.dropped.append({"sentence": sentence, **verdict.to_dict()})
                self.avoid.append((self.lead + self.text)[-40:] + candidate)
                self.openings.append(candidate)
                a.rejected = True
                return
            yield from self._show(a, sentence)
        elif candidate.strip() and at_start:
            self.piece.dropped.append({"sentence": candidate.strip(), "reason": "label", "detail": ""})
        if ends_line and self.text:
            self.para = True

    def _show(self, a: _Attempt, sentence: str) -> Iterator[DraftEvent]:
        """Show a sentence the guard passed: the refusals in a row and the barred openings start
        over, and the attempt is done once the budget is met."""
        yield self.accept(sentence)
        self.tries, self.openings = 0, []
        if self.measure(self.text) >= self.budget:
            a.done = True

    def _held_back(self, a: _Attempt) -> Iterator[DraftEvent]:
        """On a cancel, the sentence still held back is judged and shown."""
        rest = clean_prose(a.raw[a.pos :], final=True).replace("\n", "")
        if rest and not a.done:
            verdict = self.judge(rest)
            if verdict is None:
                yield self.accept(rest)
            else:
                self.piece.dropped.append({"sentence": rest, **verdict.to_dict()})


# --------------------------------------------------------------------------------------------
# drafting
# --------------------------------------------------------------------------------------------
def length_measure(unit: str) -> Callable[[str], int]:
    """How a text's length is counted: 字 (Han characters and letters, as a Gaokao grid) or 行 (lines)."""
    if unit == "行":
        return lambda text: sum(1 for line in text.split("\n") if line.strip())
    return count_chars


def _materials_for(parts: list[Part], materials: list[str]) -> list[list[str]]:
    """Each part's own 素材: the items dealt out in turn to the middle parts (openings and endings
    need them least; with two parts or fewer, to all), so no two parts share one."""
    n = len(parts)
    out: list[list[str]] = [[] for _ in parts]
    if not materials:
        return out
    order = list(range(1, n - 1)) or list(range(n))
    for i, item in enumerate(materials):
        out[order[i % len(order)]].append(item)
    return out


def _restating(thought: Thought, query: str, run: int) -> Callable[[str], bool]:
    """Whether a purpose or a 素材 item restates the 审题 or the 立意 (``run`` Han characters in a
    row that the prompt does not hold; the draft prompts' ``restate_run``). Such a line, shown in
    a part's turn, gives the part nothing of its own to say: the demo model writes the 立意 again
    and the copy guard refuses it, part after part. The turns leave it out; the 构思 keeps it (the
    writer's, to edit)."""
    said = han(f"{thought.section_text('requirements')}\n{thought.section_text('intent')}")
    runs = runs_of(said, run) - runs_of(han(query), run)
    return lambda line: bool(runs) and bool(runs_of(han(line), run) & runs)


class _Drafting:
    """One draft's state and steps: the title, each part (with its continuations), the
    extensions of a short draft, and the verdict on its length. Each step is a generator of
    DraftEvents that returns whether the draft was cancelled."""

    def __init__(
        self,
        engine: Engine,
        prompts: PromptSet,
        q: str,
        thought: Thought,
        genre: Genre,
        params: GenerationParams,
        target: int,
        cancel: CancelToken,
        rules: GuardRules | None,
        exemplar_text: str,
    ) -> None:
        self.engine, self.prompts, self.q, self.thought, self.genre = engine, prompts, q, thought, genre
        self.target, self.cancel = target, cancel
        self.unit = unit = genre.unit
        self.measure = length_measure(unit)
        self.min_part = 2 if unit == "行" else 20
        self.parts = plan_parts(thought, genre, target, minimum=self.min_part)
        self.n = len(self.parts)
        self.tokens_per_unit = float(prompts.limit("tokens_per_char", 1.6)) * (
            float(prompts.limit("chars_per_line", 10)) if unit == "行" else 1.0
        )
        self.max_ratio = float(prompts.limit("max_part_ratio", 1.15))
        self.min_ratio = float(prompts.limit("min_part_ratio", 0.7))
        self.tolerance = float(prompts.limit("length_tolerance", 0.15))
        self.settings = GuardSettings.from_prompts(prompts)
        self.params = _sampled(params, prompts)
        sources = [thought.to_markdown(), _instructions(prompts)] + ([exemplar_text] if exemplar_text else [])
        self.guard = _guard(rules, prompts, sources, q, "")
        self.restates = _restating(thought, q, int(prompts.limit("restate_run", 8)))
        self.spare = [m for m in thought.items("materials") if not self.restates(m)]
        self.materials = _materials_for(self.parts, self.spare)
        self.task = prompts.render(
            "task",
            query=q,
            genre=genre.name,
            target=f"{target} {unit}",
            n_parts=self.n,
            intent=thought.section_text("intent") or "（自定）",
            style=thought.section_text("style") or "（自定）",
            form=prompts.render("form_lines") if unit == "行" else "",
        )
        self.conv: list[Message] = [{"role": "system", "content": prompts.render("system")}]
        self.result = DraftResult("", [], target, FinishReason.STOP.value, unit=unit)
        self.so_far = prompts.limit("part_style", "chat") == "so_far"
        self.history = int(prompts.limit("max_context_chars", 4000))

    def user_turn(self, text: str) -> None:
        """The next instruction. In the chat style it extends one conversation (each answer a
        turn); in the so_far style each request is the task, the text so far and the instruction.
        Either way the history is bounded (``max_context_chars``): the oldest turns after the
        first part, or the start of the text so far, give way, so a long draft never overflows
        the model's context."""
        conv = self.conv
        if self.so_far:
            written = self.result.answer[-self.history :]
            block = self.prompts.render("so_far", text=written) if written else ""
            conv[1:] = [{"role": "user", "content": f"{self.task}\n\n{block}{text}"}]
            return
        if len(conv) == 1:
            text = f"{self.task}\n\n{text}"
        conv.append({"role": "user", "content": text})
        while len(conv) > 5 and sum(len(m["content"]) for m in conv[3:]) > self.history:
            del conv[3:5]  # the oldest turn pair after the first part

    def finish(self, reason: str) -> DraftEvent:
        self.result.finish_reason = reason
        return DraftEvent(DraftKind.DONE, result=self.result, total=self.n, index=len(self.result.parts))

    def write(self, budget: int, prefix: str, pr: PartResult) -> Generator[DraftEvent, None, _Piece]:
        piece = yield from _drain(
            _PieceWriter(
                self.engine,
                self.conv,
                self.params,
                self.cancel,
                budget=budget,
                measure=self.measure,
                tokens_per_unit=self.tokens_per_unit,
                max_ratio=self.max_ratio,
                guard=self.guard,
                settings=self.settings,
                prefix=prefix,
                prose=self.unit != "行",
            ).run()
        )
        self.result.dropped += [dict(d, part=str(pr.index)) for d in piece.dropped]
        if piece.gave_up:
            pr.ended_early = True
            msg = f"第{pr.index}部分提前结束：{piece.message}"
            self.result.warnings.append(msg)
            yield DraftEvent(DraftKind.WARNING, msg, index=pr.index, total=self.n)
        if piece.text:
            pr.text = f"{pr.text}\n{piece.text}" if pr.text else piece.text
        pr.finish_reason = piece.finish_reason.value
        if not self.so_far:
            self.answered(piece.text)
        return piece

    def answered(self, text: str) -> None:
        """The answer to the last user turn, into the conversation. An empty answer takes its
        turn back instead: shown two empty answers, the demo model answered every later turn with
        nothing (a 记叙文 of 0 字, tuning set, seed 2), so an empty one is never shown."""
        if text:
            self.conv.append({"role": "assistant", "content": text})
        elif len(self.conv) > 1 and self.conv[-1]["role"] == "user":
            self.conv.pop()

    def title(self, with_title: bool | None) -> Generator[DraftEvent, None, bool]:
        """The prompt's own title (a 命题作文), else one asked of the model where the genre has
        one. Returns True when cancelled."""
        result, guard, prompts = self.result, self.guard, self.prompts
        given = given_title(self.q)
        if given and (with_title is not False):
            result.title = given
            if guard is not None:
                guard.accept(given)
            yield DraftEvent(DraftKind.TEXT, given)
            return False
        if not (with_title if with_title is not None else self.genre.rubric == "gaokao"):
            return False
        self.user_turn(prompts.render("title"))
        p = replace(self.params, max_tokens=int(prompts.limit("title_max_tokens", 32)))
        c = collect(self.engine.stream(self.conv, p, self.cancel))
        if c.finish_reason is FinishReason.ERROR:
            raise ModelError(c.message or "模型出错 (the model failed)")
        if c.finish_reason is FinishReason.CANCELLED or self.cancel.cancelled:
            return True
        result.title = clean_title(c.text)
        if self.so_far:
            del self.conv[1:]
        if guard is not None and result.title:
            if guard.rules.talk(result.title):  # a title may have its own colon: no label rule
                result.title = ""
            guard.accept(result.title)  # a paragraph that restates the title is a repeat
        if not self.so_far:
            self.answered(result.title)
        if result.title:
            yield DraftEvent(DraftKind.TEXT, result.title)
        else:
            result.warnings.append("模型没有给出标题 (no title)")
        return False

    def body(self) -> Generator[DraftEvent, None, bool]:
        """Each part behind the guard, a short one continued; what a part leaves unwritten is
        carried to the next. Returns True when cancelled."""
        prompts, result, n, unit = self.prompts, self.result, self.n, self.unit
        carry = 0  # what earlier parts left unwritten (negative: what they wrote beyond)
        for i, part in enumerate(self.parts, 1):
            budget = max(self.min_part, part.chars + carry)
            sep = "\n" if (result.title or i > 1) else ""
            yield DraftEvent(DraftKind.PROGRESS, f"第{i}/{n}部分：{part.title}", index=i, total=n)
            pr = PartResult(i, part.title, budget)
            result.parts.append(pr)
            where = "last_part" if i == n else ("first_part" if i == 1 else "middle_part")
            items = self.materials[i - 1]
            self.user_turn(
                prompts.render(
                    "part",
                    index=i,
                    n_parts=n,
                    part_title=part.title,
                    part_purpose=(
                        dict(self.genre.part_hints()).get(part.title, part.title)
                        if part.purpose and self.restates(part.purpose)
                        else part.purpose or part.title
                    ),
                    part_size=f"{budget} {unit}",
                    materials=prompts.render("part_materials", materials="；".join(items)) if items else "",
                    position=prompts.render(where),
                )
            )
            piece = yield from self.write(budget, sep, pr)
            if piece.finish_reason is FinishReason.CANCELLED:
                return True
            for _ in range(int(prompts.limit("max_continuations", 2))):
                short = budget - self.measure(pr.text)
                if piece.gave_up or self.measure(pr.text) >= budget * self.min_ratio:
                    break
                pr.extended = True
                self.user_turn(prompts.render("part_more", part_title=part.title, more=f"{short} {unit}"))
                piece = yield from self.write(short, "\n" if (pr.text or sep) else "", pr)
                if piece.finish_reason is FinishReason.CANCELLED:
                    return True
                if not piece.text:
                    break
            carry = budget - self.measure(pr.text)
        return False

    def extend(self) -> Generator[DraftEvent, None, bool]:
        """A draft still short: go on with 素材 not yet used, then with a concrete example.
        Returns True when cancelled."""
        result, target = self.result, self.target
        used = "".join(p.text for p in result.parts)
        spare = [m for m in self.spare if m[:6] not in used]
        for k in range(int(self.prompts.limit("max_extensions", 2))):
            missing = target - self.measure(result.body)
            if not result.parts or missing <= target * self.tolerance * 0.6:
                break
            last = result.parts[-1]
            last.extended = True
            idea = spare[k] if k < len(spare) else self.prompts.render("concrete_example")
            self.user_turn(self.prompts.render("extend", more=f"{missing} {self.unit}", idea=idea))
            piece = yield from self.write(missing, "\n" if result.answer else "", last)
            if piece.finish_reason is FinishReason.CANCELLED:
                return True
            if not piece.text:
                break
        return False

    def verdict(self) -> Iterator[DraftEvent]:
        """The last events: a warning and "short"/"long" outside the tolerance, else stop or loop."""
        got, target, unit = self.measure(self.result.body), self.target, self.unit
        if abs(got - target) > target * self.tolerance:
            long = got > target
            why = (
                "最后一句较长 (a long last sentence)"
                if long
                else ("模型没有写出足够的新内容，重复或照抄的句子不显示 (the model ran out of new sentences)")
            )
            msg = (
                f"篇幅 {got}/{target} {unit}，{'超出' if long else '不足'}目标"
                f" {abs(got - target) * 100 // target}%：{why}"
            )
            self.result.warnings.append(msg)
            yield DraftEvent(DraftKind.WARNING, msg, index=self.n, total=self.n)
            yield self.finish("long" if long else "short")
            return
        yield self.finish(FinishReason.LOOP.value if self.result.looped else FinishReason.STOP.value)


def draft(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    thought: Thought,
    genre: Genre,
    params: GenerationParams,
    *,
    target_chars: int | None = None,
    cancel: CancelToken | None = None,
    with_title: bool | None = None,
    rules: GuardRules | None = None,
    exemplar_text: str = "",
) -> Iterator[DraftEvent]:
    """Write the draft part by part, each part behind the sentence guard (``rules``; None: no guard).

    The task turn carries the prompt, the 立意 and the style, not the plan's wording; each part's
    turn carries its purpose and its own 素材. A part that ends short leaves its remainder to the
    next; a draft still short at the end gets up to ``max_extensions`` continuations with unused
    素材. A draft that ends outside ±``length_tolerance`` says so in ``warnings`` and its
    ``finish_reason`` is "short" or "long", never "stop". ``target_chars`` is in the genre's unit.
    """
    q = check_query(query, prompts)
    unit = genre.unit
    target = target_chars or target_from_query(q, genre) or genre.target_chars
    max_target = int(prompts.limit("max_target_lines" if unit == "行" else "max_target_chars", 6000))
    if target <= 0:
        raise BadInputError("目标字数必须大于 0 (the target length must be positive)")
    if target > max_target:
        raise BadInputError(
            f"目标长度 {target} {unit}太长：一次最多写 {max_target} {unit}，请分章节写"
            f" (target too long: at most {max_target} per draft; write it in chapters)"
        )
    d = _Drafting(
        engine, prompts, q, thought, genre, params, target, cancel or CancelToken(), rules, exemplar_text
    )
    try:
        for step in (d.title(with_title), d.body(), d.extend()):
            if (yield from step):
                yield d.finish(FinishReason.CANCELLED.value)
                return
        yield from d.verdict()
    except CancelledError:
        yield d.finish(FinishReason.CANCELLED.value)


def _drain(gen: Iterator[DraftEvent | _Piece], emit: bool = True) -> Generator[DraftEvent, None, _Piece]:
    piece = _Piece()
    for item in gen:
        if isinstance(item, _Piece):
            piece = item
        elif emit:
            yield item
    return piece


def collect_draft(events: Iterator[DraftEvent]) -> DraftResult:
    for ev in events:
        if ev.kind == "done" and ev.result is not None:
            return ev.result
    raise ModelError("成文没有结果 (the draft ended without a result)")


# --------------------------------------------------------------------------------------------
# continue from the cursor, rewrite a passage
# --------------------------------------------------------------------------------------------
def continue_text(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    thought: Thought,
    genre: Genre,
    before: str,
    params: GenerationParams,
    *,
    chars: int = 200,
    cancel: CancelToken | None = None,
    rules: GuardRules | None = None,
) -> Iterator[DraftEvent]:
    """Write on from ``before`` (the text up to the cursor), about ``chars`` characters, behind
    the same sentence guard as the draft (seeded with ``before``)."""
    q = check_query(query, prompts)
    if chars <= 0:
        raise BadInputError("续写字数必须大于 0 (the length must be positive)")
    cancel = cancel or CancelToken()
    task = prompts.render(
        "task",
        query=q,
        genre=genre.name,
        target=f"{genre.target_chars} {genre.unit}",
        n_parts=len(thought.parts()) or 1,
        intent=thought.section_text("intent") or "（自定）",
        style=thought.section_text("style") or "（自定）",
        form=prompts.render("form_lines") if genre.unit == "行" else "",
    )
    messages: list[Message] = [
        {"role": "system", "content": prompts.render("system")},
        {"role": "user", "content": prompts.render("continue_user", task=task, chars=chars)},
    ]
    guard = _guard(rules, prompts, [thought.to_markdown()], q, before)
    max_ratio = float(prompts.limit("max_part_ratio", 1.15))
    yield from _one_piece(
        engine,
        messages,
        params,
        prompts,
        cancel,
        "续写",
        chars,
        max_ratio,
        guard,
        before if before.strip() else "",
    )


def _one_piece(
    engine: Engine,
    messages: list[Message],
    params: GenerationParams,
    prompts: PromptSet,
    cancel: CancelToken,
    title: str,
    budget: int,
    max_ratio: float,
    guard: SentenceGuard | None,
    lead: str = "",
) -> Iterator[DraftEvent]:
    """A one-piece request (continue, rewrite) behind the guard, then its ``done`` event."""
    piece = yield from _drain(
        _PieceWriter(
            engine,
            messages,
            _sampled(params, prompts),
            cancel,
            budget=budget,
            measure=count_chars,
            tokens_per_unit=float(prompts.limit("tokens_per_char", 1.6)),
            max_ratio=max_ratio,
            guard=guard,
            settings=GuardSettings.from_prompts(prompts),
            lead=lead,
        ).run()
    )
    yield _single_piece_done(piece, title, budget)


_PLACEHOLDER = re.compile(r"\$\{\w+\}")


def _instructions(prompts: PromptSet) -> str:
    """The draft's own instruction texts: a sentence that copies them is not prose."""
    keys = (
        "part",
        "part_materials",
        "part_more",
        "extend",
        "concrete_example",
        "first_part",
        "middle_part",
        "last_part",
    )
    return "\n".join(_PLACEHOLDER.sub("\n", prompts.templates.get(k, "")) for k in keys)


def _sampled(params: GenerationParams, prompts: PromptSet) -> GenerationParams:
    """``params`` with the draft's ``[limits.sampling]`` (DRY, penalties) applied."""
    sampling = prompts.limit("sampling", {})
    fields = GenerationParams.__dataclass_fields__
    return replace(params, **{k: v for k, v in sampling.items() if k in fields})


def _guard(
    rules: GuardRules | None, prompts: PromptSet, sources: list[str], query: str, seen: str
) -> SentenceGuard | None:
    """The sentence guard for one request: copying ``sources`` (beyond ``query``) and repeating
    ``seen`` (the text already on the page) are refused. None where guards are off."""
    if rules is None or not GuardSettings.from_prompts(prompts).enabled:
        return None
    guard = SentenceGuard(
        rules, CopySource(sources, query, rules.copy_run, rules.whole_min_han) if sources else None
    )
    guard.seed(seen)
    return guard


def _single_piece_done(piece: _Piece, title: str, budget: int) -> DraftEvent:
    """The final event of a one-piece request (continue, rewrite): cancelled, or complete."""
    cancelled = piece.finish_reason is FinishReason.CANCELLED
    reason = (FinishReason.CANCELLED if cancelled else FinishReason.STOP).value
    result = DraftResult("", [PartResult(1, title, budget, reason, text=piece.text)], budget, reason)
    return DraftEvent(DraftKind.DONE, result=result, index=1, total=1)


_N_CHARS = re.compile(r"(\d+)\s*字")


def rewrite_passage(
    engine: Engine,
    prompts: PromptSet,
    passage: str,
    instruction: str,
    params: GenerationParams,
    *,
    before: str = "",
    after: str = "",
    cancel: CancelToken | None = None,
    rules: GuardRules | None = None,
) -> Iterator[DraftEvent]:
    """Rewrite ``passage`` as ``instruction`` asks ("更生动", "压缩到100字"); context around it helps."""
    if not passage.strip():
        raise BadInputError("没有选中要改写的文字 (nothing selected to rewrite)")
    if not instruction.strip():
        raise BadInputError("改写要求为空 (the instruction is empty)")
    cancel = cancel or CancelToken()
    m = _N_CHARS.search(instruction)
    budget = int(m.group(1)) if m else count_chars(passage)
    budget = max(10, budget)
    messages: list[Message] = [
        {"role": "system", "content": prompts.render("system")},
        {
            "role": "user",
            "content": prompts.render(
                "rewrite_user",
                before=before[-400:],
                after=after[:200],
                passage=passage.strip(),
                instruction=instruction.strip(),
            ),
        },
    ]
    max_ratio = float(prompts.limit("max_part_ratio", 1.15))
    # without an explicit length the rewrite may grow ("更生动"), so allow half again as much
    ratio = max_ratio if m else 1.5
    guard = _guard(rules, prompts, [], "", f"{before[-400:]}\n{after[:200]}")
    yield from _one_piece(engine, messages, params, prompts, cancel, "改写", budget, ratio, guard)
