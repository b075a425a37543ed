"""构思: the plan, asked one section at a time and streamed into its box, then checked and mended.

One conversation asks one short question per section (审题, 立意, 结构, 素材, 风格, 自查); each
answer streams into its section box as it is written, so the writer sees the first section
start within seconds instead of a blank form for half a minute, and each later question
reuses the cached prefix. Asked for the whole 构思 in one answer, the demo model copied the
format's hint lines as its headings and lost sections; schema-constrained JSON cut items
mid-word at its string bounds and leaked its keys. The JSON form stays as ``format = "json"``
for the quality bench's comparison.

A finished 构思 is checked (:func:`thought_issues`, one definition for the app and the bench):
审题 items that are fragments of the prompt, parts whose purposes repeat each other, items cut
mid-phrase, 素材 that name nothing, missing sections, and a 结构 too broken to follow. Bad
items are dropped, at most ``reasks`` sections are asked again, and a 结构 still unusable is
replaced by the genre's, with a notice. The app, not the model, sets the parts' budgets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from writer_app.domain import (
    LIST_SECTIONS,
    SECTION_TITLES,
    SECTIONS,
    Exemplar,
    Genre,
    Part,
    Thought,
    scale_budgets,
    target_from_query,
    thought_schema,
)
from writer_app.errors import BadInputError, CancelledError, ModelError
from writer_app.llm.engine import CancelToken, Engine, FinishReason, GenerationParams, Message, opened
from writer_app.writing.guards import GuardRules, bigrams, han, han_count, jaccard, runs_of
from writer_app.writing.prompts import PromptSet
from writer_app.writing.structured import generate_json


def check_query(query: str, prompts: PromptSet) -> str:
    q = query.strip()
    if not q:
        raise BadInputError("题目为空 (the prompt is empty)")
    limit = int(prompts.limit("max_query_chars", 4000))
    if len(q) > limit:
        raise BadInputError(
            f"题目太长：{len(q)} 字，最多 {limit} 字，请只保留题目和必要的材料 (prompt too long: {len(q)} > {limit} characters)"
        )
    return q


def _genre_vars(genre: Genre, target: int) -> dict[str, object]:
    return {
        "genre": genre.name,
        "genre_description": genre.description or genre.name,
        "target": f"{target} {genre.unit}",
        "unit": genre.unit,
        "structure_hints": "；".join(genre.structure) or "自行安排",
    }


def _target(query: str, genre: Genre, target_chars: int | None) -> int:
    return target_chars or target_from_query(query, genre) or genre.target_chars


def outline_messages(
    prompts: PromptSet,
    query: str,
    genre: Genre,
    target_chars: int,
    exemplar: Exemplar | None = None,
    template: str = "user",
) -> list[Message]:
    ex = ""
    if exemplar is not None:
        limit = int(prompts.limit("exemplar_thought_chars", 600))
        thought = exemplar.thought.strip()
        if len(thought) > limit:
            thought = thought[:limit] + "……"
        ex = prompts.render("exemplar", exemplar_query=exemplar.query.strip(), exemplar_thought=thought)
    user = prompts.render(template, query=query, exemplar=ex, **_genre_vars(genre, target_chars))
    return [{"role": "system", "content": prompts.render("system")}, {"role": "user", "content": user}]


class OutlineKind(StrEnum):
    """What an :class:`OutlineEvent` carries (a StrEnum: equal to its plain string)."""

    SECTION = "section"  # a section's text so far: ``key``, ``text``
    NOTICE = "notice"  # a one-line note: items dropped, a section asked again, the genre's structure
    THINKING = "thinking"  # what a thinking model thought before the 构思 so far (``text``)
    DONE = "done"  # the last event, carrying the Thought


@dataclass
class OutlineEvent:
    """``section`` (a section's text so far: ``key``, ``text``), ``notice`` (a one-line note:
    items dropped, a section asked again, the genre's structure used), ``thinking`` (先想后写:
    the model's thinking so far, never part of the 构思) and one final ``done``."""

    kind: OutlineKind
    key: str = ""
    text: str = ""
    thought: Thought | None = None


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
_CUT_END = re.compile(r"(?:[的和与及或、，,：:；;（(“‘《\-—]|（约\d*|约\d*)$")
_LABELS = {"标题", "题目", "title", "开头结尾", "正文"}


def is_cut(item: str) -> bool:
    """An item that stops mid-phrase: on a particle, a conjunction or an open mark."""
    return bool(_CUT_END.search(item.strip()))


def is_prompt_fragment(item: str, query: str) -> bool:
    """An item that is a piece of the prompt, not an analysis of it: its Han text stands in the
    prompt, or 80 % of it lies in 6-character runs of the prompt."""
    h = han(item)
    if len(h) < 4:
        return False
    hq = han(query)
    if h in hq:
        return True
    runs = runs_of(hq, 6)
    covered = [False] * len(h)
    for i in range(len(h) - 5):
        if h[i : i + 6] in runs:
            for k in range(i, i + 6):
                covered[k] = True
    return sum(covered) >= 0.8 * len(h)


def duplicate_purposes(parts: list[Part], rules: GuardRules) -> list[str]:
    """Purposes that repeat an earlier part's (bigram Jaccard at the guard's threshold)."""
    out = []
    seen: list[frozenset[str]] = []
    for p in parts:
        g = bigrams(p.purpose or p.title)
        if any(jaccard(g, e) >= rules.jaccard for e in seen):
            out.append(p.purpose or p.title)
        seen.append(g)
    return out


def structure_problem(parts: list[Part], target: int) -> str:
    """Why a 结构 cannot be followed ("" when it can)."""
    if len(parts) < 2:
        return "少于两部分 (fewer than two parts)"
    if any(p.title.strip().lower() in _LABELS for p in parts):
        return "有一部分是标题 (a part is the title)"
    if sum(1 for p in parts if not p.purpose.strip()) > len(parts) // 2:
        return "多数部分没有写要做什么 (most parts have no purpose)"
    total = sum(p.chars for p in parts) or target
    if len(parts) >= 3 and any(p.chars > 0.6 * total for p in parts):
        return "一部分占了过半篇幅 (one part takes most of the length)"
    return ""


@dataclass
class ThoughtIssues:
    fragments: list[str] = field(default_factory=list)  # 审题 items that are pieces of the prompt
    duplicate_purposes: list[str] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # items stopped mid-phrase
    generic: list[str] = field(default_factory=list)  # 素材 that name nothing
    missing: list[str] = field(default_factory=list)  # empty sections
    structure: str = ""  # why the 结构 cannot be followed

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def thought_issues(thought: Thought, query: str, rules: GuardRules, target: int) -> ThoughtIssues:
    parts = thought.parts()
    items = [
        *thought.items("requirements"),
        *thought.items("materials"),
        *thought.items("self_check"),
        *(p.purpose for p in parts),
        thought.section_text("intent"),
        thought.section_text("style"),
    ]
    return ThoughtIssues(
        fragments=[i for i in thought.items("requirements") if is_prompt_fragment(i, query)],
        duplicate_purposes=duplicate_purposes(parts, rules),
        cut=[i for i in items if i and is_cut(i)],
        generic=[i for i in thought.items("materials") if rules.is_generic(i)],
        missing=thought.missing_sections(),
        structure=structure_problem(parts, target) if parts else "",
    )


# --------------------------------------------------------------------------------------------
# answers → sections
# --------------------------------------------------------------------------------------------
_LIST_LEAD = re.compile(
    r"^\s*(?:[-*+•]\s*|\d+\s*[.、)）．]\s*|[（(]\d+[）)]\s*|[一二三四五六七八九十]+\s*[、.．]\s*|序号\s*[.．、:：]?\s*)"
)
_ANSWER_HEADING = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*(?:第[一二三四五六七八九十\d]+步[，,、：:]?\s*)?"
    r"(?:审题|立意|结构|素材|风格|自查)\s*(?:\*\*)?\s*[：:]?\s*(?:\*\*)?\s*"
)
_BUDGET = re.compile(r"[（(]\s*约?\s*\d+\s*[字行]\s*[）)]")
_SENTENCES = re.compile(r"[^。！？；;]+[。！？；;]?")


