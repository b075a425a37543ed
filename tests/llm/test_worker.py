"""The local engine end to end: a real worker process running real llama.cpp on synthetic GGUFs."""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams, collect
from writer_app.llm.worker import LocalEngine, WorkerConfig

LONG_TEXT = "春夏秋冬山水风雨花草树木月光阳云海河书读笔纸课师友梦路门窗灯夜晨" * 180  # ~6,000 tokens


def test_streaming_joins_multibyte_characters_before_emitting(tiny_engine):
    # 中/文/写/作 have no vocab piece: each is spelled with 3 byte tokens
    schema = {"type": "string", "enum": ["中文写作很有趣"]}
    chunks = list(tiny_engine.stream("题目", GenerationParams(json_schema=schema, max_tokens=64, seed=3)))
    final = chunks[-1]
    texts = [c.text for c in chunks[:-1]]
    assert final.finish_reason is FinishReason.STOP
    assert "".join(texts) == '"中文写作很有趣"'
    assert all("\ufffd" not in t for t in texts)
    assert any(c.tokens >= 3 and c.text in "中文写作" for c in chunks[:-1]), (
        "bytes of one character arrive as one chunk"
    )
    assert final.stats.completion_tokens == sum(c.tokens for c in chunks[:-1])


def test_free_generation_reports_counts_and_timing(tiny_engine):
    c = collect(
        tiny_engine.stream([{"role": "user", "content": "写一句话"}], GenerationParams(max_tokens=40, seed=1))
    )
    assert c.finish_reason is FinishReason.LENGTH
    assert c.stats.completion_tokens == 40
    assert c.stats.prompt_tokens > 0
    assert c.stats.gen_tps > 0 and c.stats.ttft_s > 0 and c.stats.total_s >= c.stats.ttft_s


def test_same_seed_repeats_exactly(tiny_engine):
    p = GenerationParams(max_tokens=30, seed=7)
    a = collect(tiny_engine.stream("种子", p)).text
    b = collect(tiny_engine.stream("种子", p)).text
    assert a == b


def test_json_schema_output_parses(tiny_engine):
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},  # gets the default bound
            "parts": {
                "type": "array",
                "items": {"type": "string", "maxLength": 12},
                "minItems": 1,
                "maxItems": 3,
            },
            "words": {"type": "integer"},
            "tone": {"enum": ["平实", "抒情"]},
        },
        "required": ["title", "parts", "words", "tone"],
    }
    for seed in (1, 2, 3):
        c = collect(
            tiny_engine.stream("构思", GenerationParams(json_schema=schema, max_tokens=1500, seed=seed))
        )
        assert c.finish_reason is FinishReason.STOP, c.message
        data = json.loads(c.text)
        assert set(data) == {"title", "parts", "words", "tone"}
        assert data["tone"] in ("平实", "抒情")
        # the grammar bounds code points; stray byte-fallback bytes from the random model decode to
        # one U+FFFD each, so count the real characters
        assert all(len(p.replace("\ufffd", "")) <= 12 for p in data["parts"])


def test_loop_guard_stops_a_repeated_phrase(tiny_engine):
    schema = {"type": "array", "items": {"const": "我爱我的祖国"}, "minItems": 12, "maxItems": 12}
    looped = collect(tiny_engine.stream("循环", GenerationParams(json_schema=schema, max_tokens=400, seed=1)))
    assert looped.finish_reason is FinishReason.LOOP
    assert "我爱我的祖国" in looped.message
    assert looped.text.count("我爱我的祖国") < 12
    free = collect(
        tiny_engine.stream(
            "循环", GenerationParams(json_schema=schema, max_tokens=400, seed=1, loop_guard=False)
        )
    )
    assert free.finish_reason is FinishReason.STOP
    assert free.text.count("我爱我的祖国") == 12


def test_stop_string_ends_generation_and_is_not_emitted(tiny_engine):
    schema = {"type": "string", "enum": ["开头然后结束了"]}
    c = collect(tiny_engine.stream("停", GenerationParams(json_schema=schema, max_tokens=64, stop=["结束"])))
    assert c.finish_reason is FinishReason.STOP
    assert c.text == '"开头然后'


def test_prefix_reuse_skips_the_shared_prompt(tiny_engine):
    system = "你是写作老师。" + "请认真阅读下面的材料。" * 40
    first = collect(
        tiny_engine.stream(
            [{"role": "system", "content": system}, {"role": "user", "content": "写提纲"}],
            GenerationParams(max_tokens=4),
        )
    )
    second = collect(
        tiny_engine.stream(
            [{"role": "system", "content": system}, {"role": "user", "content": "写正文"}],
            GenerationParams(max_tokens=4),
        )
    )
    assert first.stats.prompt_tokens > 200
    assert second.stats.prompt_tokens_cached > 0.9 * first.stats.prompt_tokens
    assert second.stats.prompt_tokens_evaluated < first.stats.prompt_tokens_evaluated / 5


