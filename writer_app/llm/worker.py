"""The inference worker process and the parent-side :class:`LocalEngine` that drives it.

The worker owns the one ``Llama`` and keeps it loaded between requests. If it is killed or
crashes in native code, the current request ends with a clear error, the caller's process keeps
running, and the next request starts a fresh worker. A cancel is written to shared memory that
the worker reads between tokens and inside prompt processing (llama.cpp's abort callback).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from writer_app.errors import ContextOverflowError, ModelError, WriterAppError
from writer_app.llm.engine import (
    CancelToken,
    Chunk,
    FinishReason,
    GenerationParams,
    GenerationStats,
    Message,
    bound_schema,
)
from writer_app.llm.protocol import (
    DoneEvent,
    ErrorReply,
    GenerateRequest,
    InfoReply,
    LoadedReply,
    LoadRequest,
    ReadyReply,
    ShutdownRequest,
)
from writer_app.runtime import ensure_std_streams

POLL_S = 0.02


@dataclass(frozen=True)
class WorkerConfig:
    """Everything the worker needs to load a model; resolved (no zeros meaning "auto")."""

    model_path: str
    n_ctx: int
    n_threads: int
    n_gpu_layers: int = 0
    n_batch: int = 512
    fallback_chat_template: str = ""


# --------------------------------------------------------------------------------------------
# worker side
# --------------------------------------------------------------------------------------------
def _redirect_stderr(log_path: str | None) -> None:
    """Native code prints to fd 2; keep it out of the user's terminal, in a log file instead."""
    if not log_path:
        return
    try:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 2)
        os.close(fd)
    except OSError:
        pass


def _probe_main(conn: Connection, log_path: str | None) -> None:
    """A short-lived process that reports what llama.cpp supports, so that the GUI process never
    loads the native library itself."""
    ensure_std_streams()
    _redirect_stderr(log_path)
    try:
        from writer_app.llm.llama_backend import backend_info

        info: InfoReply = {"op": "info", "info": backend_info()}
        conn.send(info)
    except Exception as exc:  # a broken llama-cpp-python install: reported, not raised
        error: ErrorReply = {"op": "error", "message": f"{type(exc).__name__}: {exc}"}
        conn.send(error)
    conn.close()


def probe_backend(log_path: Path | None = None, timeout_s: float = 60.0) -> dict[str, Any]:
    """llama.cpp's capabilities (``gpu_offload``, ``system_info``), asked in a spawned process.
    Raises WriterAppError (one line) when the library cannot be loaded."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_probe_main,
        args=(child, str(log_path) if log_path else None),
        name="writer-app-probe",
        daemon=True,
    )
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout_s):
            raise WriterAppError("无法读取 llama.cpp 的能力信息：超时 (llama.cpp probe timed out)")
        reply = parent.recv()
    except (EOFError, OSError):
        raise WriterAppError(
            f"llama.cpp 无法加载，进程退出码 {proc.exitcode} (llama.cpp could not be loaded)"
        ) from None
    finally:
        parent.close()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
    if reply.get("op") != "info":
        raise WriterAppError(f"llama.cpp 无法加载 (llama.cpp could not be loaded): {reply.get('message')}")
    return dict(reply["info"])


# The worker's niceness: llama.cpp keeps every core busy, and the window's thread then waited for
# a core. At 10 the window's 5 ms timer was at most 4.6 ms late while the model generated (p99
# 0.7 ms), against 9.8 ms (p99 1.7 ms) at 0, alternating 75 s phases on 2 cores. Generation loses
# nothing when nothing else wants the cores.
WORKER_NICE = 10


def _yield_to_the_window() -> None:
    """Lower this process's priority before llama.cpp starts its threads (they inherit it)."""
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # Windows has no nice; a refusal keeps the default
        pass


