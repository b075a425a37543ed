"""The one adapter over llama-cpp-python, in this process with the tiny model: stop strings held
back across pieces, the prompt bound, cancel, prefix reuse, continuing an unfinished answer and
the strict JSON grammar. (The worker process around it is tested in test_worker.py.)"""

from __future__ import annotations

import json

import pytest

from writer_app.llm.engine import GenerationParams
from writer_app.llm.llama_backend import (
    _LOOSE_CHAR,
    _STRICT_CHAR,
    CheckedGrammar,
    LlamaBackend,
    PromptTooLong,
    json_grammar,
    sampling_kwargs,
    split_at_stop,
)

MESSAGES = [{"role": "user", "content": "写一句关于秋天的话。"}]


@pytest.fixture(scope="module")
def backend(tiny_model):
    b = LlamaBackend(str(tiny_model), n_ctx=512, n_threads=2)
    yield b
    b.close()


def _run(backend, prompt, params, cancelled=lambda: False):
    events = list(backend.generate(prompt, params, cancelled))
    text = "".join(e["text"] for e in events if e["op"] == "text")
    return text, events[-1]


@pytest.mark.parametrize(
    ("pending", "stops", "expected"),
    [
        ("秋天来了", [], ("秋天来了", "", False)),
        ("秋天<|im_end|>多余", ["<|im_end|>"], ("秋天", "", True)),
        ("秋天<|im", ["<|im_end|>"], ("秋天", "<|im", False)),  # might still become the stop
        ("秋天<", ["<|im_end|>", "。"], ("秋天", "<", False)),
        ("甲。乙<|im_end|>", ["<|im_end|>", "。"], ("甲", "", True)),  # the earliest stop wins
    ],
)
def test_split_at_stop_holds_back_only_what_may_become_a_stop(pending, stops, expected):
    assert split_at_stop(pending, stops) == expected


def test_sampling_kwargs_carry_the_params():
    p = GenerationParams(temperature=0.3, top_k=7, repeat_penalty=1.2, presence_penalty=0.5)
    kw = sampling_kwargs(p)
    assert kw["temp"] == 0.3 and kw["top_k"] == 7
    assert kw["repeat_penalty"] == 1.2 and kw["presence_penalty"] == 0.5


def test_the_json_grammar_forbids_raw_control_characters_in_strings():
    grammar = json_grammar({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})
    rules = grammar._grammar
    assert _STRICT_CHAR in rules and _LOOSE_CHAR not in rules
    assert "char (char" in rules  # the string bound the app adds (with_string_limits)


def test_a_prompt_longer_than_the_context_is_refused_before_any_work(backend):
    with pytest.raises(PromptTooLong) as info:
        _run(backend, "秋" * 2000, GenerationParams(max_tokens=4))
    assert info.value.n_ctx == backend.n_ctx


def test_a_cancel_before_the_first_token_ends_with_cancelled(backend):
    text, done = _run(backend, MESSAGES, GenerationParams(max_tokens=16, seed=1), cancelled=lambda: True)
    assert done["reason"] == "cancelled"


def test_the_same_prompt_again_reuses_the_cache(backend):
    params = GenerationParams(max_tokens=4, seed=3, temperature=0.0)
    _run(backend, MESSAGES, params)
    _text, done = _run(backend, MESSAGES, params)
    stats = done["stats"]
    assert stats["prompt_tokens_cached"] > 0
    assert stats["prompt_tokens_evaluated"] < stats["prompt_tokens"]


def test_continuing_an_answer_puts_the_unfinished_text_after_the_template(backend):
    head = "秋天的风"
    tokens, _stops = backend.tokenize_prompt([*MESSAGES, {"role": "assistant", "content": head}], True)
    fresh, _ = backend.tokenize_prompt(MESSAGES, False)
    text = backend.llm.detokenize(tokens, special=True).decode("utf-8")
    prompt = backend.llm.detokenize(fresh, special=True).decode("utf-8")
    assert text == prompt + head  # the assistant's turn stays open: the model goes on from there