def _answer_lines(text: str) -> list[str]:
    """The answer's lines without a leading section label, list marks or bold marks."""
    out = []
    for line in text.replace("**", "").split("\n"):
        line = _ANSWER_HEADING.sub("", line, count=1) if _ANSWER_HEADING.match(line) else line
        while (bare := _LIST_LEAD.sub("", line, count=1)) != line:
            line = bare  # "- - 《那个夜晚》"
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def parse_answer(key: str, text: str, unit: str = "字", hints: list[tuple[str, str]] | None = None) -> str:
    """One section's Markdown from the model's answer to its question (may be a partial answer).
    With ``hints`` (the genre's parts), the 结构 answer's lines are those parts' purposes, in order."""
    lines = _answer_lines(text)
    if key in LIST_SECTIONS:
        if len(lines) == 1:  # one line holding several sentences: one item each
            lines = [m.group(0).strip() for m in _SENTENCES.finditer(lines[0]) if han_count(m.group(0)) >= 4]
        return Thought.render_section(key, lines)
    if key == "structure":
        parts = []
        for line in lines:
            m = re.match(r"^([^：:]{1,20})[：:]\s*(.*)$", line)
            title, purpose = (m.group(1), m.group(2)) if m else (line[:10], line)
            parts.append(Part(_BUDGET.sub("", title).strip(" 。"), purpose.strip()))
        if hints:
            parts = [Part(t, p.purpose) for (t, _h), p in zip(hints, parts, strict=False)]
        return Thought.render_section("structure", parts, unit=unit)
    return " ".join(lines)