def worker_main(conn: Connection, cancel_id: Any, log_path: str | None) -> None:
    """Entry point of the worker process. Serves requests until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _yield_to_the_window()
    ensure_std_streams()  # a windowed bundle's worker starts without them; llama-cpp-python prints
    _redirect_stderr(log_path)
    backend = None
    ready: ReadyReply = {"op": "ready", "pid": os.getpid()}
    conn.send(ready)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        op = msg.get("op")
        try:
            if op == "shutdown":
                break
            if op == "load":
                if backend is not None:  # switching models frees the old one first
                    backend.close()
                    backend = None
                from writer_app.llm.llama_backend import LlamaBackend

                backend = LlamaBackend(**msg["config"])
                loaded: LoadedReply = {"op": "loaded", "info": backend.info()}
                conn.send(loaded)
            elif op == "generate":
                rid = msg["id"]
                if backend is None:
                    none: DoneEvent = {
                        "op": "done",
                        "id": rid,
                        "reason": "error",
                        "stats": {},
                        "message": "no model loaded",
                    }
                    conn.send(none)
                    continue
                from writer_app.llm.llama_backend import PromptTooLong

                params = GenerationParams(**msg["params"])
                try:

                    def stopped(rid: int = rid) -> bool:
                        return bool(cancel_id.value == rid)

                    for event in backend.generate(msg["prompt"], params, stopped):
                        event["id"] = rid
                        conn.send(event)
                except PromptTooLong as exc:
                    overflow: DoneEvent = {
                        "op": "done",
                        "id": rid,
                        "reason": "error",
                        "stats": {},
                        "message": "",
                        "overflow": [exc.prompt_tokens, exc.n_ctx],
                    }
                    conn.send(overflow)
        except Exception as exc:  # report, keep serving: the parent decides what to do
            try:
                failed: ErrorReply = {
                    "op": "error",
                    "id": msg.get("id"),
                    # the adapter's own refusals are one line for the user; anything else is a
                    # fault, named by its type for the log
                    "message": str(exc)
                    if getattr(exc, "user_facing", False)
                    else f"{type(exc).__name__}: {exc}",
                }
                conn.send(failed)
            except (OSError, ValueError):
                break
    if backend is not None:
        backend.close()


# --------------------------------------------------------------------------------------------
# parent side
# --------------------------------------------------------------------------------------------
class WorkerDied(WriterAppError):
    def __init__(self, proc: mp.process.BaseProcess) -> None:
        code = proc.exitcode
        if code is not None and code < 0:
            try:
                self.how = signal.Signals(-code).name
            except ValueError:
                self.how = f"signal {-code}"
        else:
            self.how = f"exit code {code}"
        super().__init__(
            f"推理进程意外退出（{self.how}），下一次请求会自动重启 (the inference worker died; the next request restarts it)"
        )


def _last_chunk(msg: dict[str, Any], t0: float, load_s: float, first_text_at: float) -> Chunk:
    """The chunk that ends a request, from the worker's ``done`` or ``error`` message."""
    if msg["op"] == "error":
        return Chunk(
            finish_reason=FinishReason.ERROR, message=msg.get("message", "error"), stats=GenerationStats()
        )
    if "overflow" in msg:
        n_prompt, n_ctx = msg["overflow"]
        err = ContextOverflowError(n_prompt, n_ctx)
        return Chunk(
            finish_reason=FinishReason.ERROR, message=str(err), stats=GenerationStats(prompt_tokens=n_prompt)
        )
    fields = {k: v for k, v in msg["stats"].items() if k in GenerationStats.__dataclass_fields__}
    stats = GenerationStats(**fields)
    stats.load_s = load_s
    stats.total_s = time.perf_counter() - t0
    stats.ttft_s = (first_text_at - t0) if first_text_at else 0.0
    return Chunk(finish_reason=FinishReason(msg["reason"]), stats=stats, message=msg.get("message", ""))


