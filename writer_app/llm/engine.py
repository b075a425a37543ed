"""The small interface the rest of the app uses to talk to a language model.

``Engine.stream(messages, params, cancel)`` yields :class:`Chunk` objects: text chunks that
always hold whole characters, then exactly one final chunk with a :class:`FinishReason`
and :class:`GenerationStats`.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol, TypedDict


class FinishReason(StrEnum):
    STOP = "stop"  # the model ended its answer (end-of-generation token or stop string)
    LENGTH = "length"  # max_tokens reached, or the context window is full
    CANCELLED = "cancelled"  # the caller asked us to stop
    LOOP = "loop"  # the loop guard saw degenerate repetition
    ERROR = "error"  # something failed; Chunk.message says what


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


# llama-cpp-python unrolls maxLength into nested grammar rules; llama.cpp refuses (and the
# sampler crashes) somewhere between 1000 and 1500 nested levels. Stay at or below 1000.
MAX_STRING_MAX_LENGTH = 1000
DEFAULT_STRING_MAX_LENGTH = 1000


@dataclass
class GenerationParams:
    max_tokens: int = 512
    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # llama.cpp's DRY sampler ("don't repeat yourself"): a token that would extend a sequence
    # already in the context past ``dry_allowed_length`` tokens is penalised by
    # multiplier * base ** (length - allowed). 0 switches it off. It reaches the whole context,
    # the prompt included, so it also discourages copying the plan.
    dry_multiplier: float = 0.0
    dry_base: float = 1.75
    dry_allowed_length: int = 2
    dry_penalty_last_n: int = -1  # -1: the whole context
    # Texts the DRY sampler treats as already written (sentences the draft's guard refused), so a
    # re-sample is pushed off them as they begin to reappear. Local engine only.
    avoid: list[str] = field(default_factory=list)
    # Openings the answer must not take again (refused sentences at the point it starts from):
    # the first token of each and of its first word, and the end of the answer, are banned until
    # the answer's first word, and never after. DRY cannot see such a repeat: at its first token
    # nothing is shared yet, so a re-sample of a refused opening wrote it again four times
    # running. Local engine only.
    ban_first: list[str] = field(default_factory=list)
    seed: int = -1  # -1: random; fixed seeds repeat exactly
    stop: list[str] = field(default_factory=list)
    json_schema: dict[str, Any] | None = None  # constrain the output to this JSON schema
    # The JSON without optional whitespace, and what the schema fixes (keys, brackets) written
    # without sampling: fewer decode steps (local engine; see writer_app/llm/jsonforce.py).
    json_compact: bool = False
    loop_guard: bool = True
    loop_min_repeats: int = 4
    # Continue the last assistant message instead of starting a new one (drafting from a cursor).
    continue_last: bool = False
    # Let a hybrid thinking model (Qwen3) think first: the chat template's enable_thinking. Off by
    # default; whatever is thought reaches the caller only as Chunk.thinking, never as text.
    thinking: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationStats:
    prompt_tokens: int = 0  # the whole prompt
    prompt_tokens_cached: int = 0  # reused from the previous request (prefix reuse)
    prompt_tokens_evaluated: int = 0  # actually processed this time
    completion_tokens: int = 0
    thinking_tokens: int = 0  # of completion_tokens, those inside <think>…</think>
    load_s: float = 0.0  # model load time paid by this request (0 when already loaded)
    ttft_s: float = 0.0  # request start → first text
    prompt_s: float = 0.0  # prompt processing time
    gen_s: float = 0.0  # first token → last token
    total_s: float = 0.0

    @property
    def gen_tps(self) -> float:
        """Generation tokens/s, first token excluded (its time is prompt processing)."""
        return (
            (self.completion_tokens - 1) / self.gen_s
            if self.completion_tokens > 1 and self.gen_s > 0
            else 0.0
        )

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens_evaluated / self.prompt_s if self.prompt_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["gen_tps"] = round(self.gen_tps, 2)
        d["prompt_tps"] = round(self.prompt_tps, 2)
        return d


@dataclass
class Chunk:
    """Streamed text (whole characters only) or, when ``finish_reason`` is set, the end."""

    text: str = ""
    tokens: int = 0
    thinking: str = ""  # what a thinking model thought (never part of ``text``)
    finish_reason: FinishReason | None = None
    stats: GenerationStats | None = None
    message: str = ""  # the one-line reason for ERROR or LOOP

    @property
    def done(self) -> bool:
        return self.finish_reason is not None


class CancelToken:
    """Thread-safe cancel flag. ``cancel()`` may be called from any thread (a GUI's Stop button).

    Engines register a callback so a cancel reaches native code at once, not at the next poll.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks = list(self._callbacks)
        for cb in callbacks:
            cb()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking at once on a cancel; True if cancelled."""
        return self._event.wait(timeout)

    def on_cancel(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run ``callback`` when cancelled (at once if already). Returns an unregister function."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def remove() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return remove
        callback()
        return lambda: None


class Engine(Protocol):
    def stream(
        self,
        messages: list[Message] | str,
        params: GenerationParams | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Chunk]: ...

    def close(self) -> None: ...


class LoadableEngine(Engine, Protocol):
    """An engine whose model can be loaded ahead of the first request (the local worker, a
    server that is asked for its model): what the model host keeps."""

    def load(self, cancel: CancelToken | None = None) -> dict[str, Any]: ...


@dataclass
class Completion:
    text: str
    finish_reason: FinishReason
    stats: GenerationStats
    message: str = ""


@contextlib.contextmanager
def opened(stream: Iterator[Chunk]) -> Iterator[Iterator[Chunk]]:
    """``stream``, closed when the block ends, however it ends: closing an engine's stream early
    stops the request (the worker, or the server's socket, is free for the next one)."""
    try:
        yield stream
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def collect(chunks: Iterator[Chunk]) -> Completion:
    """Drain a stream into one :class:`Completion`."""
    parts: list[str] = []
    for chunk in chunks:
        if chunk.done:
            assert chunk.finish_reason is not None
            return Completion(
                "".join(parts), chunk.finish_reason, chunk.stats or GenerationStats(), chunk.message
            )
        parts.append(chunk.text)
    return Completion("".join(parts), FinishReason.ERROR, GenerationStats(), "stream ended without a result")


def with_string_limits(
    schema: dict[str, Any], default_max: int = DEFAULT_STRING_MAX_LENGTH
) -> dict[str, Any]:
    """Return a copy of ``schema`` where every ``"type": "string"`` has a ``maxLength``.

    Small models can loop forever inside a JSON string; a length bound in the grammar stops that.
    Raises ValueError for a bound the grammar engine cannot take.
    """
    if not isinstance(schema, dict):
        raise ValueError("JSON schema must be an object")
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            t = node.get("type")
            is_string = t == "string" or (isinstance(t, list) and "string" in t)
            if is_string and "enum" not in node and "const" not in node:
                limit = node.setdefault("maxLength", default_max)
                if not isinstance(limit, int) or limit > MAX_STRING_MAX_LENGTH:
                    raise ValueError(
                        f"JSON schema string maxLength={limit!r} is over the grammar limit of {MAX_STRING_MAX_LENGTH}"
                    )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


def bound_schema(params: GenerationParams) -> GenerationParams | Chunk:
    """``params`` with :func:`with_string_limits` applied to its JSON schema, or, for a schema the
    grammar engine cannot take, the final ERROR chunk an engine yields instead of generating."""
    if params.json_schema is None:
        return params
    try:
        return replace(params, json_schema=with_string_limits(params.json_schema))
    except ValueError as exc:
        return Chunk(
            finish_reason=FinishReason.ERROR,
            message=f"JSON schema 无效 (invalid schema): {exc}",
            stats=GenerationStats(),
        )