# --------------------------------------------------------------------------------------------
# mending
# --------------------------------------------------------------------------------------------
_SENTENCE_STOP = re.compile(r"^(.*[。！？；;])")
_STEP_LABEL = re.compile(r"^\s*第[一二三四五六七八九十\d]{1,3}(?:部分|步|部)")
_SENTENCES_IN = re.compile(r"[^。！？!?]+[。！？!?]?[”’」』]?")
_MAX_ITEMS = {"requirements": 4, "materials": 4, "self_check": 3}
# an answer that frames itself ("问题：", "答案：") or echoes the question's words ("部分名：")
_QA_LABEL = re.compile(r"^\s*(?:问题|答案|回答|题意|这部分名|部分名|首先，审题)\s*[：:。，]")
_ITEM_CHARS = 60


def _first_sentence(item: str) -> str:
    """An item as one sentence: a rambling item keeps its first sentence (if that is long enough)."""
    if len(item) <= _ITEM_CHARS:
        return item
    first = next(iter(_SENTENCES_IN.findall(item)), item)
    return first if han_count(first) >= 4 else item[:_ITEM_CHARS]


def _trim_cut(item: str) -> str:
    """A cut item trimmed back to its last sentence or clause end ("" when none is left)."""
    m = _SENTENCE_STOP.match(item)
    if m and han_count(m.group(1)) >= 4:
        return m.group(1)
    return ""


def _echoes(item: str, format_runs: set[str]) -> bool:
    """Whether ``item`` copies the questions: 6 Han characters in a row, or 8 characters of text
    (an echo made mostly of marks and digits, "写 2 到 3 条，每条以“- ”开头")."""
    h = han(item)
    if len(h) >= 6 and any(h[i : i + 6] in format_runs for i in range(len(h) - 5)):
        return True
    t = "".join(item.split())
    return any(("\x00" + t[i : i + 8]) in format_runs for i in range(len(t) - 7))


def _echo_runs(questions: str) -> set[str]:
    return runs_of(han(questions), 6) | {"\x00" + r for r in runs_of(questions, 8)}


