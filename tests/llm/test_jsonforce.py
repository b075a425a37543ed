"""The JSON cursor of jump-forward decoding: what it forces is always what a valid compact answer
has there, it forces everything the schema fixes, and it goes quiet on what it does not model."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from writer_app.llm.jsonforce import JsonCursor

ITEM = {"type": "string", "maxLength": 6}
BAND_LIKE = {
    "type": "object",
    "properties": {
        "strengths": {"type": "array", "items": ITEM, "maxItems": 3},
        "problems": {"type": "array", "items": ITEM, "maxItems": 2, "minItems": 1},
        "band": {"type": "string", "enum": ["一等", "二等", "三等", "四等"]},
        "score": {"type": "integer", "enum": [0, 1, 2, 20]},
        "suggestions": {
            "type": "array",
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "quote": ITEM,
                    "fix": {"type": "string", "maxLength": 4},
                    "n": {"type": "integer"},
                },
                "required": ["quote", "fix", "n"],
            },
        },
    },
    "required": ["strengths", "problems", "band", "score", "suggestions"],
}


def _instance(schema: dict[str, Any], rng: random.Random) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if schema["type"] == "object":
        return {k: _instance(v, rng) for k, v in schema["properties"].items()}
    if schema["type"] == "integer":
        return rng.choice([0, 7, -3, 120, 2026])
    if schema["type"] == "array":
        lo, hi = schema.get("minItems", 0), schema.get("maxItems", 4)
        return [_instance(schema["items"], rng) for _ in range(rng.randint(lo, hi))]
    chars = '秋天的风ab"\\\n😀'
    return "".join(rng.choice(chars) for _ in range(rng.randint(0, schema.get("maxLength", 8))))


def _write(schema: dict[str, Any], text: str) -> tuple[JsonCursor, int]:
    """Write ``text`` as a model would with the cursor: forced runs, else one byte sampled.
    Returns the cursor and how many bytes were forced; fails if a forced run is not the text."""
    cursor, data, i, forced = JsonCursor(schema), text.encode("utf-8"), 0, 0
    while i < len(data):
        run = cursor.forced()
        if run:
            assert data[i : i + len(run)] == run, (data[i:].decode(errors="replace"), run)
            cursor.feed(run)
            i, forced = i + len(run), forced + len(run)
        else:
            cursor.feed(data[i : i + 1])
            i += 1
        assert cursor.active, data[:i].decode(errors="replace")
    return cursor, forced


@pytest.mark.parametrize("seed", range(40))
def test_forced_bytes_are_always_those_of_a_valid_compact_answer(seed):
    rng = random.Random(seed)
    value = _instance(BAND_LIKE, rng)
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    cursor, forced = _write(BAND_LIKE, text)
    assert cursor.complete and cursor.forced() == b""
    assert forced >= len('{"strengths":[,"problems":["band":"等"') - 2  # the keys, at least


def test_everything_the_schema_fixes_is_forced():
    cursor = JsonCursor(BAND_LIKE)
    assert cursor.forced() == b'{"strengths":['  # the model chooses: an item or "]"
    cursor.feed(b'{"strengths":[')
    for _ in range(2):
        cursor.feed('"秋天的风吹来'.encode())  # six characters: the string's bound
        assert cursor.forced() == b'"'
        cursor.feed(b'",')
    cursor.feed('"秋天的风吹来'.encode())
    # the bound, then maxItems; minItems 1 opens the next list's first item
    assert cursor.forced() == b'"],"problems":["'
    cursor.feed(b'"],"problems":["a"],')
    assert cursor.forced() == b'"band":"'
    cursor.feed(b'"band":"')
    assert cursor.forced() == b""  # 一, 二, 三 or 四: the model's choice
    cursor.feed("三".encode())
    assert cursor.forced() == '等","score":'.encode()
    cursor.feed('等","score":2'.encode())
    assert cursor.forced() == b""  # 2 or 20
    cursor.feed(b',"suggestions":[{')
    assert cursor.forced() == b'"quote":"'
    cursor.feed(b'"quote":"x","fix":"y"')
    assert cursor.forced() == b',"n":'  # its digits are the model's
    cursor.feed(b',"n":-12}]')
    assert cursor.forced() == b"}" and not cursor.complete
    cursor.feed(b"}")
    assert cursor.complete


def test_a_shared_first_byte_of_two_characters_is_not_forced():
    cursor = JsonCursor({"type": "string", "enum": ["一", "二"]})  # E4 B8 80 and E4 BA 8C
    assert cursor.forced() == b'"'
    cursor.feed(b'"')
    assert cursor.forced() == b""


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": ITEM, "b": ITEM}, "required": ["a"]},  # optional b
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]},
        {"type": "number"},
    ],
)
def test_what_it_does_not_model_it_never_forces(schema):
    cursor = JsonCursor(schema)
    assert not cursor.active and cursor.forced() == b""


def test_an_unexpected_byte_makes_it_quiet_for_the_rest_of_the_answer():
    cursor = JsonCursor(BAND_LIKE)
    cursor.feed(b'{ "strengths"')  # whitespace: not the compact form
    assert not cursor.active and cursor.forced() == b""
