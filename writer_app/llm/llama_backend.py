"""The one module that imports ``llama_cpp`` (lazily). It runs inside the worker process.

It turns a prompt into a stream of events:
``{"op": "text", "text", "tokens"}`` … then one ``{"op": "done", "reason", "stats", "message"}``.
Text events hold whole UTF-8 characters only: token bytes go through an incremental decoder.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any, cast

from writer_app.llm.engine import FinishReason, GenerationParams, GenerationStats, with_string_limits
from writer_app.llm.jsonforce import JsonCursor
from writer_app.llm.loopguard import LoopGuard
from writer_app.llm.protocol import DoneEvent, GenerationEvent, TextEvent
from writer_app.llm.thinking import ONLY_THOUGHT, ThinkSplitter

_LOG_LINES: deque[str] = deque(maxlen=200)
_LOG_CALLBACK: Any = None  # keep the ctypes callback alive


def _install_log_capture(llama_cpp: Any) -> None:
    """Route llama.cpp's log into a small ring buffer, so load errors can name their cause."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return

    @llama_cpp.llama_log_callback
    def _log(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        # WARN and ERROR: 2 and 3 in older ggml, 3 and 4 since it gained DEBUG = 1 (INFO is 1 or 2)
        if level in (2, 3, 4):
            line = text.decode("utf-8", "replace").strip()
            if line:
                _LOG_LINES.append(line)

    _LOG_CALLBACK = _log
    llama_cpp.llama_log_set(_log, ctypes.c_void_p(0))


class NativeError(RuntimeError):
    """llama.cpp refused: the message is a one-line reason for the user (no type name)."""

    user_facing = True


def last_native_error() -> str:
    for line in reversed(_LOG_LINES):
        if "unknown model architecture" in line:  # the cause, though later lines follow it
            return line
    for line in reversed(_LOG_LINES):
        if "error" in line.lower() or "failed" in line.lower():
            return line
    return _LOG_LINES[-1] if _LOG_LINES else ""


def backend_info() -> dict[str, Any]:
    """What this build of llama.cpp can do: GPU offload, and its CPU/GPU feature line."""
    import llama_cpp

    system = llama_cpp.llama_print_system_info()
    return {
        "llama_cpp_python": getattr(llama_cpp, "__version__", ""),
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "system_info": (
            system.decode("utf-8", "replace") if isinstance(system, bytes) else str(system)
        ).strip(),
    }


def split_at_stop(pending: str, stops: list[str]) -> tuple[str, str, bool]:
    """Split decoded text into (safe to emit, held back, stop string found).

    Text before a stop string is emitted and the rest dropped; otherwise only a tail that could
    still grow into a stop string is held back.
    """
    if not stops:
        return pending, "", False
    hits = [i for i in (pending.find(s) for s in stops) if i >= 0]
    if hits:
        return pending[: min(hits)], "", True
    keep = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(pending)), keep, -1):
            if pending.endswith(s[:k]):
                keep = k
                break
    return pending[: len(pending) - keep], pending[len(pending) - keep :], False


# llama-cpp-python's converter lets raw control characters into strings; strict JSON forbids them
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