def mend_section(
    key: str,
    body: str,
    query: str,
    rules: GuardRules,
    questions: str = "",
    hints: list[tuple[str, str]] | None = None,
) -> tuple[str, int, str]:
    """One section with its unusable items dropped: (text, items dropped, why it is still unusable).

    Dropped: items cut mid-phrase (trimmed back to a sentence end where one is left), items that
    are fragments of the prompt, 素材 that name nothing, items that copy the questions, talk like
    an assistant or carry a question-and-answer label, and items that repeat an earlier one. With
    ``hints`` (the genre's parts), a 结构 purpose that is missing or unusable becomes the part's
    hint. The reason is "" when the section can stand.
    """
    fruns = _echo_runs(questions) if questions else set()
    if key in LIST_SECTIONS:
        items = Thought.from_markdown(f"## {SECTION_TITLES[key]}\n{body}\n").items(key)
        kept: list[str] = []
        seen: list[frozenset[str]] = []
        for item in items:
            item = _first_sentence(item) if not is_cut(item) else _trim_cut(item)
            bad = (
                not item
                or _echoes(item, fruns)
                or bool(rules.talk(item) or _STEP_LABEL.match(item) or _QA_LABEL.match(item))
                or is_prompt_fragment(item, query)
                or (key == "materials" and rules.is_generic(item))
            )
            g = bigrams(item)
            if bad or any(jaccard(g, e) >= rules.jaccard for e in seen):
                continue
            seen.append(g)
            kept.append(item)
        kept = kept[: _MAX_ITEMS[key]]
        need = 2 if key == "materials" else 1
        problem = "" if len(kept) >= need else f"problem_{key}"
        return Thought.render_section(key, kept), len(items) - len(kept), problem
    if key == "structure":
        given = Thought.from_markdown(f"## 结构\n{body}\n").parts()
        parts: list[Part] = []
        dropped = 0
        for p in given:
            if is_cut(p.purpose):
                p.purpose = _trim_cut(p.purpose) or p.purpose
            p.purpose = _first_sentence(p.purpose)
            # the question lists the parts' titles: only the purpose can echo it
            usable = han_count(p.purpose) >= 4 and not (
                rules.talk(f"{p.title}：{p.purpose}")
                or _echoes(p.purpose, fruns)
                or _QA_LABEL.match(p.purpose)
            )
            if usable and not any(
                jaccard(bigrams(p.purpose), bigrams(q.purpose)) >= rules.jaccard for q in parts
            ):
                parts.append(p)
            elif hints:
                parts.append(Part(p.title, ""))  # filled from the hint below
                dropped += 1
            else:
                dropped += 1
        if hints:
            by_title = {t: h for t, h in hints}
            parts = [Part(t, q.purpose) for (t, _h), q in zip(hints, parts, strict=False)]
            parts += [Part(t, "") for t, _h in hints[len(parts) :]]
            for q in parts:
                q.purpose = q.purpose or by_title.get(q.title, q.title)
        parts = parts[:6]
        bad = len(parts) < 3 or bool(structure_problem(parts, 0)) or bool(duplicate_purposes(parts, rules))
        return Thought.render_section("structure", parts), dropped, "problem_structure" if bad else ""
    text = " ".join(_SENTENCES_IN.findall(body.strip())[:2]).strip() or body.strip()
    if text and is_cut(text):
        text = _trim_cut(text) or text
    if text and (
        _echoes(text, fruns) or rules.talk(text) or (key == "intent" and is_prompt_fragment(text, query))
    ):
        return "", 1, f"problem_{key}"
    return text, 0, "" if han_count(text) >= 4 else f"problem_{key}"


def fit_structure(thought: Thought, genre: Genre, target: int, rules: GuardRules, edge: float = 0.6) -> str:
    """Budgets fitted to the target (the first and last parts ``edge`` of a middle one); a 结构
    that cannot be followed becomes the genre's. Returns a notice ("" when the plan's stands)."""
    parts = thought.parts()
    notice = ""
    problem = structure_problem(parts, target) if parts else "没有结构 (no structure)"
    if not problem and duplicate_purposes(parts, rules):
        problem = "各部分要做的事重复 (parts repeat each other)"
    if problem and genre.structure:
        parts = [Part(h.split("：")[0], h.split("：")[-1]) for h in genre.structure]
        notice = f"结构无法使用（{problem}），已改用「{genre.name}」的常用结构 (used the genre's structure)"
    if not parts:
        return notice
    given: list[float] = [float(max(0, p.chars)) for p in parts]
    if any(g == 0 for g in given):
        given = [edge if (i in (0, len(parts) - 1) and len(parts) >= 3) else 1.0 for i in range(len(parts))]
    minimum = 2 if genre.unit == "行" else 30
    step = 1 if genre.unit == "行" else 10
    for p, b in zip(parts, scale_budgets(given, target, minimum, step=step), strict=True):
        p.chars = b
    thought.set_section("structure", Thought.render_section("structure", parts, unit=genre.unit))
    return notice


