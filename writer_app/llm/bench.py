"""``writer-app bench``: raw llama-cpp-python vs the app's engine, on one model, in one run.

The figures are ratios taken in the same run on the same thread count, because these
machines are shared and noisy. Keys of the JSON object are stable: ``raw_tg_tps``,
``app_tg_tps``, ``tg_ratio``, ``raw_pp_tps``, ``ttft_cold_s``, ``ttft_warm_s``, ``cancel_ms``,
``load_s`` and more.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams, Message, collect
from writer_app.llm.gguf_info import GGUFInfo
from writer_app.llm.worker import LocalEngine, WorkerConfig

NOMINAL_BW_GBS = 30.0  # memory bandwidth measured on the project's 2-core machines


def measure_memory_bandwidth(n_threads: int, mb: int = 256, rounds: int = 3) -> float:
    """Read bandwidth in GB/s with ``n_threads`` threads summing separate arrays (numpy drops the GIL)."""
    import numpy as np

    arrays = [np.ones(mb * (1 << 20) // 8, dtype=np.float64) for _ in range(n_threads)]
    best = 0.0
    for _ in range(rounds):
        threads = [threading.Thread(target=a.sum) for a in arrays]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        best = max(best, sum(a.nbytes for a in arrays) / (time.perf_counter() - t0) / 1e9)
    return best


CHARS_PER_TOKEN = 1.3  # Chinese prose in Qwen-style tokenizers; the real count is reported


def _text_of_tokens(unit: str, target_tokens: int) -> str:
    """Numbered copies of ``unit`` (never an exact loop), about ``target_tokens`` long."""
    want = int(target_tokens * CHARS_PER_TOKEN)
    parts: list[str] = []
    total = 0
    i = 0
    while total < want:
        i += 1
        piece = f"（{i}）{unit}"
        parts.append(piece[: want - total] if total + len(piece) > want else piece)
        total += len(parts[-1])
    return "\n".join(parts)


def _cancel_latency_ms(
    engine: LocalEngine, prompt: str, params: GenerationParams, delay_s: float, *, after_first_text: bool
) -> float | None:
    """Cancel ``delay_s`` after the request starts (or after its first text); ms until the stream ends.

    None when there was nothing to measure: the stream ended some other way, or, when timing a
    cancel inside prompt processing, tokens were already generated.
    """
    token = CancelToken()
    fired: list[float] = []
    token.on_cancel(lambda: fired.append(time.perf_counter()))
    timer = threading.Timer(delay_s, token.cancel)
    started = not after_first_text
    if started:
        timer.start()
    final = None
    for chunk in engine.stream(prompt, params, token):
        if chunk.done:
            final = chunk
            break
        if not started:
            timer.start()
            started = True
    done_at = time.perf_counter()
    timer.cancel()
    if final is None or final.finish_reason is not FinishReason.CANCELLED or not fired:
        return None
    if not after_first_text and final.stats is not None and final.stats.completion_tokens:
        return None
    return (done_at - fired[0]) * 1000


def _measure_speed(
    engine: LocalEngine,
    raw_run: Callable[[str], dict[str, float]],
    raw: dict[str, float],
    tg_prompt: str,
    params: GenerationParams,
    repeats: int,
    out: dict[str, Any],
) -> None:
    """Generation speed through the app's engine against raw llama-cpp-python (into ``out``)."""
    # equal numbers of raw and app runs, interleaved, so drift on a shared machine hits both
    raw_runs = [raw]
    app_tps: list[float] = []
    for i in range(repeats):
        if i > 0:
            raw_runs.append(raw_run("。"))
        c = collect(engine.stream(tg_prompt, params))
        if c.finish_reason is FinishReason.ERROR:
            raise RuntimeError(c.message)
        app_tps.append(c.stats.gen_tps)
        out["app_tg_tokens"] = c.stats.completion_tokens
    best_raw = max(raw_runs, key=lambda r: r["tg_tps"])
    raw_best, app_best = best_raw["tg_tps"], max(app_tps)
    out["raw_tg_tps"] = round(raw_best, 2)
    out["app_tg_tps"] = round(app_best, 2)
    out["tg_ratio"] = round(app_best / raw_best, 4) if raw_best else 0.0
    out["tg_samples"] = repeats
    out["decode_ms_per_token"] = round(best_raw["decode_ms_per_token"], 3)


def _measure_prefix_reuse(engine: LocalEngine, prefix: str, out: dict[str, Any]) -> None:
    """Time to first token for a long prefix, cold and then warm (cached), into ``out``."""
    one = GenerationParams(max_tokens=1, temperature=0.0, loop_guard=False)
    collect(engine.stream("无关的提示，清空缓存。", one))  # make the next request cold

    def ask(question: str) -> Any:
        msgs: list[Message] = [
            {"role": "system", "content": prefix},
            {"role": "user", "content": question},
        ]
        return collect(engine.stream(msgs, one)).stats

    cold = ask("请概括上文的主旨。")
    warm = ask("请为上文拟一个标题。")
    out["prefix_tokens"] = cold.prompt_tokens
    out["ttft_cold_s"] = round(cold.ttft_s or cold.total_s, 4)
    out["ttft_warm_s"] = round(warm.ttft_s or warm.total_s, 4)
    out["warm_prompt_tokens_evaluated"] = warm.prompt_tokens_evaluated
    out["ttft_warm_ratio"] = round(out["ttft_warm_s"] / out["ttft_cold_s"], 4) if out["ttft_cold_s"] else 0.0


