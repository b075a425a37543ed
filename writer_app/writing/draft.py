"""成文: the draft follows the Thought part by part, each part held to its length budget.

One conversation carries the whole draft: the task and the Thought, then a user turn per part,
so each request reuses the prefix processed by the one before. A part stops at the first
sentence end after its budget (the app cuts it, so even a small model lands near the target);
a part that stops well short gets one continuation; a part that loops is retried once with a
stronger repeat penalty, then kept as it is and reported.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from writer_app.domain import Genre, Part, Thought, scale_budgets
from writer_app.errors import BadInputError, CancelledError, ModelError
from writer_app.llm.engine import CancelToken, Engine, FinishReason, GenerationParams, Message
from writer_app.writing.outline import check_query
from writer_app.writing.prompts import PromptSet
from writer_app.writing.rubric import count_chars

_SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』）)\"]*")
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
    extended: bool = False  # stopped short and got one continuation
    loop_retried: bool = False
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
    finish_reason: str
    warnings: list[str] = field(default_factory=list)

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "parts": [p.to_dict() for p in self.parts],
            "chars": self.chars,
            "finish_reason": self.finish_reason,
            "title": self.title,
            "target_chars": self.target_chars,
            "warnings": self.warnings,
        }


@dataclass
class DraftEvent:
    """``progress`` (a part starts: "第2/5部分"), ``text``, ``restart`` (discard the text shown since
    the last ``progress``: the part is written again after a loop), ``warning``, and one final
    ``done`` carrying the result, whose ``answer`` is the authoritative text."""

    kind: str
    text: str = ""
    index: int = 0
    total: int = 0
    result: DraftResult | None = None


# --------------------------------------------------------------------------------------------
# planning and text helpers
# --------------------------------------------------------------------------------------------
def plan_parts(thought: Thought, genre: Genre, target_chars: int) -> list[Part]:
    """The Thought's parts with budgets that add up to ``target_chars``; the genre's plan if it has none."""
    parts = thought.parts() or [Part(title=h, purpose=h) for h in genre.structure] or [Part("正文", "")]
    given = [p.chars for p in parts]
    known = [g for g in given if g > 0]
    fill = (sum(known) / len(known)) if known else 1.0
    weights = [g if g > 0 else fill for g in given]
    budgets = scale_budgets(weights, target_chars, 20)
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


def clean_title(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(?:标题|题目|Title)\s*[：:]\s*", "", line, flags=re.I)
    return line.strip().strip("#*《》“”\"'「」【】[] ").strip()[:30]


MIN_REPEAT_CHARS = 8


def drop_repeats(text: str, earlier: set[str], complete: bool) -> tuple[str, bool]:
    """``text`` up to the first paragraph that repeats an earlier one (``earlier`` or above it).

    Returns (kept text, whether a repeat was found). When the last line is still growing
    (``complete`` False) and could become a repeat, it is left out for now.
    """
    lines = text.split("\n")
    seen = set(earlier)
    kept: list[str] = []
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        key = line.strip()
        if last and not complete:
            if key and any(e.startswith(key) for e in seen if len(e) >= MIN_REPEAT_CHARS):
                break  # might be a repeat: wait
            kept.append(line)
            break
        if len(key) >= MIN_REPEAT_CHARS and key in seen:
            return "\n".join(kept), True
        seen.add(key)
        kept.append(line)
    return "\n".join(kept), False


def sentence_cut(text: str, budget: int, max_ratio: float, final: bool) -> int | None:
    """Where to end a part: the first sentence end at or after ``budget`` characters.

    While streaming (``final`` False) returns None to keep going. Past ``budget * max_ratio``
    it falls back to the last sentence end past 70 % of the budget; with none, it waits for a
    sentence end up to twice the budget, then cuts at the last clause mark. When the stream has
    ended, the text is kept up to its last sentence end past 70 % of the budget (an unfinished
    sentence cut off by the token limit goes), or whole.
    """
    seen = 0
    last_ok: int | None = None
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        seen += count_chars(text[pos : m.end()])
        pos = m.end()
        if seen >= budget:
            return m.end()
        if seen >= 0.7 * budget:
            last_ok = m.end()
    chars = count_chars(text)
    if final:
        return last_ok if last_ok is not None else len(text)
    if chars > budget * max_ratio and last_ok is not None:
        return last_ok
    if chars > 2 * budget:
        clause = max(text.rfind(c) for c in "，；、,;")
        return clause + 1 if clause > 0 else len(text)
    return None


def _emit_upto(text: str, budget: int) -> int:
    """How much of a growing part can be shown already without ever being taken back: the
    first 70 % of the budget, and beyond that whole sentences (every later cut is at or after
    the last sentence end)."""
    safe = int(0.7 * budget)
    seen = 0
    upto = 0
    for i, ch in enumerate(text):
        if not ch.isspace():
            seen += 1
            if seen > safe:
                break
        upto = i + 1
    last_end = max((m.end() for m in _SENTENCE_END.finditer(text)), default=0)
    return max(upto, last_end)


# --------------------------------------------------------------------------------------------
# one streamed piece of text held to a budget
# --------------------------------------------------------------------------------------------
@dataclass
class _Piece:
    text: str = ""
    finish_reason: FinishReason = FinishReason.STOP
    message: str = ""


def _stream_budgeted(
    engine: Engine,
    messages: list[Message],
    params: GenerationParams,
    cancel: CancelToken,
    budget: int,
    max_ratio: float,
    clean: bool = True,
    prefix: str = "",
    earlier: set[str] | None = None,
) -> Iterator[DraftEvent | _Piece]:
    """Stream one request; yields text events, then one _Piece with the kept text.

    ``prefix`` (a paragraph break) goes out with the first text, so nothing shows for an empty answer.
    ``earlier``: paragraphs already written; a paragraph that repeats one of them ends the piece
    before it (a line that could still turn into a repeat is held back, so nothing is taken back).
    """
    earlier = earlier if earlier is not None else set()
    repeated = False
    raw = ""
    shown = 0
    reason = FinishReason.STOP
    message = ""
    cut: int | None = None
    with closing(engine.stream(messages, params, cancel)) as chunks:
        for chunk in chunks:
            if chunk.done:
                assert chunk.finish_reason is not None
                reason, message = chunk.finish_reason, chunk.message
                break
            raw += chunk.text.translate(_LINE_BREAKS)
            text = clean_prose(raw, final=False) if clean else raw
            if clean:
                text, repeated = drop_repeats(text, earlier, complete=raw.endswith("\n"))
            cut = sentence_cut(text, budget, max_ratio, final=False)
            if repeated and cut is None:
                cut = len(text)
            upto = cut if cut is not None else _emit_upto(text, budget)
            if upto > shown:
                yield DraftEvent("text", (prefix if not shown else "") + text[shown:upto])
                shown = upto
            if cut is not None:
                break  # closing the stream cancels the request; the worker is ready for the next
    text = clean_prose(raw, final=True) if clean else raw
    if clean:
        text, _ = drop_repeats(text, earlier, complete=True)
    if reason is FinishReason.ERROR:
        raise ModelError(message or "模型出错 (the model failed)")
    if cut is None:
        cut = (
            len(text)
            if reason is FinishReason.CANCELLED
            else sentence_cut(text, budget, max_ratio, final=True)
        )
    kept = text[: max(cut or 0, shown)].rstrip()
    if len(kept) > shown:
        yield DraftEvent("text", (prefix if not shown else "") + kept[shown:])
    yield _Piece(kept, reason, message)


# --------------------------------------------------------------------------------------------
# drafting
# --------------------------------------------------------------------------------------------
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
) -> Iterator[DraftEvent]:
    q = check_query(query, prompts)
    target = target_chars or genre.target_chars
    if target <= 0:
        raise BadInputError("目标字数必须大于 0 (the target length must be positive)")
    cancel = cancel or CancelToken()
    parts = plan_parts(thought, genre, target)
    n = len(parts)
    tokens_per_char = float(prompts.limit("tokens_per_char", 1.6))
    max_ratio = float(prompts.limit("max_part_ratio", 1.15))
    min_ratio = float(prompts.limit("min_part_ratio", 0.7))
    task = prompts.render(
        "task",
        query=q,
        genre=genre.name,
        target_chars=target,
        n_parts=n,
        thought=thought.to_markdown().strip() or "（无）",
    )
    conv: list[Message] = [{"role": "system", "content": prompts.render("system")}]
    result = DraftResult("", [], target, FinishReason.STOP.value)

    def user_turn(text: str) -> None:
        if len(conv) == 1:
            text = f"{task}\n\n{text}"
        conv.append({"role": "user", "content": text})

    def finish(reason: str) -> DraftEvent:
        result.finish_reason = reason
        return DraftEvent("done", result=result, total=n, index=len(result.parts))

    try:
        if with_title if with_title is not None else genre.rubric == "gaokao":
            user_turn(prompts.render("title"))
            p = replace(params, max_tokens=int(prompts.limit("title_max_tokens", 32)), stop=["\n"])
            piece = yield from _drain(_stream_budgeted(engine, conv, p, cancel, 30, 1.0, clean=False), False)
            if piece.finish_reason is FinishReason.CANCELLED:
                return (yield finish(FinishReason.CANCELLED.value))
            result.title = clean_title(piece.text)
            conv.append({"role": "assistant", "content": result.title})
            if result.title:
                yield DraftEvent("text", result.title)
            else:
                result.warnings.append("模型没有给出标题 (no title)")

        for i, part in enumerate(parts, 1):
            sep = "\n" if (result.title or i > 1) else ""
            if sep:
                yield DraftEvent("text", sep)
            yield DraftEvent("progress", f"第{i}/{n}部分：{part.title}", index=i, total=n)
            pr = PartResult(i, part.title, part.chars)
            result.parts.append(pr)
            user_turn(
                prompts.render(
                    "part",
                    index=i,
                    n_parts=n,
                    part_title=part.title,
                    part_purpose=part.purpose or part.title,
                    part_chars=part.chars,
                )
            )
            p = replace(params, max_tokens=int(part.chars * max_ratio * tokens_per_char) + 16)
            earlier = {ln.strip() for q in result.parts for ln in q.text.split("\n") if ln.strip()}
            piece = yield from _drain(
                _stream_budgeted(engine, conv, p, cancel, part.chars, max_ratio, earlier=earlier)
            )
            if piece.finish_reason is FinishReason.LOOP and not cancel.cancelled:
                pr.loop_retried = True
                yield DraftEvent(
                    "restart", f"第{i}部分出现重复，加大重复惩罚重写 (loop; retrying)", index=i, total=n
                )
                stronger = replace(
                    p,
                    repeat_penalty=max(
                        float(prompts.limit("loop_retry_penalty", 1.3)), params.repeat_penalty + 0.2
                    ),
                    temperature=params.temperature + 0.1,
                    seed=params.seed + 7919 if params.seed >= 0 else -1,
                )
                piece = yield from _drain(
                    _stream_budgeted(engine, conv, stronger, cancel, part.chars, max_ratio, earlier=earlier)
                )
                if piece.finish_reason is FinishReason.LOOP:
                    msg = f"第{i}部分重写后仍有重复：{piece.message} (part {i} still loops)"
                    result.warnings.append(msg)
                    yield DraftEvent("warning", msg, index=i, total=n)
            pr.text, pr.finish_reason = piece.text, piece.finish_reason.value
            conv.append({"role": "assistant", "content": piece.text})
            if piece.finish_reason is FinishReason.CANCELLED:
                return (yield finish(FinishReason.CANCELLED.value))
            more = piece
            for _ in range(int(prompts.limit("max_continuations", 2))):
                short = part.chars - count_chars(pr.text)
                if (
                    more.finish_reason is not FinishReason.STOP
                    or count_chars(pr.text) >= part.chars * min_ratio
                ):
                    break
                pr.extended = True
                user_turn(prompts.render("part_more", part_title=part.title, more_chars=short))
                p_more = replace(
                    p,
                    max_tokens=int(short * max_ratio * tokens_per_char) + 16,
                    # the model stopped or repeated itself: push it to new words
                    repeat_penalty=max(p.repeat_penalty, float(prompts.limit("continuation_penalty", 1.2))),
                    temperature=p.temperature + 0.1,
                )
                earlier |= {ln.strip() for ln in pr.text.split("\n") if ln.strip()}
                more = yield from _drain(
                    _stream_budgeted(
                        engine,
                        conv,
                        p_more,
                        cancel,
                        short,
                        max_ratio,
                        prefix="\n" if pr.text else "",
                        earlier=earlier,
                    )
                )
                conv.append({"role": "assistant", "content": more.text})
                if more.text:
                    pr.text = f"{pr.text}\n{more.text}" if pr.text else more.text
                if more.finish_reason is FinishReason.CANCELLED:
                    return (yield finish(FinishReason.CANCELLED.value))
                if not more.text:
                    break
        loops = any("still loops" in w for w in result.warnings)
        yield finish(FinishReason.LOOP.value if loops else FinishReason.STOP.value)
    except CancelledError:
        yield finish(FinishReason.CANCELLED.value)


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
) -> Iterator[DraftEvent]:
    """Write on from ``before`` (the text up to the cursor), about ``chars`` characters."""
    q = check_query(query, prompts)
    if chars <= 0:
        raise BadInputError("续写字数必须大于 0 (the length must be positive)")
    cancel = cancel or CancelToken()
    task = prompts.render(
        "task",
        query=q,
        genre=genre.name,
        target_chars=genre.target_chars,
        n_parts=len(thought.parts()) or 1,
        thought=thought.to_markdown().strip() or "（无）",
    )
    messages: list[Message] = [
        {"role": "system", "content": prompts.render("system")},
        {"role": "user", "content": prompts.render("continue_user", task=task, chars=chars)},
    ]
    if before.strip():
        messages.append({"role": "assistant", "content": before})
    max_ratio = float(prompts.limit("max_part_ratio", 1.15))
    p = replace(
        params,
        max_tokens=int(chars * max_ratio * float(prompts.limit("tokens_per_char", 1.6))) + 16,
        continue_last=bool(before.strip()),
    )
    earlier = {ln.strip() for ln in before.split("\n") if ln.strip()}
    piece = yield from _drain(
        _stream_budgeted(engine, messages, p, cancel, chars, max_ratio, earlier=earlier)
    )
    yield _single_piece_done(piece, "续写", chars)


def _single_piece_done(piece: _Piece, title: str, budget: int) -> DraftEvent:
    """The final event of a one-piece request (continue, rewrite): cancelled, or complete."""
    cancelled = piece.finish_reason is FinishReason.CANCELLED
    reason = (FinishReason.CANCELLED if cancelled else FinishReason.STOP).value
    result = DraftResult("", [PartResult(1, title, budget, reason, text=piece.text)], budget, reason)
    return DraftEvent("done", result=result, index=1, total=1)


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
    p = replace(params, max_tokens=int(budget * ratio * float(prompts.limit("tokens_per_char", 1.6))) + 16)
    piece = yield from _drain(_stream_budgeted(engine, messages, p, cancel, budget, ratio))
    yield _single_piece_done(piece, "改写", budget)
