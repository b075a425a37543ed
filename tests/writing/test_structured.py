import json

import pytest
from scripted_engine import Reply, ScriptedEngine

from writer_app.errors import CancelledError, ModelError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams
from writer_app.writing.structured import generate_json, schema_errors

SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "enum": [0, 1, 2]},
        "items": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}},
    },
    "required": ["score", "items"],
}


def test_schema_errors_name_each_problem():
    assert schema_errors({"score": 1, "items": ["a"]}, SCHEMA) == []
    errors = schema_errors({"score": 7, "items": [], "x": 1}, SCHEMA)
    assert any("score" in e for e in errors) and any("fewer" in e for e in errors)
    assert schema_errors([], SCHEMA) == ["$: not an object"]
    assert schema_errors(
        {"score": True, "items": ["a"]}, {**SCHEMA, "properties": {"score": {"type": "integer"}}}
    )


def test_malformed_json_is_retried_once_with_a_new_seed():
    good = json.dumps({"score": 2, "items": ["甲"]}, ensure_ascii=False)
    engine = ScriptedEngine(['{"score": 2, "items": [', good])
    data, _ = generate_json(engine, [{"role": "user", "content": "q"}], SCHEMA, GenerationParams(seed=5))
    assert data == {"score": 2, "items": ["甲"]}
    assert [p.seed for _, p in engine.requests] == [5, 6]
    assert all(p.json_schema == SCHEMA for _, p in engine.requests)


def test_two_unusable_answers_give_one_clear_error():
    engine = ScriptedEngine(['{"score": 9, "items": ["a"]}', Reply('{"score": 1', FinishReason.LENGTH)])
    with pytest.raises(ModelError, match="两次") as exc:
        generate_json(engine, [{"role": "user", "content": "q"}], SCHEMA, GenerationParams())
    assert "截断" in str(exc.value)


def test_cancel_is_not_retried():
    engine = ScriptedEngine([Reply('{"score": 1, "items": ["long text"]}', cancel_after=2), "{}"])
    with pytest.raises(CancelledError):
        generate_json(engine, [{"role": "user", "content": "q"}], SCHEMA, GenerationParams(), CancelToken())
    assert len(engine.requests) == 1


def test_a_model_error_is_reported_not_retried():
    engine = ScriptedEngine([Reply("", FinishReason.ERROR, "worker died"), "{}"])
    with pytest.raises(ModelError, match="worker died"):
        generate_json(engine, [{"role": "user", "content": "q"}], SCHEMA, GenerationParams())
