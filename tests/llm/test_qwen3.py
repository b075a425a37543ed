"""Qwen3's thinking, handled, on a synthetic qwen3-architecture GGUF with Qwen3's real chat
template: off by default (the template's enable_thinking), a block the model writes anyway
never reaches the text, the loop guard or the editor, and its tokens are counted apart."""

from __future__ import annotations

import pytest

from writer_app.config import AppPaths, EngineSettings, Settings
from writer_app.errors import ModelError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams, collect
from writer_app.llm.llama_backend import LlamaBackend
from writer_app.llm.thinking import ONLY_THOUGHT
from writer_app.llm.worker import LocalEngine, WorkerConfig
from writer_app.workbench import Workbench

MESSAGES = [{"role": "user", "content": "以“坚持”为话题写一段话。"}]
EMPTY_BLOCK = "<think>\n\n</think>\n\n"


@pytest.fixture(scope="module")
def backend(qwen3_model):
    b = LlamaBackend(str(qwen3_model), n_ctx=1024, n_threads=2)
    yield b
    b.close()


def _prompt(backend, thinking: bool) -> str:
    tokens, _ = backend.tokenize_prompt(MESSAGES, False, thinking)
    return backend.llm.detokenize(tokens, special=True).decode("utf-8").replace(" ", "")


def test_thinking_is_switched_off_in_the_template_unless_asked_for(backend):
    off, on = _prompt(backend, False), _prompt(backend, True)
    assert off.endswith("<|im_start|>assistant\n" + EMPTY_BLOCK.replace(" ", ""))
    assert on.endswith("<|im_start|>assistant\n") and "<think>" not in on


def test_a_block_the_model_writes_anyway_is_taken_out_and_counted(backend, monkeypatch):
    llm = backend.llm
    scripted = "<think>先想：坚持是什么。</think>\n\n坚持是一种力量。"
    ids = llm.tokenize(scripted.encode("utf-8"), add_bos=False, special=True)

    def generate(*_a, **_k):  # the model's tokens, as Llama.generate yields them
        yield from ids

    monkeypatch.setattr(llm, "generate", generate)
    events = list(backend.generate(MESSAGES, GenerationParams(max_tokens=200), lambda: False))
    done = events[-1]
    text = "".join(e["text"] for e in events[:-1])
    thought = "".join(e.get("thinking", "") for e in events[:-1])
    assert done["reason"] == "length" and text == "坚持是一种力量。"
    assert "先想" in thought and "<think>" not in text
    stats = done["stats"]
    assert 0 < stats["thinking_tokens"] < stats["completion_tokens"] == len(ids)


def test_a_block_that_never_closes_is_reported_and_nothing_is_shown(thinking_model):
    with LocalEngine(WorkerConfig(str(thinking_model), n_ctx=1024, n_threads=2)) as engine:
        c = collect(engine.stream(MESSAGES, GenerationParams(max_tokens=30, seed=1, loop_guard=True)))
    assert c.finish_reason is FinishReason.ERROR and c.message == ONLY_THOUGHT
    assert c.text == "" and c.stats.thinking_tokens == c.stats.completion_tokens == 30


def test_the_app_writes_a_thought_and_a_draft_with_no_think_text(small_resources, qwen3_model):
    settings = Settings(engine=EngineSettings(model=str(qwen3_model), n_ctx=2048, n_threads=2, seed=3))
    wb = Workbench.create(AppPaths.from_env(), settings, small_resources / "resources")
    try:
        genre = wb.genre("议论文")
        thought = wb.outline("以“坚持”为话题写一篇议论文", genre, 200, CancelToken())
        events = list(wb.draft("以“坚持”为话题写一篇议论文", thought, genre, 60, CancelToken()))
        answer = events[-1].result.answer
        assert answer and "<think>" not in answer and "</think>" not in answer
        assert "think>" not in thought.to_markdown()
    finally:
        wb.models.close()


def test_a_model_that_only_thinks_gives_one_line_and_no_draft(small_resources, thinking_model):
    settings = Settings(engine=EngineSettings(model=str(thinking_model), n_ctx=2048, n_threads=2, seed=3))
    wb = Workbench.create(AppPaths.from_env(), settings, small_resources / "resources")
    try:
        with pytest.raises(ModelError) as info:
            wb.outline("以“坚持”为话题写一篇议论文", wb.genre("议论文"), 200, CancelToken())
        assert "只写了思考过程" in str(info.value) and "\n" not in str(info.value)
    finally:
        wb.models.close()


def test_an_unknown_architecture_is_one_line_naming_it_and_the_version(tmp_path):
    import llama_cpp
    from tiny_gguf import build_gguf

    model = build_gguf(tmp_path / "future.gguf", arch="qwen99")
    with LocalEngine(WorkerConfig(str(model), n_ctx=512, n_threads=2)) as engine:
        with pytest.raises(ModelError) as info:
            engine.load()
    message = str(info.value)
    assert "qwen99" in message and llama_cpp.__version__ in message and "\n" not in message
