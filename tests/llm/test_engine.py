import threading

import pytest

from writer_app.llm.engine import (
    MAX_STRING_MAX_LENGTH,
    CancelToken,
    Chunk,
    FinishReason,
    GenerationStats,
    collect,
    with_string_limits,
)


def test_every_string_gets_a_max_length_and_the_input_is_untouched():
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string"},
            "b": {"type": "array", "items": {"type": ["string", "null"]}},
            "c": {"type": "string", "maxLength": 10},
            "d": {"enum": ["x", "y"], "type": "string"},
        },
    }
    out = with_string_limits(schema, default_max=300)
    assert out["properties"]["a"]["maxLength"] == 300
    assert out["properties"]["b"]["items"]["maxLength"] == 300
    assert out["properties"]["c"]["maxLength"] == 10
    assert "maxLength" not in out["properties"]["d"]
    assert "maxLength" not in schema["properties"]["a"]


def test_string_bound_over_the_grammar_limit_is_rejected():
    with pytest.raises(ValueError):
        with_string_limits({"type": "string", "maxLength": MAX_STRING_MAX_LENGTH + 1})


def test_cancel_token_runs_callbacks_once_from_any_thread():
    token = CancelToken()
    hits = []
    token.on_cancel(lambda: hits.append(1))
    threads = [threading.Thread(target=token.cancel) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert token.cancelled and hits == [1]
    late = []
    token.on_cancel(lambda: late.append(1))
    assert late == [1]


def test_unregistered_callback_is_not_called():
    token = CancelToken()
    hits = []
    remove = token.on_cancel(lambda: hits.append(1))
    remove()
    token.cancel()
    assert hits == []


def test_collect_joins_text_and_keeps_the_end():
    stats = GenerationStats(completion_tokens=3, gen_s=1.0)
    c = collect(iter([Chunk("甲", 1), Chunk("乙", 2), Chunk(finish_reason=FinishReason.STOP, stats=stats)]))
    assert c.text == "甲乙" and c.finish_reason is FinishReason.STOP and c.stats.gen_tps == 2.0


def test_a_schema_the_grammar_cannot_take_ends_the_request_before_any_work():
    from writer_app.llm.engine import Chunk, FinishReason, GenerationParams, bound_schema
    from writer_app.llm.remote import RemoteEngine, ServerConfig

    ok = bound_schema(GenerationParams(json_schema={"type": "string"}))
    assert isinstance(ok, GenerationParams) and ok.json_schema == {"type": "string", "maxLength": 1000}
    too_long = GenerationParams(json_schema={"type": "string", "maxLength": 5000})
    bad = bound_schema(too_long)
    assert isinstance(bad, Chunk) and bad.finish_reason is FinishReason.ERROR and "5000" in bad.message
    # a server engine answers the same way without opening a connection (nothing listens on port 1)
    chunks = list(RemoteEngine(ServerConfig("http://127.0.0.1:1/v1", model="m")).stream("hi", too_long))
    assert [c.message for c in chunks] == [bad.message]
