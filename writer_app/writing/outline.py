"""构思: prompt assembly (system, genre hints, optional exemplar) and a Thought from constrained JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from writer_app.domain import SECTION_TITLES, SECTIONS, Genre, Thought, scale_budgets, thought_schema
from writer_app.errors import BadInputError
from writer_app.llm.engine import CancelToken, Completion, Engine, GenerationParams, Message
from writer_app.writing.exemplars import Exemplar
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


def _genre_vars(genre: Genre, target_chars: int) -> dict[str, object]:
    return {
        "genre": genre.name,
        "genre_description": genre.description or genre.name,
        "target_chars": target_chars,
        "structure_hints": "；".join(genre.structure) or "自行安排",
    }


def outline_messages(
    prompts: PromptSet, query: str, genre: Genre, target_chars: int, exemplar: Exemplar | None = None
) -> list[Message]:
    ex = ""
    if exemplar is not None:
        limit = int(prompts.limit("exemplar_thought_chars", 600))
        thought = exemplar.thought.strip()
        if len(thought) > limit:
            thought = thought[:limit] + "……"
        ex = prompts.render("exemplar", exemplar_query=exemplar.query.strip(), exemplar_thought=thought)
    user = prompts.render("user", query=query, exemplar=ex, **_genre_vars(genre, target_chars))
    return [{"role": "system", "content": prompts.render("system")}, {"role": "user", "content": user}]


def _tidy(data: dict, target_chars: int) -> None:
    """Drop repeated items (small models repeat themselves) and fit the parts' budgets to the target."""
    for key, value in data.items():
        if isinstance(value, list):
            seen: set[str] = set()
            kept = []
            for item in value:
                sig = str(item.get("title", "")) if isinstance(item, dict) else str(item)
                sig = "".join(sig.split())
                if sig and sig not in seen:
                    seen.add(sig)
                    kept.append(item)
            data[key] = kept
    _fit_budgets(data, target_chars)


def _fit_budgets(data: dict, target_chars: int) -> None:
    """Make the parts' budgets add up to the target (small models rarely do the sum)."""
    parts = data.get("structure")
    if not parts:
        return
    given = [max(0, int(p.get("chars") or 0)) for p in parts]
    if sum(given) <= 0:
        given = [1] * len(parts)
    for p, s in zip(parts, scale_budgets(given, target_chars, 30, step=10), strict=True):
        p["chars"] = s


def generate_outline(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    params: GenerationParams,
    *,
    target_chars: int | None = None,
    exemplar: Exemplar | None = None,
    cancel: CancelToken | None = None,
    schema: dict | None = None,
    on_attempt: Callable[[int, Completion], None] | None = None,
) -> Thought:
    q = check_query(query, prompts)
    target = target_chars or genre.target_chars
    messages = outline_messages(prompts, q, genre, target, exemplar)
    p = replace(params, max_tokens=int(prompts.limit("max_tokens", params.max_tokens)))
    schema = schema or thought_schema(limits=prompts.limit("schema", {}))
    data, _ = generate_json(engine, messages, schema, p, cancel, on_attempt=on_attempt)
    _tidy(data, target)
    return Thought.from_dict(data)


def regenerate_section(
    engine: Engine,
    prompts: PromptSet,
    query: str,
    genre: Genre,
    thought: Thought,
    key: str,
    params: GenerationParams,
    *,
    target_chars: int | None = None,
    cancel: CancelToken | None = None,
    schema: dict | None = None,
) -> Thought:
    """A copy of ``thought`` with only section ``key`` new; every other block stays byte for byte."""
    if key not in SECTION_TITLES:
        raise BadInputError(
            f"未知的构思部分 {key}；可选：{', '.join(k for k, _ in SECTIONS)} (unknown section)"
        )
    q = check_query(query, prompts)
    target = target_chars or genre.target_chars
    user = prompts.render(
        "section_user",
        query=q,
        thought=thought.to_markdown().strip() or "（空）",
        section_title=SECTION_TITLES[key],
        section_key=key,
        **_genre_vars(genre, target),
    )
    messages: list[Message] = [
        {"role": "system", "content": prompts.render("system")},
        {"role": "user", "content": user},
    ]
    p = replace(params, max_tokens=int(prompts.limit("max_tokens", params.max_tokens)))
    schema = schema or thought_schema((key,), limits=prompts.limit("schema", {}))
    data, _ = generate_json(engine, messages, schema, p, cancel)
    _tidy(data, target)
    out = Thought.from_markdown(thought.to_markdown())
    out.set_section(key, Thought.render_section(key, data[key]))
    return out
