"""JSON answers from the model: constrained by a schema, parsed, checked, retried once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from writer_app.errors import CancelledError, ModelError
from writer_app.llm.engine import (
    CancelToken,
    Completion,
    Engine,
    FinishReason,
    GenerationParams,
    Message,
    collect,
)


def schema_errors(data: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Problems with ``data`` against the subset of JSON schema the app uses (empty when valid)."""
    errors: list[str] = []
    if "enum" in schema:
        if data not in schema["enum"]:
            errors.append(f"{path}: {data!r} not in enum")
        return errors
    t = schema.get("type")
    if t == "object":
        if not isinstance(data, dict):
            return [f"{path}: not an object"]
        for key in schema.get("required", []):
            if key not in data:
                errors.append(f"{path}.{key}: missing")
        for key, sub in schema.get("properties", {}).items():
            if key in data:
                errors += schema_errors(data[key], sub, f"{path}.{key}")
    elif t == "array":
        if not isinstance(data, list):
            return [f"{path}: not an array"]
        if len(data) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(data) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        for i, item in enumerate(data):
            errors += schema_errors(item, schema.get("items", {}), f"{path}[{i}]")
    elif t == "string":
        if not isinstance(data, str):
            errors.append(f"{path}: not a string")
    elif t == "integer":
        if not isinstance(data, int) or isinstance(data, bool):
            errors.append(f"{path}: not an integer")
    return errors


_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _clean(data: Any) -> Any:
    """Strings without control characters (other than tab and newline)."""
    if isinstance(data, str):
        return data.translate(_CONTROL)
    if isinstance(data, list):
        return [_clean(v) for v in data]
    if isinstance(data, dict):
        return {k: _clean(v) for k, v in data.items()}
    return data


def _json_in(text: str) -> Any:
    """The JSON answer. Some servers' grammars let raw control characters into strings (strict
    JSON forbids them; they are dropped), and where a server only had the schema in its prompt
    the model may wrap the object in a code fence or a sentence: the first object is taken."""
    decoder = json.JSONDecoder(strict=False)
    try:
        return _clean(decoder.decode(text))
    except json.JSONDecodeError as exc:
        start = text.find("{")
        if start < 0:
            raise
        try:
            return _clean(decoder.raw_decode(text, start)[0])
        except json.JSONDecodeError:
            raise exc from None


def _parse(c: Completion, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    if c.finish_reason is FinishReason.LENGTH:
        return None, "输出被截断 (the answer was cut off at the token limit)"
    try:
        data = _json_in(c.text)
    except json.JSONDecodeError as exc:
        return None, f"不是合法的 JSON (not valid JSON: {exc.msg})"
    errors = schema_errors(data, schema)
    if errors:
        return None, "不符合格式 (does not match the schema: " + "; ".join(errors[:3]) + ")"
    return data, ""


def generate_json(
    engine: Engine,
    messages: list[Message],
    schema: dict[str, Any],
    params: GenerationParams,
    cancel: CancelToken | None = None,
    *,
    retries: int = 1,
    on_attempt: Callable[[int, Completion], None] | None = None,
) -> tuple[dict[str, Any], Completion]:
    """Ask for JSON matching ``schema``; on a malformed answer retry (new seed), then raise ModelError."""
    problem = ""
    for attempt in range(retries + 1):
        p = replace(params, json_schema=schema, seed=params.seed + attempt if params.seed >= 0 else -1)
        c = collect(engine.stream(messages, p, cancel))
        if on_attempt:
            on_attempt(attempt, c)
        if c.finish_reason is FinishReason.CANCELLED or (cancel is not None and cancel.cancelled):
            raise CancelledError()
        if c.finish_reason is FinishReason.ERROR:
            raise ModelError(c.message or "模型出错 (the model failed)")
        data, problem = _parse(c, schema)
        if data is not None:
            return data, c
    raise ModelError(
        f"模型两次输出的结果都无法使用：{problem}；请重试或换一个模型 (model output unusable twice)"
    )