def test_prompt_longer_than_context_is_refused_with_token_counts(tiny_engine):
    c = collect(tiny_engine.stream("长" * 3000, GenerationParams(max_tokens=4)))
    assert c.finish_reason is FinishReason.ERROR
    assert "2048" in c.message and "n_ctx" in c.message
    assert c.stats.prompt_tokens > 2048
    assert (
        collect(tiny_engine.stream("短", GenerationParams(max_tokens=4))).finish_reason is FinishReason.LENGTH
    )


def test_generation_stops_when_the_context_is_full(tiny_engine):
    c = collect(tiny_engine.stream("长" * 2000, GenerationParams(max_tokens=500, seed=1)))
    assert c.finish_reason is FinishReason.LENGTH
    assert "上下文已满" in c.message
    assert c.stats.prompt_tokens + c.stats.completion_tokens == 2048


def test_cancel_during_generation(slow_engine):
    cancel = CancelToken()
    n = 0
    final = None
    for chunk in slow_engine.stream("你好", GenerationParams(max_tokens=10000, seed=1), cancel):
        if chunk.done:
            final = chunk
            break
        n += 1
        if n == 10:
            cancel.cancel()
    assert final is not None and final.finish_reason is FinishReason.CANCELLED
    assert final.stats.completion_tokens < 50


def test_cancel_during_prompt_processing_keeps_finished_batches(slow_engine):
    slow_engine.load()
    cancel = CancelToken()
    threading.Timer(0.4, cancel.cancel).start()
    c = collect(slow_engine.stream(LONG_TEXT, GenerationParams(max_tokens=3), cancel))
    assert c.finish_reason is FinishReason.CANCELLED
    assert c.stats.completion_tokens == 0
    assert c.stats.prompt_tokens > 5000
    assert c.stats.prompt_tokens_evaluated < c.stats.prompt_tokens  # it stopped part-way
    again = collect(slow_engine.stream(LONG_TEXT, GenerationParams(max_tokens=3)))
    assert again.finish_reason is FinishReason.LENGTH
    assert again.stats.prompt_tokens_cached == c.stats.prompt_tokens_evaluated  # finished batches were kept


def test_worker_killed_mid_stream_gives_clear_error_and_next_request_restarts(slow_engine):
    first_pid = None
    final = None
    for i, chunk in enumerate(slow_engine.stream("你好", GenerationParams(max_tokens=10000))):
        if chunk.done:
            final = chunk
            break
        if i == 3:
            first_pid = slow_engine.worker_pid
            os.kill(first_pid, signal.SIGKILL)
    assert final is not None and final.finish_reason is FinishReason.ERROR
    assert "SIGKILL" in final.message and "\n" not in final.message
    again = collect(slow_engine.stream("你好", GenerationParams(max_tokens=5)))
    assert again.finish_reason is FinishReason.LENGTH
    assert again.stats.load_s > 0
    assert slow_engine.worker_pid not in (None, first_pid)


def test_abandoned_stream_leaves_the_engine_clean(tiny_engine):
    for i, _chunk in enumerate(tiny_engine.stream("半途", GenerationParams(max_tokens=1500))):
        if i == 5:
            break
    c = collect(tiny_engine.stream("再来", GenerationParams(max_tokens=8, seed=2)))
    assert c.finish_reason is FinishReason.LENGTH and c.stats.completion_tokens == 8


def test_cancel_from_another_thread_before_start(tiny_engine):
    cancel = CancelToken()
    cancel.cancel()
    c = collect(tiny_engine.stream("取消", GenerationParams(max_tokens=1500), cancel))
    assert c.finish_reason is FinishReason.CANCELLED


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
def test_switching_models_frees_the_old_one(slow_model, tiny_model):
    with LocalEngine(WorkerConfig(str(slow_model), n_ctx=4096, n_threads=2)) as engine:
        assert (
            collect(engine.stream("一", GenerationParams(max_tokens=2))).finish_reason is FinishReason.LENGTH
        )
        pid = engine.worker_pid
        assert str(slow_model) in _maps(pid)
        info = engine.switch_model(WorkerConfig(str(tiny_model), n_ctx=2048, n_threads=2))
        assert info["n_ctx"] == 2048
        assert engine.worker_pid == pid
        maps = _maps(pid)
        assert str(slow_model) not in maps
        assert str(tiny_model) in maps
        assert (
            collect(engine.stream("二", GenerationParams(max_tokens=2))).finish_reason is FinishReason.LENGTH
        )