def json_grammar(schema: dict[str, Any], compact: bool = False) -> Any:
    """A GBNF grammar for ``schema`` whose output always parses with strict ``json.loads``.
    ``compact``: no whitespace between tokens of JSON (what :class:`JsonCursor` follows)."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    text = json_schema_to_gbnf(json.dumps(with_string_limits(schema), ensure_ascii=False))
    if compact:
        text = re.sub(r"^space ::= .*$", 'space ::= ""', text, flags=re.MULTILINE)
    return LlamaGrammar.from_string(text.replace(_LOOSE_CHAR, _STRICT_CHAR), verbose=False)


def sampling_kwargs(params: GenerationParams) -> dict[str, Any]:
    """``Llama.generate`` sampler arguments; the engine and the raw benchmark share them."""
    return {
        "top_k": params.top_k,
        "top_p": params.top_p,
        "min_p": params.min_p,
        "temp": params.temperature,
        "repeat_penalty": params.repeat_penalty,
        "presence_penalty": params.presence_penalty,
        "frequency_penalty": params.frequency_penalty,
    }


# DRY matching restarts at these (a line end, a label's colon, quotes, Markdown emphasis)
DRY_BREAKERS = ("\n", "：", ":", "“", "”", '"', "*")
DRY_PROMPT_TOKENS = 4096  # at most this many prompt tokens are shown to the DRY sampler


def sampler_chain(llm: Any, params: GenerationParams, context: list[int], grammar: Any) -> Any:
    """The sampler chain of ``Llama._init_sampler`` with llama.cpp's DRY sampler after the penalties.

    ``Llama.generate`` takes no DRY arguments, and its chain only ever sees the tokens it
    generated. Here the DRY sampler is first shown the prompt (``context``: the plan, the
    earlier parts), so a run copied from it or repeated from an earlier part is penalised as it
    grows, not only a repeat within the same answer. The penalties keep their usual window of
    generated tokens (shown the prompt, they would punish every common word of it).
    ``params.avoid`` (text the caller refused: the text before it and the refused sentence) is
    shown first, so the same continuation is penalised from its first tokens on.
    """
    import llama_cpp
    from llama_cpp import _internals

    chain = _internals.LlamaSampler()
    chain.add_penalties(
        llm.n_vocab(),
        llm.last_n_tokens_size,
        params.repeat_penalty,
        params.frequency_penalty,
        params.presence_penalty,
    )
    if params.dry_multiplier > 0:
        _add_dry(llama_cpp, llm, chain, params, context)
    if params.ban_first:
        _ban_openings(llm, chain, params.ban_first, len(context))
    if grammar is not None:
        chain.add_grammar(llm._model, grammar)
    if params.temperature <= 0:
        chain.add_greedy()
    else:
        chain.add_top_k(params.top_k)
        chain.add_top_p(params.top_p, 1)
        chain.add_min_p(params.min_p, 1)
        chain.add_temp(params.temperature)
        chain.add_dist(llm._seed)
    return chain


def _add_dry(llama_cpp: Any, llm: Any, chain: Any, params: GenerationParams, context: list[int]) -> None:
    breakers = (ctypes.c_char_p * len(DRY_BREAKERS))(*(b.encode("utf-8") for b in DRY_BREAKERS))
    # this llama.cpp's DRY takes no context size: its "-1 = the whole context" looks back over
    # nothing (measured: DRY then changes no token), so the window is given in tokens
    window = params.dry_penalty_last_n if params.dry_penalty_last_n >= 0 else llm.n_ctx()
    dry = llama_cpp.llama_sampler_init_dry(
        llm._model.vocab,
        params.dry_multiplier,
        params.dry_base,
        params.dry_allowed_length,
        window,
        breakers,
        len(DRY_BREAKERS),
    )
    for text in params.avoid:
        for token in llm.tokenize(text.encode("utf-8"), add_bos=False, special=False):
            llama_cpp.llama_sampler_accept(dry, token)
    for token in context[-DRY_PROMPT_TOKENS:]:
        llama_cpp.llama_sampler_accept(dry, token)
    llama_cpp.llama_sampler_chain_add(chain.sampler, dry)


_BLANK = " \t\r\n\u3000"  # what may come before an answer's opening (str.strip's set is wider)


def _worded(piece: bytes) -> bool:
    """Whether a text has words yet: a Han character, a letter or a digit, not only line ends,
    quotes or marks."""
    return any(c.isalnum() for c in piece.decode("utf-8", "replace"))


def _ban_openings(llm: Any, chain: Any, openings: list[str], prompt_len: int) -> None:
    """Ban the first token of each of ``openings`` and of its first word (a refused "“文明人物："
    came back as "### 文明人物："), and the end of the answer, until the answer has its first
    word, and never after: a re-sample must not open the way a refused sentence did, yet may use
    its words later on."""
    banned: set[int] = set()
    for text in openings:
        text = text.strip(_BLANK)
        word = next((i for i, c in enumerate(text) if c.isalnum()), 0)
        for start in {0, word}:
            for token in llm.tokenize(text[start:].encode("utf-8"), add_bos=False, special=False):
                if llm.detokenize([token]).strip(b" "):  # a SentencePiece tokenizer's leading space
                    banned.add(token)
                    break
    if not banned:
        return
    import llama_cpp

    vocab = llm._model.vocab
    # nor may it end before it opens: with its likeliest opening barred, a small model
    # resuming a text often ended the answer at once (an empty turn, then another request)
    banned |= {t for t in (llama_cpp.llama_vocab_eos(vocab), llama_cpp.llama_vocab_eot(vocab)) if t >= 0}
    begun = False

    def apply(cur_p: Any) -> None:
        nonlocal begun
        if begun:
            return
        n = llm.n_tokens
        if n > prompt_len and _worded(llm.detokenize(llm.input_ids[prompt_len:n].tolist())):
            begun = True
            return
        arr = cur_p.contents
        data = arr.data
        for token in banned:  # before any sorting sampler the candidates are in vocabulary order
            if token < arr.size and data[token].id == token:
                data[token].logit = -math.inf
                continue
            for i in range(arr.size):
                if data[i].id == token:
                    data[i].logit = -math.inf
                    break

    chain.add_custom(apply)


class CheckedGrammar:
    """Grammar-constrained sampling that consults the grammar only where it must, as llama.cpp's
    own ``common_sampler`` does: the chain draws a token as if unconstrained; if the grammar
    accepts it, it is kept; if it refuses it, the chain draws again among the allowed tokens only
    (see :meth:`_redraw`). Without truncation this is exactly the constrained distribution (a
    refused draw's share goes to the allowed tokens in proportion); top-k, top-p and min-p on the
    whole vocabulary can shift it slightly towards the allowed tokens the model likes best.

    Why: with the grammar inside the chain, llama.cpp matches every one of the 152k candidates of
    a Qwen vocabulary against the grammar on every token. On 2 cores that made JSON answers (the
    critique, a JSON 构思) 17.5 tok/s against 29 tok/s unconstrained; checking one token costs
    microseconds. ``sample`` takes the place of ``Llama.sample`` for one request."""

    LIKELY = 4096  # a refused draw is redrawn among this many of the likeliest tokens first

    def __init__(self, llama_cpp: Any, llm: Any, chain: Any, grammar: Any) -> None:
        import numpy as np

        self._c = llama_cpp
        self._chain = chain.sampler
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._grammar:
            raise NativeError("llama.cpp 无法解析 JSON 语法 (grammar rejected)")
        self._ctx = llm._ctx.ctx
        self._n_vocab = llm.n_vocab()
        dtype = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])
        self._data = np.zeros(self._n_vocab, dtype=dtype)
        self._ids = np.arange(self._n_vocab, dtype=np.int32)
        self._np = np
        pointer = ctypes.cast(self._data.ctypes.data, llama_cpp.llama_token_data_p)
        self._all = llama_cpp.llama_token_data_array(pointer, self._n_vocab, -1, False)
        self._one_data = (llama_cpp.llama_token_data * 1)()
        self._one = llama_cpp.llama_token_data_array(self._one_data, 1, -1, False)

    @staticmethod
    def fits(llama_cpp: Any) -> bool:
        """The numpy view matches llama.cpp's token record (else the grammar stays in the chain)."""
        return ctypes.sizeof(llama_cpp.llama_token_data) == 12

    def _fill(self, idx: int) -> None:
        logits = self._c.llama_get_logits_ith(self._ctx, idx)
        self._data["id"] = self._ids
        self._data["logit"] = self._np.ctypeslib.as_array(logits, shape=(self._n_vocab,))
        self._data["p"] = 0.0
        self._all.size, self._all.selected, self._all.sorted = self._n_vocab, -1, False

    def _pick(self) -> int:
        self._c.llama_sampler_apply(self._chain, ctypes.byref(self._all))
        return int(self._data["id"][self._all.selected])

    def _draw(self, idx: int) -> int:
        self._fill(idx)
        return self._pick()

    def _redraw(self, idx: int) -> int:
        """A draw among the allowed tokens: the grammar is tried on the ``LIKELY`` likeliest
        tokens first, and on the whole vocabulary only when none of those is allowed (a key the
        model would never write). The chain keeps at most ``top_k`` (40) of what is allowed, so
        a token outside the likeliest thousands never had a real chance anyway. Measured on the
        demo model: a refused draw in 3.6 ms (256 first: 8.2 ms; the whole vocabulary: 21 ms)."""
        self._fill(idx)
        n = self.LIKELY
        if n < self._n_vocab:
            likely = self._np.argpartition(self._data["logit"], -n)[-n:]
            self._data[:n] = self._data[likely]
            self._all.size = n
            self._c.llama_sampler_apply(self._grammar, ctypes.byref(self._all))
            if not self._np.isneginf(self._data["logit"][:n]).all():
                return self._pick()
            self._fill(idx)
        self._c.llama_sampler_apply(self._grammar, ctypes.byref(self._all))
        return self._pick()

    def _allowed(self, token: int) -> bool:
        self._one_data[0].id, self._one_data[0].logit, self._one_data[0].p = token, 0.0, 0.0
        self._one.size, self._one.selected, self._one.sorted = 1, -1, False
        self._c.llama_sampler_apply(self._grammar, ctypes.byref(self._one))
        return bool(self._one_data[0].logit != float("-inf"))

    def _accept(self, token: int) -> None:
        self._c.llama_sampler_accept(self._grammar, token)
        self._c.llama_sampler_accept(self._chain, token)

    def force(self, token: int) -> bool:
        """``token`` written without sampling, if the grammar allows it there (else False)."""
        if not self._allowed(token):
            return False
        self._accept(token)
        return True

    def sample(self, idx: int) -> int:
        token = self._draw(idx)
        if not self._allowed(token):
            token = self._redraw(idx)
        self._accept(token)
        return token

    def close(self) -> None:
        if self._grammar:
            self._c.llama_sampler_free(self._grammar)
            self._grammar = None


def open_llama(
    model_path: str, *, n_ctx: int, n_threads: int, n_gpu_layers: int = 0, n_batch: int = 512
) -> tuple[Any, float]:
    """Load a model with the app's settings. Returns (Llama, seconds); raises RuntimeError with llama.cpp's reason."""
    import llama_cpp

    _install_log_capture(llama_cpp)
    _LOG_LINES.clear()  # this load's lines only
    t0 = time.perf_counter()
    try:
        llm = llama_cpp.Llama(
            model_path=model_path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_gpu_layers=n_gpu_layers,
            n_batch=n_batch,
            n_ubatch=n_batch,
            # the repeat penalty looks back this many tokens (the library's 64 is under one
            # paragraph of Chinese, so a small model happily repeats the paragraph before)
            last_n_tokens_size=PENALTY_WINDOW,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        detail = last_native_error() or str(exc)
        unknown = re.search(r"unknown model architecture: '([^']*)'", detail)
        if unknown:  # a newer model than this build: say which, and what would load it
            version = getattr(llama_cpp, "__version__", "?")
            raise NativeError(
                f"这个 llama.cpp（llama-cpp-python {version}）不认识模型架构 {unknown.group(1)}，"
                f"请升级 llama-cpp-python 或换一个模型 (unknown model architecture {unknown.group(1)!r}"
                f" for llama-cpp-python {version})"
            ) from exc
        raise NativeError(f"llama.cpp 无法加载模型 (cannot load model): {detail}") from exc
    return llm, time.perf_counter() - t0


PENALTY_WINDOW = 256


class PromptTooLong(Exception):
    def __init__(self, prompt_tokens: int, n_ctx: int) -> None:
        super().__init__(prompt_tokens, n_ctx)
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


class _TextOut:
    """One request's decoded text on its way out: whole UTF-8 characters only (an incomplete
    sequence decodes to "" until its last byte arrives), a thinking model's <think> blocks taken
    out, and a tail that may still become a stop string held back."""

    def __init__(self, stops: list[str]) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.think = ThinkSplitter()
        self.stops = stops
        self.pending = ""

    def add(self, piece: bytes) -> tuple[str, str, bool]:
        """(text to send now, thought, whether a stop string ended the answer)."""
        text = self.decoder.decode(piece)
        if not text:
            return "", "", False
        shown, thought = self.think.feed(text)
        if not shown:
            return "", thought, False
        self.pending += shown
        out, self.pending, hit = split_at_stop(self.pending, self.stops)
        return out, thought, hit

    def rest(self) -> tuple[str, str]:
        """What is still held back when the answer ends: (text, thought)."""
        shown, thought = self.think.finish()
        rest, self.pending = self.pending + shown, ""
        return rest, thought


def _text_event(text: str, thought: str, tokens: int) -> TextEvent:
    event = TextEvent(op="text", text=text, tokens=tokens)
    if thought:
        event["thinking"] = thought
    return event


class LlamaBackend:
    """Owns one ``llama_cpp.Llama``. Not thread-safe: the worker calls it from one thread."""

    def __init__(
        self,
        model_path: str,
        *,
        n_ctx: int,
        n_threads: int,
        n_gpu_layers: int = 0,
        n_batch: int = 512,
        fallback_chat_template: str = "",
    ) -> None:
        import llama_cpp
        from llama_cpp import llama_chat_format

        self._llama_cpp = llama_cpp
        self.llm, self.load_s = open_llama(
            model_path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers, n_batch=n_batch
        )
        self.n_ctx = self.llm.n_ctx()
        self.n_ctx_train = self.llm._model.n_ctx_train()
        self._vocab = self.llm._model.vocab
        self._piece_buf = ctypes.create_string_buffer(256)
        template = self.llm.metadata.get("tokenizer.chat_template") or fallback_chat_template
        eos = self.llm.token_eos()
        bos = self.llm.token_bos()
        self._formatter = None
        if template:
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=self.llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=self.llm._model.token_get_text(bos) if bos != -1 else "",
                stop_token_ids=[eos],
            )
        self._abort_flag: Callable[[], bool] = lambda: False
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(self._abort_flag()))
        self._abort_on = False
        self._checked: CheckedGrammar | None = None  # this request's grammar check, if any
        self._cursor: JsonCursor | None = None  # a compact JSON request's cursor (jump-forward)

    # -- info ---------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {
            "n_ctx": self.n_ctx,
            "n_ctx_train": self.n_ctx_train,
            "n_vocab": self.llm.n_vocab(),
            "load_s": round(self.load_s, 4),
            "has_chat_template": self._formatter is not None,
            "gpu_offload_supported": bool(self._llama_cpp.llama_supports_gpu_offload()),
        }

    def close(self) -> None:
        self._set_abort(False)
        self.llm.close()

    # -- helpers ------------------------------------------------------------------------------
    def _set_abort(self, on: bool) -> None:
        """The abort callback lets a cancel interrupt prompt processing between graph nodes.

        It runs Python on every graph node, so it is switched off once tokens stream
        (between tokens, cancel is checked after each token anyway).
        """
        if on == self._abort_on:
            return
        cb = self._abort_cb if on else self._llama_cpp.ggml_abort_callback()
        self._llama_cpp.llama_set_abort_callback(self.llm.ctx, cb, None)
        self._abort_on = on

    def _piece(self, token: int) -> bytes:
        n = self._llama_cpp.llama_token_to_piece(self._vocab, token, self._piece_buf, 256, 0, False)
        return self._piece_buf.raw[:n] if n > 0 else b""

    def tokenize_prompt(
        self, prompt: list[dict[str, str]] | str, continue_last: bool, thinking: bool = False
    ) -> tuple[list[int], list[str]]:
        """Chat messages → tokens with the model's own template (or the fallback); str → raw.
        ``thinking`` is the template's ``enable_thinking`` (Qwen3's switch; other templates
        ignore it): off, a hybrid model answers at once."""
        if isinstance(prompt, str):
            return self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False), []
        messages = list(prompt)
        tail = ""
        if continue_last and messages and messages[-1]["role"] == "assistant":
            tail = messages.pop()["content"]
        if self._formatter is None:
            raise NativeError("模型没有对话模板 (the model has no chat template)")
        result = self._formatter(messages=cast(Any, messages), enable_thinking=thinking)
        text = result.prompt + tail
        stops = result.stop if isinstance(result.stop, list) else ([result.stop] if result.stop else [])
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=not result.added_special, special=True)
        return tokens, [s for s in stops if s]

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many prompt tokens ``Llama.generate`` will reuse from the KV cache (same rule)."""
        llm = self.llm
        if llm.n_tokens <= 0:
            return 0
        longest = 0
        for a, b in zip(llm._input_ids, tokens, strict=False):
            if a != b:
                break
            longest += 1
        consumed = longest == len(tokens)
        if consumed and llm.n_tokens == len(tokens) and not llm._requires_eval:
            return len(tokens)
        reuse = longest - 1 if consumed else longest
        return max(reuse, 0)

    # -- generation ---------------------------------------------------------------------------
    def _prepare(
        self, prompt: list[dict[str, str]] | str, params: GenerationParams, stats: GenerationStats
    ) -> tuple[list[int], list[str], int, Any]:
        """One request's tokens, stop strings, token bound and grammar; the seed and the sampler
        chain are set on the model, and the prompt's cached share is counted in ``stats``."""
        tokens, template_stops = self.tokenize_prompt(prompt, params.continue_last, params.thinking)
        stats.prompt_tokens = len(tokens)
        if len(tokens) >= self.n_ctx:
            raise PromptTooLong(len(tokens), self.n_ctx)
        max_tokens = min(params.max_tokens, self.n_ctx - len(tokens))
        stats.prompt_tokens_cached = self.cached_prefix(tokens)
        stats.prompt_tokens_evaluated = len(tokens) - stats.prompt_tokens_cached
        schema, grammar, self._cursor = params.json_schema, None, None
        if schema is not None:
            compact = params.json_compact and CheckedGrammar.fits(self._llama_cpp)
            grammar = json_grammar(schema, compact)
            self._cursor = JsonCursor(with_string_limits(schema)) if compact else None
        seed = params.seed if params.seed >= 0 else random.randrange(2**31)
        self.llm.set_seed(seed)
        stops = [s for s in (*params.stop, *template_stops) if s]
        self._checked = None
        for name in ("_init_sampler", "sample"):
            self.llm.__dict__.pop(name, None)
        if grammar is not None and CheckedGrammar.fits(self._llama_cpp):
            # the grammar is checked against the token drawn, not applied to the whole vocabulary
            chain = sampler_chain(self.llm, params, tokens, None)
            checked = self._checked = CheckedGrammar(self._llama_cpp, self.llm, chain, grammar)
            llm = self.llm
            llm._init_sampler = lambda **_kw: chain
            llm.sample = lambda idx=None, **_kw: checked.sample(-1 if idx is None else idx - llm.n_tokens)
            grammar = None
        elif params.dry_multiplier > 0 or params.ban_first:
            # Llama.generate builds its chain through _init_sampler: this request's chain has DRY
            # and the banned openings
            self.llm._init_sampler = lambda **_kw: sampler_chain(self.llm, params, tokens, grammar)
        return tokens, stops, max_tokens, grammar

    def _forward(
        self, tokens: list[int], checked: CheckedGrammar, cursor: JsonCursor
    ) -> Generator[int, None, None]:
        """``Llama.generate`` for a compact JSON answer, with jump-forward: what the schema fixes
        (keys, brackets, the rest of a band's name) is written without sampling and evaluated in
        one batch with the token before it, and the answer ends as its last bracket closes (no
        decode step for the end token). Prefix reuse follows ``Llama.generate``'s rule."""
        llm = self.llm
        reuse = min(self.cached_prefix(tokens), len(tokens) - 1)
        if reuse <= 0 or not llm._ctx.kv_cache_seq_rm(-1, reuse, -1):
            llm.reset()
            reuse = 0
        llm.n_tokens = reuse
        batch = tokens[reuse:]
        while True:
            forced = self._forced(checked, cursor)
            if cursor.complete:  # the answer ends with what was forced: nothing left to evaluate
                yield from forced
                yield llm.token_eos()
                return
            llm.eval(batch + forced)
            yield from forced
            token = checked.sample(-1)
            yield token
            cursor.feed(self._piece(token))
            batch = [token]

    def _forced(self, checked: CheckedGrammar, cursor: JsonCursor) -> list[int]:
        """The tokens of what the schema fixes next, accepted by the grammar (the cursor goes
        quiet at the first the grammar refuses: it never overrules the grammar)."""
        data = cursor.forced()
        tokens = self.llm.tokenize(data, add_bos=False, special=False) if data else []
        pieces = [self._piece(t) for t in tokens]
        if pieces and pieces[0] == b" " and not data.startswith(b" "):
            tokens, pieces = tokens[1:], pieces[1:]  # a SentencePiece tokenizer's space before the text
        if b"".join(pieces) != data:
            return []  # tokens that are not exactly the text: nothing is forced this time
        # the last token is left to the model (the grammar still fixes its text): it may merge
        # with what comes after it (``":["`` is one token), and a model shown ``":[`` alone
        # writes an empty list, since in its training text a quote would have merged into it
        out: list[int] = []
        for token in tokens[:-1]:
            if not checked.force(token):
                cursor.active = False
                return out
            out.append(token)
        cursor.feed(b"".join(pieces[: len(out)]))
        return out

    def _close_stats(
        self, stats: GenerationStats, reason: FinishReason, t_start: float, t_first: float, t_last: float
    ) -> None:
        if reason is FinishReason.CANCELLED and stats.completion_tokens == 0:
            # aborted inside prompt processing: only finished batches stay cached
            stats.prompt_tokens_evaluated = max(0, self.llm.n_tokens - stats.prompt_tokens_cached)
        stats.gen_s = (t_last - t_first) if stats.completion_tokens > 1 else 0.0
        stats.total_s = time.perf_counter() - t_start

    def generate(
        self,
        prompt: list[dict[str, str]] | str,
        params: GenerationParams,
        is_cancelled: Callable[[], bool],
    ) -> Iterator[GenerationEvent]:
        t_start = time.perf_counter()
        stats = GenerationStats()
        tokens, stops, max_tokens, grammar = self._prepare(prompt, params, stats)
        guard = LoopGuard(min_repeats=params.loop_min_repeats) if params.loop_guard else None
        text_out = _TextOut(stops)
        vocab_is_eog = self._llama_cpp.llama_vocab_is_eog

        unsent = 0  # tokens whose text has not been sent yet
        reason = FinishReason.LENGTH
        message = ""
        t_first = t_last = 0.0
        self._abort_flag = is_cancelled
        self._set_abort(True)
        gen: Generator[int, Any, None]
        if self._cursor is not None and self._checked is not None:
            gen = self._forward(tokens, self._checked, self._cursor)
        else:
            gen = self.llm.generate(tokens, grammar=grammar, **sampling_kwargs(params))
        try:
            if max_tokens <= 0:
                reason = FinishReason.LENGTH
            else:
                for token in gen:
                    now = time.perf_counter()
                    if stats.completion_tokens == 0:
                        t_first = now
                        stats.prompt_s = now - t_start
                        self._set_abort(False)
                    t_last = now
                    if vocab_is_eog(self._vocab, token):
                        reason = FinishReason.STOP
                        break
                    stats.completion_tokens += 1
                    unsent += 1
                    thinking = text_out.think.inside
                    out, thought, hit = text_out.add(self._piece(token))
                    if thinking or thought or text_out.think.inside:
                        stats.thinking_tokens += 1
                    if hit:
                        reason = FinishReason.STOP
                    if out or thought:
                        yield _text_event(out, thought, unsent)
                        unsent = 0
                        if out and guard is not None and guard.feed(out):
                            reason = FinishReason.LOOP
                            message = f"检测到重复循环 (repetition loop): {guard.unit!r}"
                            break
                    if reason is FinishReason.STOP:
                        break
                    if stats.completion_tokens >= max_tokens:
                        reason = FinishReason.LENGTH
                        if max_tokens < params.max_tokens:
                            message = f"上下文已满 (context window of {self.n_ctx} tokens is full)"
                        break
                    if is_cancelled():
                        reason = FinishReason.CANCELLED
                        break
        except RuntimeError as exc:
            if is_cancelled():
                reason = FinishReason.CANCELLED
            else:
                reason = FinishReason.ERROR
                message = f"llama.cpp 推理失败 (inference failed): {last_native_error() or exc}"
        finally:
            gen.close()
            if self._checked is not None:
                self._checked.close()
                self._checked = None
            self._cursor = None
            self._set_abort(False)
            self._abort_flag = lambda: False
        rest, thought = text_out.rest()
        rest = rest if reason is not FinishReason.STOP else ""  # a stop string's start, dropped
        if rest or thought:
            yield _text_event(rest, thought, unsent)
        if text_out.think.only_thought and reason in (FinishReason.STOP, FinishReason.LENGTH):
            reason, message = FinishReason.ERROR, ONLY_THOUGHT  # nothing for the editor
        self._close_stats(stats, reason, t_start, t_first, t_last)
        yield DoneEvent(op="done", reason=reason.value, stats=stats.to_dict(), message=message)