# --------------------------------------------------------------------------------------------
# the 构思
# --------------------------------------------------------------------------------------------
def _questions(prompts: PromptSet, genre: Genre, target: int) -> dict[str, str]:
    hints = _hints(genre)
    numbered = "\n".join(f"{i}. {title}" for i, (title, _purpose) in enumerate(hints, 1))
    gv = _genre_vars(genre, target)
    return {
        key: prompts.render(f"ask_{key}", n_parts=len(hints), numbered_parts=numbered, **gv)
        for key, _t in SECTIONS
    }


def _hints(genre: Genre) -> list[tuple[str, str]]:
    """The genre's parts as (title, what the part does): "开头：设置情境或悬念" → ("开头", "设置情境或悬念")."""
    return genre.part_hints() or [("开头", "引出话题"), ("展开", "写具体内容"), ("结尾", "收束全文")]


def _stream_answer(
    engine: Engine,
    messages: list[Message],
    params: GenerationParams,
    cancel: CancelToken | None,
    key: str,
    unit: str,
    hints: list[tuple[str, str]] | None = None,
) -> Iterator[OutlineEvent | str]:
    """Stream one section's answer: ``section`` events as it grows, then the answer's text."""
    raw = ""
    shown = ""
    thinking = ""
    reason, message = FinishReason.ERROR, "stream ended without a result"
    with opened(engine.stream(messages, params, cancel)) as chunks:
        for chunk in chunks:
            if chunk.done:
                assert chunk.finish_reason is not None
                reason, message = chunk.finish_reason, chunk.message
                break
            if chunk.thinking:
                thinking += chunk.thinking
                yield OutlineEvent(OutlineKind.THINKING, key, thinking)
            raw += chunk.text
            text = parse_answer(key, raw, unit, hints)
            if text and text != shown:
                shown = text
                yield OutlineEvent(OutlineKind.SECTION, key, text)
            enough = _enough(key, raw, hints)
            if enough is not None:
                raw, reason = enough, FinishReason.STOP
                break  # what follows would be dropped by mend_section: closing the stream saves it
    if reason is FinishReason.CANCELLED or (cancel is not None and cancel.cancelled):
        raise CancelledError()
    if reason is FinishReason.ERROR:
        raise ModelError(message or "模型出错 (the model failed)")
    if reason in (FinishReason.LENGTH, FinishReason.LOOP) and "\n" in raw.strip():
        raw = raw.strip().rsplit("\n", 1)[0]  # the bound stopped the model inside its last line
    yield raw


def _enough(key: str, raw: str, hints: list[tuple[str, str]] | None) -> str | None:
    """The answer so far, cut to all that :func:`mend_section` keeps of it, once it holds that
    much (None before): two whole sentences for 立意 and 风格, a whole line per part for 结构, and
    one item more than is kept for a list (in case one is dropped)."""
    if key in ("intent", "style"):
        whole = [s for s in _SENTENCES_IN.findall(raw) if s.rstrip("”’」』")[-1:] in "。！？!?"]
        return raw[: raw.find(whole[1]) + len(whole[1])] if len(whole) >= 2 else None
    done = raw[: raw.rfind("\n") + 1]  # the line still being written does not count
    lines = _answer_lines(done)
    if key == "structure":
        return done if hints and len(lines) >= len(hints) else None
    return done if key in _MAX_ITEMS and len(lines) > _MAX_ITEMS[key] else None