def test_close_stops_the_worker(tiny_model):
    engine = LocalEngine(WorkerConfig(str(tiny_model), n_ctx=512, n_threads=1))
    engine.load()
    pid = engine.worker_pid
    assert pid is not None
    engine.close()
    assert engine.worker_pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_model_that_crashes_llama_cpp_on_load_gives_clear_error(lying_model):
    with LocalEngine(WorkerConfig(str(lying_model), n_ctx=512, n_threads=1)) as engine:
        c = collect(engine.stream("你好", GenerationParams(max_tokens=3)))
    assert c.finish_reason is FinishReason.ERROR
    assert "lying.gguf" in c.message and "\n" not in c.message


def test_schema_string_bound_over_grammar_limit_is_refused_before_native_code(tiny_engine):
    schema = {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5000}}}
    c = collect(tiny_engine.stream("x", GenerationParams(json_schema=schema, max_tokens=10)))
    assert c.finish_reason is FinishReason.ERROR and "maxLength" in c.message
    assert (
        collect(tiny_engine.stream("y", GenerationParams(max_tokens=3))).finish_reason is FinishReason.LENGTH
    )


def test_probe_reports_what_this_llama_cpp_build_supports(tmp_path):
    from writer_app.llm.worker import probe_backend

    info = probe_backend(tmp_path / "worker.log")
    import llama_cpp  # the test process may load it; the app's GUI process never does

    assert info["gpu_offload"] == bool(llama_cpp.llama_supports_gpu_offload())
    assert "CPU" in info["system_info"] and info["llama_cpp_python"] == llama_cpp.__version__


def test_dry_sampler_with_refused_text_steers_off_it_and_repeats_for_a_seed(tiny_engine):
    """DRY goes through the app's own sampler chain: shown a refused answer (``avoid``, the prompt's
    tail then the answer), the model is pushed off writing it again; the same seed still repeats
    exactly, and a request without DRY uses the library's own chain again."""
    plain_params = GenerationParams(max_tokens=40, seed=5, temperature=0.0)
    plain = collect(tiny_engine.stream("种子", plain_params)).text
    dry = GenerationParams(
        max_tokens=40,
        seed=5,
        temperature=0.0,
        dry_multiplier=3.0,
        dry_allowed_length=1,
        avoid=["种子" + plain],
    )
    a = collect(tiny_engine.stream("种子", dry))
    b = collect(tiny_engine.stream("种子", dry))
    assert a.text == b.text and a.text
    assert a.text != plain
    assert collect(tiny_engine.stream("种子", plain_params)).text == plain


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_the_worker_and_its_threads_yield_the_cpu_to_the_window(tiny_engine):
    """The worker runs below the app's priority, and so do llama.cpp's threads it starts."""
    from writer_app.llm.worker import WORKER_NICE

    collect(tiny_engine.stream("你好", GenerationParams(max_tokens=4)))
    pid = tiny_engine.worker_pid
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    tasks = Path(f"/proc/{pid}/task")
    tids = [int(t.name) for t in tasks.iterdir()] if tasks.exists() else [pid]
    assert {os.getpriority(os.PRIO_PROCESS, tid) for tid in tids} == {min(19, mine + WORKER_NICE)}


def test_banned_openings_change_the_first_token_only_and_repeat_for_a_seed(tiny_engine):
    """``ban_first``: the re-sample of a refused opening must open differently (DRY cannot see a
    repeat at an answer's first token); the ban holds for that position only."""
    greedy = GenerationParams(max_tokens=12, seed=5, temperature=0.0)
    plain = collect(tiny_engine.stream("种子", greedy)).text
    once = replace(greedy, ban_first=[plain])
    other = collect(tiny_engine.stream("种子", once)).text
    assert other and other[:1] != plain.lstrip("\n")[:1]
    assert collect(tiny_engine.stream("种子", once)).text == other
    twice = collect(tiny_engine.stream("种子", replace(greedy, ban_first=[plain, other]))).text
    assert twice[:1] not in (plain.lstrip("\n")[:1], other.lstrip("\n")[:1])
    assert collect(tiny_engine.stream("种子", greedy)).text == plain
    # a token greedy writes later, banned for the first position, leaves the answer as it was
    pieces = [c.text for c in tiny_engine.stream("种子", greedy) if c.text and c.tokens == 1]
    later = next(t for t in pieces[1:] if "\u4e00" <= t[:1] <= "\u9fff" and t[:1] != pieces[0][:1])
    assert collect(tiny_engine.stream("种子", replace(greedy, ban_first=[later]))).text == plain
    # marks do not open an answer: the first word of a refused "“…" is barred until a word comes
    plain = collect(tiny_engine.stream("写作", greedy)).text
    pieces = [c.text for c in tiny_engine.stream("写作", greedy) if c.text and c.tokens == 1]
    word_at = next(i for i, t in enumerate(pieces) if any(c.isalnum() for c in t))
    assert word_at > 0  # the synthetic model opens with a control character here, then "里"
    marked = collect(tiny_engine.stream("写作", replace(greedy, ban_first=["“" + pieces[word_at]]))).text
    assert marked != plain and marked.startswith("".join(pieces[:word_at]))