def test_a_token_bound_ends_with_length_and_counts_the_tokens(backend):
    text, done = _run(backend, MESSAGES, GenerationParams(max_tokens=5, seed=2, loop_guard=False))
    assert done["reason"] in ("length", "stop")
    if done["reason"] == "length":
        assert done["stats"]["completion_tokens"] == 5


SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "string", "maxLength": 6}, "b": {"type": "integer"}},
    "required": ["a", "b"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("likely", [4096, 16, 1])
def test_the_checked_grammar_draws_what_the_grammar_in_the_chain_draws(backend, monkeypatch, likely):
    """Greedy, the grammar checked against each drawn token (redrawn among the ``likely`` likeliest
    first, then the whole vocabulary) picks exactly the tokens of the grammar applied to every
    candidate; the tiny model's vocabulary is small, so 16 and 1 take the two-step redraw."""
    params = GenerationParams(max_tokens=60, temperature=0.0, json_schema=SCHEMA, loop_guard=False)
    monkeypatch.setattr(CheckedGrammar, "fits", staticmethod(lambda _c: False))
    in_chain, done_a = _run(backend, MESSAGES, params)
    monkeypatch.undo()
    monkeypatch.setattr(CheckedGrammar, "LIKELY", likely)
    redraws: list[int] = []
    real = CheckedGrammar._redraw
    monkeypatch.setattr(CheckedGrammar, "_redraw", lambda self, i: redraws.append(i) or real(self, i))
    checked, done_b = _run(backend, MESSAGES, params)
    assert checked == in_chain and done_b["reason"] == done_a["reason"]
    assert redraws, "the random model never wrote a token the grammar refused: nothing was checked"
    if done_b["reason"] == "stop":
        assert set(json.loads(checked)) == {"a", "b"}
    assert backend._checked is None  # freed with its request


def test_a_schema_constrained_answer_is_strict_json(backend):
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "maxLength": 8}},
        "required": ["a"],
        "additionalProperties": False,
    }
    params = GenerationParams(max_tokens=120, seed=5, json_schema=schema, loop_guard=False)
    text, done = _run(backend, MESSAGES, params)
    if done["reason"] == "stop":  # the random model may use up the bound inside the string
        assert set(json.loads(text)) == {"a"}


COMPACT_SCHEMA = {
    "type": "object",
    "properties": {
        "points": {"type": "array", "items": {"type": "string", "maxLength": 4}, "maxItems": 2},
        "band": {"type": "string", "enum": ["一等", "二等", "三等"]},
    },
    "required": ["points", "band"],
}


def test_a_compact_json_answer_writes_what_the_schema_fixes_without_sampling(backend, monkeypatch):
    """Jump-forward: the keys and brackets are written, not sampled (fewer draws than tokens),
    and the answer is the compact, valid JSON of the schema; the same seed gives the same answer,
    with the prompt reused from the cache."""
    from writer_app.writing.structured import schema_errors

    draws: list[int] = []
    real = CheckedGrammar.sample
    monkeypatch.setattr(CheckedGrammar, "sample", lambda self, i: draws.append(i) or real(self, i))
    answers = []
    for seed in (1, 2, 2):
        draws.clear()
        params = GenerationParams(
            max_tokens=300, seed=seed, json_schema=COMPACT_SCHEMA, json_compact=True, loop_guard=False
        )
        text, done = _run(backend, MESSAGES, params)
        assert done["reason"] == "stop", text
        data = json.loads(text)
        assert schema_errors(data, COMPACT_SCHEMA) == []
        assert text == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        assert 0 < len(draws) < done["stats"]["completion_tokens"]
        answers.append((text, done["stats"]["prompt_tokens_cached"]))
    assert answers[2][0] == answers[1][0] and answers[2][1] > 0
    assert backend._cursor is None and backend._checked is None  # freed with the request