class LocalEngine:
    """Runs generation in a worker process. One request at a time; safe to call from any thread."""

    def __init__(
        self,
        config: WorkerConfig,
        *,
        log_path: Path | None = None,
        cancel_grace_s: float = 5.0,
    ) -> None:
        self._config = config
        self._log_path = str(log_path) if log_path else None
        self._ctx = mp.get_context("spawn")
        self._cancel_id = self._ctx.RawValue("q", 0)
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._loaded = False
        self._info: dict[str, Any] = {}
        self._next_id = 0
        self._lock = threading.RLock()
        self.cancel_grace_s = cancel_grace_s

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def config(self) -> WorkerConfig:
        return self._config

    @property
    def worker_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    @property
    def info(self) -> dict[str, Any]:
        return dict(self._info)

    def _start_worker(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=worker_main,
            args=(child, self._cancel_id, self._log_path),
            name="writer-app-llm-worker",
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn, self._loaded = proc, parent, False
        try:
            reply = self._recv(deadline=time.monotonic() + 60)
        except (WorkerDied, TimeoutError) as exc:
            self._kill_worker()
            raise WriterAppError(f"推理进程无法启动 (the inference worker could not start): {exc}") from None
        if reply.get("op") != "ready":
            self._kill_worker()
            raise WriterAppError(f"推理进程启动异常 (unexpected worker greeting): {reply!r}")

    def _kill_worker(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc, self._conn, self._loaded = None, None, False
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)

    def _recv(self, cancel: CancelToken | None = None, deadline: float | None = None) -> dict[str, Any]:
        """Next message from the worker; raises WorkerDied if it is gone."""
        assert self._conn is not None and self._proc is not None
        while True:
            try:
                if self._conn.poll(POLL_S):
                    msg: dict[str, Any] = self._conn.recv()
                    return msg
            except (EOFError, OSError) as exc:
                proc = self._proc
                self._kill_worker()
                raise WorkerDied(proc) from exc
            if not self._proc.is_alive():
                proc = self._proc
                self._kill_worker()
                raise WorkerDied(proc)
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError
            if cancel is not None and cancel.cancelled and deadline is None:
                raise InterruptedError

    def load(self, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Start the worker and load the model if needed. Returns model info; raises ModelError."""
        with self._lock:
            if self._loaded and self._proc is not None and self._proc.is_alive():
                return self.info
            if self._proc is None or not self._proc.is_alive():
                self._kill_worker()
                self._start_worker()
            assert self._conn is not None
            t0 = time.perf_counter()
            load: LoadRequest = {"op": "load", "config": asdict(self._config)}
            self._conn.send(load)
            try:
                reply = self._recv(cancel)
            except InterruptedError:
                self._kill_worker()  # a load cannot be interrupted politely
                raise WriterAppError("已取消加载模型 (model load cancelled)") from None
            except WorkerDied as exc:
                raise ModelError(
                    f"加载模型时推理进程崩溃（{exc.how}），文件可能已损坏：{Path(self._config.model_path).name}"
                    f" (the worker crashed while loading the model; the file may be corrupt)"
                ) from None
            if reply.get("op") != "loaded":
                raise ModelError(str(reply.get("message", "unknown error")))
            self._loaded = True
            self._info = dict(reply["info"], app_load_s=round(time.perf_counter() - t0, 4))
            return self.info

    def switch_model(self, config: WorkerConfig) -> dict[str, Any]:
        """Load another model in the same worker; the old one is freed first."""
        with self._lock:
            self._config = config
            self._loaded = False
            return self.load()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.is_alive():
                try:
                    stop: ShutdownRequest = {"op": "shutdown"}
                    self._conn.send(stop)
                    self._proc.join(timeout=5)
                except (OSError, ValueError):
                    pass
            self._kill_worker()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- generation -----------------------------------------------------------------------------
    def stream(
        self,
        messages: list[Message] | str,
        params: GenerationParams | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Chunk]:
        params = params or GenerationParams()
        cancel = cancel or CancelToken()
        bounded = bound_schema(params)
        if isinstance(bounded, Chunk):
            yield bounded
            return
        params = bounded
        with self._lock:
            yield from self._stream_locked(messages, params, cancel)

    def _stream_locked(
        self, messages: list[Message] | str, params: GenerationParams, cancel: CancelToken
    ) -> Iterator[Chunk]:
        t0 = time.perf_counter()
        load_s, refused = self._ensure_loaded(cancel, t0)
        if refused is not None:
            yield refused
            return
        assert self._conn is not None
        self._next_id += 1
        rid = self._next_id
        cancel_id = self._cancel_id

        def on_cancel() -> None:
            cancel_id.value = rid

        unregister = cancel.on_cancel(on_cancel)
        done = False
        first_text_at = 0.0
        try:
            request: GenerateRequest = {
                "op": "generate",
                "id": rid,
                "prompt": messages,
                "params": params.to_dict(),
            }
            self._conn.send(request)
            deadline: float | None = None
            while True:
                if cancel.cancelled and deadline is None:
                    deadline = time.monotonic() + self.cancel_grace_s
                try:
                    msg = self._recv(cancel if deadline is None else None, deadline)
                except InterruptedError:
                    continue  # cancel was just requested: wait for the worker to acknowledge
                except TimeoutError:
                    self._kill_worker()  # hung in native code: a fresh worker serves the next request
                    done = True
                    yield Chunk(
                        finish_reason=FinishReason.CANCELLED,
                        message="推理进程没有响应，已重启 (the worker did not respond and was restarted)",
                        stats=GenerationStats(total_s=time.perf_counter() - t0),
                    )
                    return
                except WorkerDied as exc:
                    done = True
                    yield Chunk(finish_reason=FinishReason.ERROR, message=str(exc), stats=GenerationStats())
                    return
                if msg.get("id") != rid:
                    continue  # a stale message from an abandoned request
                op = msg["op"]
                if op == "text":
                    if msg["text"] and not first_text_at:
                        first_text_at = time.perf_counter()
                    yield Chunk(text=msg["text"], tokens=msg["tokens"], thinking=msg.get("thinking", ""))
                elif op in ("done", "error"):
                    done = True
                    yield _last_chunk(msg, t0, load_s, first_text_at)
                    return
        finally:
            unregister()
            if not done and self._proc is not None:
                # the caller stopped iterating: cancel and drain so the next request starts clean
                cancel_id.value = rid
                self._drain(rid)

    def _ensure_loaded(self, cancel: CancelToken, t0: float) -> tuple[float, Chunk | None]:
        """Load the model first if needed: (seconds it took, or the chunk that ends the request)."""
        if self._loaded:
            return 0.0, None
        try:
            return self.load(cancel).get("app_load_s", 0.0), None
        except WriterAppError as exc:
            if cancel.cancelled:
                stats = GenerationStats(total_s=time.perf_counter() - t0)
                return 0.0, Chunk(finish_reason=FinishReason.CANCELLED, stats=stats)
            return 0.0, Chunk(finish_reason=FinishReason.ERROR, message=str(exc), stats=GenerationStats())

    def _drain(self, rid: int) -> None:
        """Read the worker's messages up to request ``rid``'s end; a worker that does not get
        there within the grace period is killed (a fresh one serves the next request)."""
        try:
            deadline = time.monotonic() + self.cancel_grace_s
            while True:
                msg = self._recv(None, deadline)
                if msg.get("id") == rid and msg.get("op") in ("done", "error"):
                    break
        except (TimeoutError, WorkerDied):
            self._kill_worker()