def raw_benchmark(
    model_path: str,
    *,
    n_ctx: int,
    n_threads: int,
    n_batch: int,
    pp_text: str,
    tg_prompt: str,
    n_gen: int,
    params: GenerationParams,
) -> dict[str, float]:
    """Plain llama-cpp-python, in this process, no worker and no app code: the reference figures."""
    import llama_cpp

    llm, load_s = open_llama(model_path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch)
    try:
        pp_tokens = llm.tokenize(pp_text.encode("utf-8"))
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(pp_tokens)
        pp_s = time.perf_counter() - t0
        tokens = llm.tokenize(tg_prompt.encode("utf-8"))
        llm.reset()
        llm.set_seed(params.seed if params.seed >= 0 else 0)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        n = 0
        t_first = t_last = 0.0
        for _tok in llm.generate(tokens, **sampling_kwargs(params)):
            t_last = time.perf_counter()
            if n == 0:
                t_first = t_last
            n += 1
            if n >= n_gen:
                break
        # where a token's time goes: llama_decode vs everything else (sampling, Python)
        ctx_perf = llama_cpp.llama_perf_context(llm.ctx)
        return {
            "load_s": load_s,
            "pp_tokens": len(pp_tokens),
            "pp_tps": len(pp_tokens) / pp_s,
            "tg_tps": (n - 1) / (t_last - t_first) if n > 1 else 0.0,
            "decode_ms_per_token": ctx_perf.t_eval_ms / max(1, ctx_perf.n_eval),
        }
    finally:
        llm.close()