def _measure_cancel(
    engine: LocalEngine, tg_prompt: str, passage: str, n_ctx: int, out: dict[str, Any]
) -> None:
    """How long Stop takes, while generating and while a long prompt is read (into ``out``)."""
    # Stop pressed at arbitrary moments (a timer, not aligned with token arrival)
    samples = [
        _cancel_latency_ms(
            engine,
            tg_prompt,
            GenerationParams(max_tokens=100000, seed=k),
            0.15 + 0.0173 * k,
            after_first_text=True,
        )
        for k in range(5)
    ]
    latencies = [ms for ms in samples if ms is not None]
    out["cancel_ms"] = round(max(latencies), 2) if latencies else None
    out["cancel_ms_median"] = round(statistics.median(latencies), 2) if latencies else None
    out["cancel_samples"] = len(latencies)

    # cancel while a long, uncached prompt is being processed (None if it finished first)
    long_prompt = _text_of_tokens(passage[::-1], min(3000, n_ctx // 2))
    pp_ms = _cancel_latency_ms(
        engine, long_prompt, GenerationParams(max_tokens=4), 0.3, after_first_text=False
    )
    out["cancel_pp_ms"] = round(pp_ms, 2) if pp_ms is not None else None
    measured = [v for v in (out.get("cancel_ms"), out["cancel_pp_ms"]) if v is not None]
    out["cancel_max_ms"] = max(measured) if measured else None


def run_bench(
    config: WorkerConfig,
    info: GGUFInfo,
    passage: str,
    *,
    n_gen: int = 128,
    prefix_tokens: int = 1000,
    repeats: int = 2,
    log: Callable[[str], None] = lambda _m: None,
    speed: Any = None,
) -> dict[str, Any]:
    """``speed``: the catalog's SpeedModel; the app's speed estimate for this model and machine
    is then checked against the generation measured here (``speed_estimate_ratio``)."""
    from writer_app.llm import llama_backend

    passage = passage.strip()  # resources/bench/passage.txt: the prefix for the warm TTFT
    params = GenerationParams(max_tokens=n_gen, temperature=0.7, seed=42, repeat_penalty=1.1, loop_guard=True)
    tg_prompt = "请写一篇关于“坚持”的高考作文，不少于800字。\n\n"
    out: dict[str, Any] = {
        "model": info.name,
        "model_path": config.model_path,
        "model_bytes": info.size_bytes,
        "quantization": info.quantization,
        "n_threads": config.n_threads,
        "n_ctx": config.n_ctx,
        "n_gen": n_gen,
    }

    log("测量内存带宽 (memory bandwidth)…")
    bw = measure_memory_bandwidth(config.n_threads)
    out["mem_bw_gbs"] = round(bw, 2)

    log("原始 llama-cpp-python 基准 (raw llama-cpp-python)…")

    def raw_run(pp_text: str) -> dict[str, float]:
        return llama_backend.raw_benchmark(
            config.model_path,
            n_ctx=config.n_ctx,
            n_threads=config.n_threads,
            n_batch=config.n_batch,
            pp_text=pp_text,
            tg_prompt=tg_prompt,
            n_gen=n_gen,
            params=params,
        )

    prefix = _text_of_tokens(passage, prefix_tokens)
    raw = raw_run(prefix)
    out["load_s"] = round(raw["load_s"], 4)
    out["raw_pp_tps"] = round(raw["pp_tps"], 2)
    out["raw_pp_tokens"] = raw["pp_tokens"]

    log("应用引擎基准 (app engine: worker process, streaming, loop guard)…")
    with LocalEngine(config) as engine:
        t0 = time.perf_counter()
        engine.load()
        out["app_load_s"] = round(time.perf_counter() - t0, 4)

        _measure_speed(engine, raw_run, raw, tg_prompt, params, repeats, out)
        log("前缀复用 (prefix reuse: cold vs warm time to first token)…")
        _measure_prefix_reuse(engine, prefix, out)
        log("取消延迟 (cancel latency)…")
        _measure_cancel(engine, tg_prompt, passage, config.n_ctx, out)
    bound = (bw if bw > 0 else NOMINAL_BW_GBS) * 1e9 / info.size_bytes
    out["bw_bound_tps"] = round(bound, 2)
    out["nominal_bw_bound_tps"] = round(NOMINAL_BW_GBS * 1e9 / info.size_bytes, 2)
    out["app_vs_bw_bound"] = round(out["app_tg_tps"] / bound, 4) if bound else 0.0
    if speed is not None:  # the estimate models list shows, from the same probe it uses
        from writer_app.llm.fit import measure_bandwidth

        estimate = speed.tokens_per_s(measure_bandwidth(), info.size_bytes)
        out["speed_estimate_tps"] = round(estimate, 2)
        out["speed_estimate_ratio"] = round(out["app_tg_tps"] / estimate, 3) if estimate else None
    if out["raw_tg_tps"]:
        out["token_ms"] = round(1000 / out["raw_tg_tps"], 3)
        # the weights streamed once per token at the measured bandwidth
        out["weights_read_ms_at_bw"] = round(info.size_bytes / (bw * 1e9) * 1000, 3) if bw > 0 else None
    return out