def _ask(
    engine: Engine,
    conv: list[Message],
    question: str,
    params: GenerationParams,
    cancel: CancelToken | None,
    key: str,
    unit: str,
    hints: list[tuple[str, str]] | None = None,
) -> Generator[OutlineEvent, None, str]:
    """Ask one question in the conversation; streams the section; returns the parsed section."""
    conv.append({"role": "user", "content": question})
    raw = ""
    for ev in _stream_answer(engine, conv, params, cancel, key, unit, hints):
        if isinstance(ev, str):
            raw = ev
        else:
            yield ev
    conv.append({"role": "assistant", "content": raw.strip()})
    return parse_answer(key, raw, unit, hints)


def stream_outline(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    params: GenerationParams,
    *,
    rules: GuardRules,
    target_chars: int | None = None,
    exemplar: Exemplar | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[OutlineEvent]:
    """The 构思 as events: each section as it arrives, notices, then ``done`` with the Thought."""
    q = check_query(query, prompts)
    target = _target(q, genre, target_chars)
    if prompts.limit("format", "sections") == "json":
        thought = _json_outline(engine, prompts, q, genre, params, target, exemplar, cancel)
        for key, _t in SECTIONS:
            if thought.section_text(key):
                yield OutlineEvent(OutlineKind.SECTION, key, thought.section_text(key))
        yield OutlineEvent(OutlineKind.DONE, thought=thought)
        return
    questions = _questions(prompts, genre, target)
    hints = _hints(genre)
    # what the model must not echo: the questions, the re-ask and its reasons
    asked = [*questions.values(), prompts.templates.get("reask", "")]
    asked += [v for k, v in prompts.templates.items() if k.startswith("problem_")]
    all_questions = "\n".join(asked)
    tokens = prompts.limit("section_tokens", {})
    conv: list[Message] = [{"role": "system", "content": prompts.render("system")}]
    task = prompts.render(
        "task", query=q, exemplar=_exemplar_text(prompts, exemplar), **_genre_vars(genre, target)
    )
    thought = Thought()
    reasks = int(prompts.limit("reasks", 2))
    for key, _title in SECTIONS:
        first = len(conv) == 1
        question = f"{task}\n\n{questions[key]}" if first else questions[key]
        # 先想后写: a thinking model thinks once, over the whole task, before its first section
        plain = replace(params, max_tokens=int(tokens.get(key, 150)), thinking=False)
        think = params.thinking and first
        extra = int(prompts.limit("thinking_tokens", 1024)) if think else 0
        p = replace(plain, max_tokens=plain.max_tokens + extra, thinking=think)
        body = yield from _ask(engine, conv, question, p, cancel, key, genre.unit, hints)
        text, dropped, problem = mend_section(key, body, q, rules, all_questions, hints)
        if problem and reasks > 0:
            reasks -= 1
            yield OutlineEvent(
                OutlineKind.NOTICE, text=f"重新构思「{SECTION_TITLES[key]}」 (asked again: {key})"
            )
            why = prompts.render(problem)
            again = yield from _ask(
                engine, conv, prompts.render("reask", problem=why), plain, cancel, key, genre.unit, hints
            )
            text2, dropped2, problem2 = mend_section(key, again, q, rules, all_questions, hints)
            if not problem2 or len(text2) > len(text):
                text, dropped = text2, dropped2
        if dropped:
            yield OutlineEvent(
                OutlineKind.NOTICE,
                text=f"{SECTION_TITLES[key]}：去掉了 {dropped} 条不合用的条目 (dropped {dropped} unusable items)",
            )
        if text:
            thought.set_section(key, text)
        elif key != "structure":  # an unusable 结构 becomes the genre's below, with its own notice
            yield OutlineEvent(
                OutlineKind.NOTICE,
                text=f"「{SECTION_TITLES[key]}」留空：模型没有写出可用的内容，请自己补写 (left empty: nothing usable)",
            )
        yield OutlineEvent(OutlineKind.SECTION, key, thought.section_text(key))
    notice = fit_structure(thought, genre, target, rules, float(prompts.limit("edge_weight", 0.6)))
    if notice:
        yield OutlineEvent(OutlineKind.NOTICE, text=notice)
    yield OutlineEvent(OutlineKind.SECTION, "structure", thought.section_text("structure"))
    if not thought.section_text("intent") and not thought.items("materials"):
        raise ModelError("模型没有写出可用的构思 (the model wrote no usable 构思); 请重试或换一个模型")
    yield OutlineEvent(OutlineKind.DONE, thought=thought)


def _exemplar_text(prompts: PromptSet, exemplar: Exemplar | None) -> str:
    if exemplar is None:
        return ""
    limit = int(prompts.limit("exemplar_thought_chars", 600))
    thought = exemplar.thought.strip()
    if len(thought) > limit:
        thought = thought[:limit] + "……"
    return prompts.render("exemplar", exemplar_query=exemplar.query.strip(), exemplar_thought=thought)


def generate_outline(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    params: GenerationParams,
    *,
    rules: GuardRules,
    target_chars: int | None = None,
    exemplar: Exemplar | None = None,
    cancel: CancelToken | None = None,
    on_event: Callable[[OutlineEvent], None] | None = None,
) -> Thought:
    """The finished 构思 (``on_event`` sees the sections and notices as they come)."""
    for ev in stream_outline(
        engine,
        prompts,
        query,
        genre,
        params,
        rules=rules,
        target_chars=target_chars,
        exemplar=exemplar,
        cancel=cancel,
    ):
        if ev.kind == "done" and ev.thought is not None:
            return ev.thought
        if on_event is not None:
            on_event(ev)
    raise ModelError("构思没有结果 (the 构思 ended without a result)")


def regenerate_section(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    thought: Thought,
    key: str,
    params: GenerationParams,
    *,
    rules: GuardRules,
    target_chars: int | None = None,
    cancel: CancelToken | None = None,
    on_event: Callable[[OutlineEvent], None] | None = None,
) -> Thought:
    """A copy of ``thought`` with only section ``key`` new; every other block stays byte for byte."""
    if key not in SECTION_TITLES:
        raise BadInputError(
            f"未知的构思部分 {key}；可选：{', '.join(k for k, _ in SECTIONS)} (unknown section)"
        )
    q = check_query(query, prompts)
    target = _target(q, genre, target_chars)
    questions = _questions(prompts, genre, target)
    user = prompts.render(
        "section_user",
        query=q,
        thought=thought.to_markdown().strip() or "（空）",
        section_title=SECTION_TITLES[key],
        question=questions[key],
        **_genre_vars(genre, target),
    )
    conv: list[Message] = [{"role": "system", "content": prompts.render("system")}]
    p = replace(params, max_tokens=int(prompts.limit("section_tokens", {}).get(key, 150)))
    hints = _hints(genre)
    gen = _ask(engine, conv, user, p, cancel, key, genre.unit, hints)
    body = ""
    try:
        while True:
            ev = next(gen)
            if on_event is not None:
                on_event(ev)
    except StopIteration as stop:
        body = stop.value or ""
    text, _dropped, _problem = mend_section(key, body, q, rules, "\n".join(questions.values()), hints)
    text = text or body
    if not text.strip():
        raise ModelError(f"模型没有写出「{SECTION_TITLES[key]}」 (the model wrote nothing for this section)")
    out = Thought.from_markdown(thought.to_markdown())
    out.set_section(key, text)
    if key == "structure":
        fit_structure(out, genre, target, rules, float(prompts.limit("edge_weight", 0.6)))
    return out


# --------------------------------------------------------------------------------------------
# the JSON form (format = "json"), for comparison
# --------------------------------------------------------------------------------------------
def _json_outline(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    params: GenerationParams,
    target: int,
    exemplar: Exemplar | None,
    cancel: CancelToken | None,
) -> Thought:
    messages = outline_messages(prompts, query, genre, target, exemplar, template="json_user")
    p = replace(params, max_tokens=int(prompts.limit("max_tokens", params.max_tokens)))
    schema = thought_schema(limits=prompts.limit("schema", {}))
    data, _ = generate_json(engine, messages, schema, p, cancel)
    parts = data.get("structure") or []
    given = [max(0, int(p.get("chars") or 0)) for p in parts]
    if parts:
        if sum(given) <= 0:
            given = [1] * len(parts)
        for part, s in zip(parts, scale_budgets(given, target, 30, step=10), strict=True):
            part["chars"] = s
    return Thought.from_dict(data)
