"""Classroom mode: a client of an OpenAI-compatible server behind the same interface as the local
worker (``stream``, ``load``, ``close``).

The server is one people already run: llama.cpp's ``llama-server``, Ollama, vLLM, LM Studio or
llama-cpp-python's ``llama_cpp.server``. This module opens each request's socket itself, so a
cancel from any thread shuts that socket and the blocked read returns at once (closing the
stream is how the server learns to stop), and every failure becomes one clear line: refused,
reset, timed out, an untrusted certificate, an HTML page, a 401, a malformed event. Nothing here
falls back to the local model; a failure is reported, never hidden.

JSON output is asked for the strongest way the server accepts: an OpenAI ``json_schema``
response format, else llama.cpp's ``json_object`` with a schema, else an instruction in the
prompt (the caller validates the answer in every mode). :attr:`RemoteEngine.structured_mode`
says which one is in use.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import os
import re
import select
import socket
import ssl
import string
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from writer_app import __version__
from writer_app.config import EngineSettings
from writer_app.errors import BadInputError, CancelledError, WriterAppError
from writer_app.llm.engine import (
    CancelToken,
    Chunk,
    FinishReason,
    GenerationParams,
    GenerationStats,
    Message,
    bound_schema,
    collect,
)
from writer_app.llm.loopguard import LoopGuard
from writer_app.llm.thinking import ONLY_THOUGHT, ThinkSplitter
from writer_app.resources import ResourceError, Resources

# The ways to ask for JSON, strongest first. "prompt": the schema goes into the system message.
STRUCTURED_MODES = ("json_schema", "json_object", "prompt")
MAX_LINE = 1 << 20  # one SSE line; longer is not an answer we can use
MAX_BODY = 16 << 20  # a whole (non-streamed) answer or an error page
MAX_EVENT = 1 << 20  # one SSE event's data, however many lines it comes in
# The client's own bounds on one answer, whatever the server does: pieces of text beyond
# max_tokens (a server may count differently, hence the slack), characters (no token is this long)
TOKEN_SLACK = 1.25
MAX_CHARS_PER_TOKEN = 16
DEFAULT_JSON_INSTRUCTION = (
    "Reply with one JSON object and nothing else. It must match this JSON Schema:\n${schema}"
)
DEFAULT_CONTINUE_INSTRUCTION = (
    "Here is the text written so far. Go on writing right after its last character; output only"
    " the new text, without repeating what is written:\n\n${text}"
)
# How continuing a text (GenerationParams.continue_last) is asked for. "prefill": the text so far is
# the assistant's unfinished message and the server writes on from it (llama-server, Ollama);
# "instruction": the text goes into the user's message with continue_instruction (any server).
# The probe that tells them apart, in PROBE_TOKENS tokens: a server that writes on from a
# prefilled message goes on counting down (" 4 3", after an echo of the prefill from llama-server);
# one that starts a new answer after it (llama-cpp-python's server, vLLM by default) answers
# afresh, and even a new answer that copies the prefill cannot get past it in so few tokens.
PREFILL_PROBE: list[Message] = [
    {"role": "user", "content": "Please finish this line."},
    {"role": "assistant", "content": "9 8 7 6 5"},
]
PROBE_TOKENS = 3
MIN_REPEAT = 6  # a repeated tail of the text so far shorter than this is kept (it may be new text)


MAX_SLOTS = 64  # more requests at once than any classroom server serves

# What may come before an answer's first word: blanks, quotes, brackets, list and heading marks
# (and control characters, in the grammar below).
OPENING_MARKS = " \t\r\n\u3000“”‘’\"'「」『』《》〈〉（）()[]【】#*-—_…·、，。,.：:；;！!？?~～/|>"


def _gbnf_class(chars: str) -> str:
    return "".join(
        f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}" for c in dict.fromkeys(chars)
    )


def opening_grammar(openings: list[str]) -> str:
    """A GBNF grammar (llama-server's ``grammar`` field) for ``GenerationParams.ban_first``: the
    answer's first word may not begin with the first word character of any of ``openings``, and
    the answer may not end before that word. It is the local ban by character instead of by token
    (no server bias holds for the first position only), so it bars a little more: every opening
    with that character. After the first word it admits anything. "" when nothing is barred."""
    banned = ""
    for text in openings:
        banned += next((c for c in text if c.isalnum()), "")
    if not banned:
        return ""
    marks = "\\u0001-\\u001f" + _gbnf_class(OPENING_MARKS)
    return f"root ::= lead* first .*\nlead ::= [{marks}]\nfirst ::= [^{marks}{_gbnf_class(banned)}]\n"


class ServerError(WriterAppError):
    """The server could not be reached or answered wrongly. ``retryable``: another try may work."""

    def __init__(self, message: str, *, retryable: bool = False, status: int = 0) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


def normalize_base_url(url: str) -> str:
    """``host:port``, ``http://host:port``, ``…/v1`` or a pasted ``…/v1/chat/completions`` →
    ``scheme://host:port/v1`` (a path the user gave is kept). Raises BadInputError."""
    text = url.strip()
    if not text:
        raise BadInputError("服务器地址为空 (the server URL is empty)")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise BadInputError(
            f"服务器地址必须以 http:// 或 https:// 开头：{url} (the server URL must start with http:// or https://)"
        )
    if not parts.hostname:
        raise BadInputError(f"服务器地址缺少主机名：{url} (no host name in the server URL)")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise BadInputError(f"服务器地址的端口无效：{url} (bad port in the server URL)") from None
    path = parts.path.rstrip("/")
    for tail in ("/chat/completions", "/completions", "/models"):
        if path.endswith(tail):
            path = path[: -len(tail)]
            break
    netloc = parts.netloc.rpartition("@")[2]  # never keep credentials in the URL
    return f"{parts.scheme.lower()}://{netloc}{path or '/v1'}"


def host_label(base_url: str) -> str:
    """``host:port`` of a normalized base URL, the port filled in from the scheme."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _model_key(name: str) -> str:
    key = name.strip().lower().replace("\\", "/").rsplit("/", 1)[-1]
    return key.removesuffix(".gguf").removesuffix(":latest")


def same_model(asked: str, got: str) -> bool:
    """Whether two names mean one model (a path and its file name, Ollama's implied ``:latest``)."""
    return _model_key(asked) == _model_key(got)


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _looks_html(ctype: str, body: str) -> bool:
    head = body.lstrip()[:200].lower()
    return "html" in ctype.lower() or head.startswith(("<!doctype", "<html", "<head", "<body"))


def _html_title(body: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    return _one_line(m.group(1), 80) if m else ""


def _server_message(body: str) -> str:
    """The message inside an OpenAI-style (or FastAPI, or Ollama) JSON error body."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    err = data.get("error", data.get("detail", data.get("message")))
    if isinstance(err, dict):
        err = err.get("message", "")
    if isinstance(err, list):  # FastAPI validation details
        err = "; ".join(str(e.get("msg", e)) if isinstance(e, dict) else str(e) for e in err)
    return _one_line(str(err)) if err else ""


def http_error_message(status: int, reason: str, ctype: str, body: bytes, path: str) -> str:
    """One line for a non-200 answer."""
    text = body.decode("utf-8", "replace")
    if status in (401, 403):
        return (
            f"服务器拒绝了访问（HTTP {status}）：API 密钥错误或缺失，请检查设置中的密钥"
            f" (the server refused the API key)"
        )
    if _looks_html(ctype, text) and status != 404:
        title = _html_title(text)
        return (
            f"服务器返回了网页而不是 API 回答（HTTP {status}{' ' + title if title else ''}）："
            f"地址可能不对，OpenAI 兼容接口通常以 /v1 结尾 (got an HTML page instead of an API answer)"
        )
    detail = _server_message(text)
    if status == 404:
        return (
            f"服务器没有 {path} 接口（HTTP 404{'：' + detail if detail else ''}）：地址不是 OpenAI 兼容的接口，"
            f"或服务器上没有这个模型 (not found: not an OpenAI-compatible endpoint, or no such model)"
        )
    if status == 429:
        return f"服务器繁忙（HTTP 429）：请稍后再试 (the server is busy){'：' + detail if detail else ''}"
    if status in (502, 503, 504):
        return f"服务器暂时不可用（HTTP {status}{'：' + detail if detail else ''}），请稍后再试 (server unavailable)"
    return f"服务器出错（HTTP {status}）：{detail or _one_line(text, 120) or reason} (server error)"


@dataclass(frozen=True)
class ServerConfig:
    base_url: str  # as normalize_base_url returns it
    model: str = ""  # "": the server's only model
    api_key: str = field(default="", repr=False)
    timeout_s: float = 300.0  # no byte (or only keep-alive comments) for this long → the request fails
    connect_timeout_s: float = 10.0
    deadline_s: float = 3600.0  # one request, start to end, whatever the server sends
    retries: int = 2  # extra tries after a refused/reset connection or a 502/503/504
    backoff_s: float = 0.5  # doubled after each try
    ca_file: str = ""  # a CA certificate to trust (a school's self-signed server)
    structured: str = "auto"  # auto | json_schema | json_object | prompt
    json_instruction: str = DEFAULT_JSON_INSTRUCTION  # the prompt-mode instruction (${schema})
    continue_instruction: str = DEFAULT_CONTINUE_INSTRUCTION  # instruction-mode continue (${text})


def server_config(
    settings: EngineSettings,
    api_key: str = "",
    *,
    url: str | None = None,
    model: str | None = None,
    resources: Resources | None = None,
) -> ServerConfig:
    """The engine's config from the settings (``url``/``model`` override them); the instructions
    for JSON and for continuing without a prefilled message come from ``resources``'
    prompts/server.toml (without resources: the built-in defaults)."""
    s = settings.server
    base = normalize_base_url(url if url is not None else s.url)
    if s.timeout_s <= 0:
        raise BadInputError("服务器超时必须大于 0 秒 (the server timeout must be positive)")
    texts: dict[str, Any] = {}
    if resources is not None:
        try:
            texts = tomllib.loads(resources.text("prompts/server.toml"))
        except tomllib.TOMLDecodeError as exc:
            raise ResourceError(f"程序数据 prompts/server.toml 格式错误：{exc} (damaged)") from None
    instruction = texts.get("json_instruction", DEFAULT_JSON_INSTRUCTION)
    continuing = texts.get("continue_instruction", DEFAULT_CONTINUE_INSTRUCTION)
    return ServerConfig(
        base_url=base,
        model=(model if model is not None else s.model).strip(),
        api_key=api_key,
        timeout_s=float(s.timeout_s),
        deadline_s=float(s.deadline_s),
        ca_file=s.ca_file.strip(),
        json_instruction=instruction,
        continue_instruction=continuing,
    )


def continue_by_instruction(messages: list[Message], instruction: str) -> list[Message]:
    """Messages ending in an unfinished assistant message → the same request for a server that
    cannot write on from one: the text so far joins the last user message with ``instruction``."""
    *head, last = messages
    text = string.Template(instruction).safe_substitute(text=last["content"])
    msgs: list[Message] = [Message(role=m["role"], content=m["content"]) for m in head]
    if msgs and msgs[-1]["role"] == "user":
        msgs[-1]["content"] = msgs[-1]["content"] + "\n\n" + text
    else:
        msgs.append({"role": "user", "content": text})
    return msgs


def _repeated_tail(text: str, written: str) -> int:
    """How many leading characters of ``text`` repeat the end of ``written`` (all of it: a server
    that echoes a prefilled message; its last sentence: a model that restates where it was)."""
    shortest = min(MIN_REPEAT, len(written))
    for start in range(len(written) - shortest + 1):
        tail = written[start:]
        if text.startswith(tail):
            return len(tail)
    return 0


def strip_repeat(chunks: Iterator[Chunk], written: str) -> Iterator[Chunk]:
    """The chunks of a continuation of ``written``, less a repeat of its end at the start. Text
    is held back only while it could still be such a repeat (it occurs in ``written``)."""
    held, tokens, deciding = "", 0, bool(written)
    for chunk in chunks:
        if deciding:
            if chunk.text:
                held += chunk.text
                tokens += chunk.tokens
                if held in written:
                    continue
            deciding = False  # the text left the written one, or the answer ended
            rest = held[_repeated_tail(held, written) :]
            if rest:
                yield Chunk(text=rest, tokens=tokens)
            if chunk.text:
                continue  # it is in ``rest``
        yield chunk


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _open_socket(host: str, port: int, timeout: float, cancel: CancelToken) -> socket.socket:
    """A connected socket; a cancel stops waiting at once (a plain connect would block)."""
    label = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServerError(
            f"找不到服务器 {host}（{exc.strerror}）：地址写错了吗？(cannot resolve the server's host name)"
        ) from None
    deadline = time.monotonic() + timeout
    last: OSError = OSError("no address")
    for family, kind, proto, _name, addr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            err = sock.connect_ex(addr)
            while err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                if cancel.cancelled:
                    raise CancelledError()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(errno.ETIMEDOUT, "timed out")
                _r, writable, _x = select.select([], [sock], [], min(0.05, left))
                if writable:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise OSError(err, os.strerror(err))
            sock.setblocking(True)
            return sock
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, OSError):
                raise
            last = exc
    if isinstance(last, TimeoutError):
        raise ServerError(
            f"连接服务器 {label} 超时（{timeout:g} 秒）：服务器没开或网络不通 (connecting timed out)",
            retryable=True,
        )
    if last.errno == errno.ECONNREFUSED:
        raise ServerError(
            f"无法连接服务器 {label}：连接被拒绝，服务器没有运行或端口不对 (connection refused)",
            retryable=True,
        )
    raise ServerError(f"无法连接服务器 {label}：{last.strerror or last} (cannot connect)", retryable=True)


@contextlib.contextmanager
def _deadline(sock: socket.socket | None, seconds: float) -> Iterator[threading.Event]:
    """Shut ``sock`` after ``seconds`` (as a cancel does), so no blocking read outlives them; the
    event yielded says whether that happened."""
    late = threading.Event()

    def expire() -> None:
        late.set()
        if sock is not None:
            _shutdown(sock)

    timer = threading.Timer(max(0.0, seconds), expire)
    timer.daemon = True
    timer.start()
    try:
        yield late
    finally:
        timer.cancel()


class _Open:
    """One request's connection and response; ``close`` ends it (the server stops generating)."""

    def __init__(
        self,
        conn: http.client.HTTPConnection,
        resp: http.client.HTTPResponse,
        unregister: Callable[[], None],
        sock: socket.socket | None = None,
    ) -> None:
        self.conn, self.resp, self._unregister = conn, resp, unregister
        # http.client forgets the socket once a response will close it; a deadline still needs it
        self.sock = sock or conn.sock

    @property
    def ctype(self) -> str:
        return self.resp.getheader("Content-Type", "") or ""

    def close(self) -> None:
        self._unregister()
        if self.sock is not None:
            _shutdown(self.sock)
        self.conn.close()


CUT_SHORT = (
    "服务器没有说明原因就结束了回答（可能被另一个请求打断），已写的内容已保留"
    " (the server ended the answer without a finish reason; the text so far is kept)"
)
BROKEN = "与服务器的连接中断，已写的内容已保留 (the connection to the server broke; the text so far is kept)"


def _malformed(what: str) -> tuple[FinishReason, str]:
    return FinishReason.ERROR, (
        f"服务器发来无法解析的数据（{what}），已停止；已写的内容已保留"
        f" (malformed data from the server; the text so far is kept)"
    )


def sse_events(resp: http.client.HTTPResponse, silence_s: float) -> Iterator[tuple[str, str]]:
    """(event name, data) per Server-Sent Event of ``resp``, as the SSE rules dispatch them.

    ("malformed", why) ends a stream that breaks the rules or the bounds: a line over MAX_LINE, an
    event's data over MAX_EVENT (data lines that never get their blank line), bytes that are not
    UTF-8, a line that is not SSE. Keep-alive comments say the server lives, not that it works:
    after ``silence_s`` of nothing else, TimeoutError.
    """
    name, data = "", cast(list[str], [])
    size = 0  # of this event's data so far: an event that never ends must not grow forever
    heard = time.monotonic()  # the last line that was not a keep-alive comment
    while True:
        raw = resp.readline(MAX_LINE)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) >= MAX_LINE:
            yield "malformed", "一行超过 1 MB / line too long"
            return
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            yield "malformed", "not UTF-8"
            return
        if not line:
            joined = "\n".join(data)
            # an event without data is not dispatched (the SSE rule); named events other than
            # "error" (a server's "ping", say) carry nothing for us
            if joined and name in ("", "message", "error"):
                yield name or "message", joined
            name, data, size = "", [], 0
        elif line.startswith(":"):
            if time.monotonic() - heard > silence_s:
                raise TimeoutError
        else:
            heard = time.monotonic()
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "data":
                size += len(value) + 1
                if size > MAX_EVENT:
                    yield "malformed", "事件超过 1 MB 仍未结束 / an event without its end"
                    return
                data.append(value)
            elif key == "event":
                name = value
            elif key not in ("id", "retry"):
                yield "malformed", f"not SSE: {line[:40]!r}"
                return


class _Answer:
    """One answer's decoding: the text of each OpenAI chunk (whole characters), the client's own
    bounds (pieces and characters past max_tokens, a loop), the model check, and the stats."""

    def __init__(self, params: GenerationParams, model: str, *, chat: bool) -> None:
        self.params = params
        self.model = model
        self.chat = chat
        self.guard = LoopGuard(min_repeats=params.loop_min_repeats) if params.loop_guard else None
        self.finish: FinishReason | None = None  # what the server said, before its [DONE]
        self.usage: dict[str, Any] = {}
        self.timings: dict[str, Any] = {}
        self.n_text = self.n_chars = 0
        self.counted = 0  # of n_text, the pieces already given out in chunks
        self.first = self.last = 0.0
        self.held = ""  # a lone high surrogate waiting for its pair
        self.think = ThinkSplitter()  # a thinking model's <think> blocks, taken out of the text
        self.thought = ""  # thought since the caller last took it (Chunk.thinking)
        self.model_checked = False
        self.max_pieces = int(params.max_tokens * TOKEN_SLACK) + 8
        self.max_chars = params.max_tokens * MAX_CHARS_PER_TOKEN + 1024

    def shown(self, raw: Any, reasoning: Any = None) -> str:
        """The answer's text in one piece from the server, with any thinking taken out: inline
        ``<think>`` blocks, or a server's separate ``reasoning_content``."""
        if isinstance(reasoning, str) and reasoning:
            self.thought += reasoning
        text = self.text(raw) if isinstance(raw, str) and raw else ""
        if not text:
            return ""
        shown, thought = self.think.feed(text)
        self.thought += thought
        return shown

    def take_thought(self) -> str:
        thought, self.thought = self.thought, ""
        return thought

    def take_pieces(self) -> int:
        """Pieces received since the last call: what the chunk yielded now stands for (a piece
        that may start a <think> tag waits for the next, so a chunk can hold two)."""
        pieces, self.counted = self.n_text - self.counted, self.n_text
        return pieces

    def text(self, raw: str) -> str:
        """``raw`` as whole characters: a surrogate pair split across chunks is joined."""
        text = self.held + raw
        self.held = ""
        if "\ud800" <= text[-1] <= "\udbff":
            self.held, text = text[-1], text[:-1]
        if re.search("[\ud800-\udfff]", text):
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        if text:
            self.last = time.perf_counter()
            self.first = self.first or self.last
            self.n_text += 1
            self.n_chars += len(text)
        return text

    def bound(self, text: str) -> tuple[FinishReason, str] | None:
        """Why to stop after ``text``: past the token bound, or a loop; None to go on."""
        if self.n_text > self.max_pieces or self.n_chars > self.max_chars:
            return FinishReason.LENGTH, (
                f"服务器发来的内容超过了所要的 {self.params.max_tokens} 个 token，已停止；已写的内容已保留"
                f" (the server went on past max_tokens; stopped, the text so far is kept)"
            )
        if self.guard is not None and self.guard.feed(text):
            return FinishReason.LOOP, f"检测到重复循环 (repetition loop): {self.guard.unit!r}"
        return None

    def whole(self, obj: Any) -> tuple[str, tuple[FinishReason, str]]:
        """A server that ignored ``stream: true``: its one JSON answer → (text, how it ended)."""
        choices = obj.get("choices") if isinstance(obj, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return "", _malformed("not an OpenAI answer")
        msg = choices[0].get("message") or {}
        chat_msg = msg if self.chat and isinstance(msg, dict) else {}
        raw = chat_msg.get("content") if self.chat else choices[0].get("text")
        text = self.shown(raw, chat_msg.get("reasoning_content"))
        self.usage = obj.get("usage") if isinstance(obj.get("usage"), dict) else {}
        fr = choices[0].get("finish_reason")
        return text, (FinishReason.LENGTH if fr == "length" else FinishReason.STOP, "")

    def event(self, name: str, data: str) -> tuple[str, tuple[FinishReason, str] | None]:
        """One SSE event → (its text, or ""; why the answer ends here, or None to read on)."""
        if data == "[DONE]":
            # every OpenAI-compatible server says why an answer ended before [DONE]; without it
            # the answer was cut short (llama_cpp.server does that to a stream when another
            # request arrives, unless --interrupt_requests False)
            return "", (self.finish, "") if self.finish else (FinishReason.ERROR, CUT_SHORT)
        try:
            obj = json.loads(data)
        except ValueError:
            return "", _malformed(f"not JSON: {data[:40]!r}")
        if not isinstance(obj, dict):
            return "", _malformed("not a JSON object")
        if name == "error" or "error" in obj:
            detail = _server_message(data) or _one_line(data)
            return "", (FinishReason.ERROR, f"服务器报错：{detail} (the server reported an error)")
        got = obj.get("model")
        if not self.model_checked and isinstance(got, str) and got:
            self.model_checked = True
            if self.model and not same_model(self.model, got):
                return "", (
                    FinishReason.ERROR,
                    f"服务器用模型「{got}」回答，而不是所选的「{self.model}」，已停止："
                    f"请在设置中选择服务器上的模型 (the server answered with a different model)",
                )
        if isinstance(obj.get("usage"), dict):
            self.usage = obj["usage"]
        if isinstance(obj.get("timings"), dict):
            self.timings = obj["timings"]
        choices = obj.get("choices")
        if not isinstance(choices, list):
            return "", None if "usage" in obj else _malformed("no choices")
        if not choices or not isinstance(choices[0], dict):
            return "", None
        choice = choices[0]
        delta = choice.get("delta") if self.chat else None
        delta = delta if isinstance(delta, dict) else {}
        raw = delta.get("content") if self.chat else choice.get("text")
        text = self.shown(raw, delta.get("reasoning_content"))
        fr = choice.get("finish_reason")
        if fr:
            self.finish = FinishReason.LENGTH if fr == "length" else FinishReason.STOP
        return text, None

    def stats(self, t0: float) -> GenerationStats:
        """Token counts and timings: the server's ``usage`` (and llama-server's ``timings``)
        where it sent them, else what was measured here."""
        usage, timings = self.usage, self.timings
        stats = GenerationStats(completion_tokens=self.n_text)
        if isinstance(usage.get("completion_tokens"), int):
            stats.completion_tokens = usage["completion_tokens"]
        if isinstance(usage.get("prompt_tokens"), int):
            stats.prompt_tokens = usage["prompt_tokens"]
        details = usage.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, dict) else timings.get("cache_n")
        if isinstance(cached, int):
            stats.prompt_tokens_cached = cached
        evaluated = timings.get("prompt_n")
        stats.prompt_tokens_evaluated = (
            evaluated
            if isinstance(evaluated, int)
            else max(0, stats.prompt_tokens - stats.prompt_tokens_cached)
        )
        stats.ttft_s = (self.first - t0) if self.first else 0.0
        prompt_ms, predicted_ms = timings.get("prompt_ms"), timings.get("predicted_ms")
        stats.prompt_s = prompt_ms / 1000 if isinstance(prompt_ms, (int, float)) else stats.ttft_s
        stats.gen_s = (
            predicted_ms / 1000 if isinstance(predicted_ms, (int, float)) else (self.last - self.first)
        )
        stats.total_s = time.perf_counter() - t0
        return stats


class RemoteEngine:
    """Streams from an OpenAI-compatible server. Thread-safe: each request has its own connection."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        parts = urlsplit(config.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path.rstrip("/")
        self._model = config.model
        self._models: list[str] = []
        self._mode = config.structured if config.structured in STRUCTURED_MODES else ""
        self._continue = ""  # prefill | instruction, once a continuation was asked for
        self._tls: ssl.SSLContext | None = None

    # -- what is in use -------------------------------------------------------------------------
    @property
    def model(self) -> str:
        return self._model

    @property
    def structured_mode(self) -> str:
        """json_schema | json_object | prompt; "" until the first JSON request (or a probe)."""
        return self._mode

    @property
    def continue_mode(self) -> str:
        """prefill | instruction; "" until the first continuation."""
        return self._continue

    @property
    def label(self) -> str:
        return host_label(self.config.base_url)

    @property
    def info(self) -> dict[str, Any]:
        return {
            "backend": "server",
            "url": self.config.base_url,
            "model": self._model,
            "models": list(self._models),
            "structured_output": self._mode,
            "continue_mode": self._continue,
        }

    # -- HTTP -----------------------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            try:
                self._tls = ssl.create_default_context(cafile=self.config.ca_file or None)
            except (OSError, ssl.SSLError) as exc:
                raise BadInputError(
                    f"无法读取证书文件 {self.config.ca_file}：{getattr(exc, 'strerror', None) or exc}"
                    f" (cannot read the CA certificate file)"
                ) from None
        return self._tls

    def _connect(self, cancel: CancelToken) -> socket.socket:
        context = self._tls_context() if self._https else None  # a bad CA file fails before the network
        sock = _open_socket(self._host, self._port, self.config.connect_timeout_s, cancel)
        sock.settimeout(self.config.timeout_s)
        if context is None:
            return sock
        try:
            sock.settimeout(self.config.connect_timeout_s)
            tls = context.wrap_socket(sock, server_hostname=self._host)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise ServerError(
                f"服务器证书无效（{exc.verify_message}）：若学校服务器使用自签名证书，请在设置中指定它的证书文件"
                f" (the server's TLS certificate is not trusted)"
            ) from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise ServerError(
                f"与 {self.label} 的 TLS 握手失败（{getattr(exc, 'reason', None) or exc}）：地址应该是 http:// 吗？"
                f" (TLS handshake failed)"
            ) from None
        tls.settimeout(self.config.timeout_s)
        return tls

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, cancel: CancelToken, *, root: bool = False
    ) -> _Open:
        """One request to ``path`` under the base URL (``root``: under the server's root, for
        llama-server's own endpoints beside ``/v1``)."""
        if root:
            path = self._path.removesuffix("/v1") + path
        else:
            path = self._path + path
        sock = self._connect(cancel)
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self.config.timeout_s)
        conn.sock = sock
        unregister = cancel.on_cancel(lambda: _shutdown(sock))
        headers = {
            "Accept": "text/event-stream, application/json",
            "User-Agent": f"writer-companion/{__version__}",
        }
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        late = threading.Event()
        try:
            with _deadline(sock, self.config.deadline_s) as late:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
            opened = _Open(conn, resp, unregister, sock)
            if resp.status == 200:
                return opened
            try:
                error_body = resp.read(MAX_BODY)
            finally:
                opened.close()
        except BaseException as exc:
            unregister()
            conn.close()
            if cancel.cancelled:
                raise CancelledError() from None
            if late.is_set():
                raise ServerError(
                    f"服务器超过总时限 {self.config.deadline_s:g} 秒仍未回应 (no answer within the deadline)"
                ) from None
            if isinstance(exc, TimeoutError):
                raise ServerError(
                    f"服务器 {self.config.timeout_s:g} 秒没有回应 (the server did not answer within the timeout)"
                ) from None
            if isinstance(exc, (ConnectionError, http.client.RemoteDisconnected)):
                raise ServerError(
                    f"服务器 {self.label} 断开了连接 (the server closed the connection)", retryable=True
                ) from None
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise ServerError(
                    f"与服务器 {self.label} 通信失败：{exc} (talking to the server failed)"
                ) from None
            raise
        raise ServerError(
            http_error_message(
                resp.status,
                resp.reason,
                resp.getheader("Content-Type", "") or "",
                error_body,
                path,
            ),
            retryable=resp.status in (502, 503, 504),
            status=resp.status,
        )

    def _request(self, method: str, path: str, body: dict[str, Any] | None, cancel: CancelToken) -> _Open:
        """``_send`` with retries and exponential backoff for refused/reset connections and 502-504."""
        attempt = 0
        while True:
            try:
                return self._send(method, path, body, cancel)
            except ServerError as exc:
                if not exc.retryable or attempt >= self.config.retries or cancel.cancelled:
                    raise
            if cancel.wait(self.config.backoff_s * (2**attempt)):
                raise CancelledError()
            attempt += 1

    def _read_json(self, opened: _Open, what: str) -> Any:
        try:
            with _deadline(opened.sock, self.config.deadline_s) as late:
                body = opened.resp.read(MAX_BODY + 1)
            if late.is_set():
                raise OSError("deadline")
        except (OSError, http.client.HTTPException):
            if late.is_set():
                raise ServerError(
                    f"{what} 超过总时限 {self.config.deadline_s:g} 秒仍未答完 (the answer ran past its deadline)"
                ) from None
            raise ServerError(BROKEN) from None
        finally:
            opened.close()
        if len(body) > MAX_BODY:
            raise ServerError(
                f"{what} 的回答超过 {MAX_BODY >> 20} MB 的上限，已停止读取 (the answer is larger than the limit)"
            )
        text = body.decode("utf-8", "replace")
        if _looks_html(opened.ctype, text):
            raise ServerError(
                f"{what} 返回了网页而不是 API 回答：这不是 OpenAI 兼容的接口，地址通常以 /v1 结尾"
                f" (got an HTML page: not an OpenAI-compatible endpoint)"
            )
        try:
            return json.loads(text)
        except ValueError:
            raise ServerError(
                f"{what} 的回答不是 JSON：这不是 OpenAI 兼容的服务器？(the answer is not JSON: not an OpenAI-compatible server?)"
            ) from None

    # -- models -----------------------------------------------------------------------------------
    def list_models(self, cancel: CancelToken | None = None) -> list[str]:
        """The model ids the server offers (``GET /v1/models``); raises ServerError."""
        cancel = cancel or CancelToken()
        data = self._read_json(self._request("GET", "/models", None, cancel), f"{self._path}/models")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise ServerError(
                f"{self._path}/models 的回答不是 OpenAI 的模型列表：这不是 OpenAI 兼容的服务器？"
                f" (not an OpenAI model list)"
            )
        self._models = [str(m["id"]) for m in items if isinstance(m, dict) and m.get("id")]
        return list(self._models)

    def slots(self, cancel: CancelToken | None = None) -> int:
        """How many requests the server answers at once: llama-server's ``/props``
        (``total_slots``) or ``/slots`` (one entry a slot). 0 when it tells neither (Ollama, vLLM
        and others): then the settings say."""
        cancel = cancel or CancelToken()
        for path in ("/props", "/slots"):
            try:
                data = self._read_json(self._send("GET", path, None, cancel, root=True), path)
            except ServerError:
                continue
            if isinstance(data, dict) and isinstance(data.get("total_slots"), int):
                return max(0, min(int(data["total_slots"]), MAX_SLOTS))
            if isinstance(data, list) and data:
                return min(len(data), MAX_SLOTS)
        return 0

    def _choose_model(self, models: list[str]) -> str:
        if self.config.model:
            if models and not any(same_model(self.config.model, m) for m in models):
                raise ServerError(
                    f"服务器上没有模型「{self.config.model}」；可用的有：{'、'.join(models[:8])}"
                    f" (the server has no such model)"
                )
            return self.config.model
        if len(models) == 1:
            return models[0]
        if not models:
            raise ServerError("服务器没有列出任何模型 (the server lists no models)")
        raise BadInputError(
            f"服务器有 {len(models)} 个模型，请选择一个：{'、'.join(models[:8])} (choose one of the server's models)"
        )

    def load(self, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Reach the server, check the model is there (or pick its only one). Returns ``info``."""
        self._model = self._choose_model(self.list_models(cancel))
        return self.info

    def test_connection(self, cancel: CancelToken | None = None) -> dict[str, Any]:
        """For the settings' "test connection": the models, the one in use, which way JSON is
        asked for (one tiny request) and the round trip in milliseconds."""
        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        self.load(cancel)
        latency_ms = (time.perf_counter() - t0) * 1000
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
        params = GenerationParams(max_tokens=16, temperature=0.0, json_schema=schema, loop_guard=False)
        answer = collect(self.stream([{"role": "user", "content": 'Reply {"ok": true}'}], params, cancel))
        if answer.finish_reason is FinishReason.ERROR:
            raise ServerError(answer.message)
        return dict(self.info, latency_ms=round(latency_ms, 1))

    # -- generation -------------------------------------------------------------------------------
    def _body(
        self,
        messages: list[Message] | str,
        params: GenerationParams,
        schema: dict[str, Any] | None,
        mode: str,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            # not in OpenAI's API; llama.cpp, Ollama and vLLM read them, others ignore them
            "top_k": params.top_k,
            "min_p": params.min_p,
            "repeat_penalty": params.repeat_penalty,
            "presence_penalty": params.presence_penalty,
            "frequency_penalty": params.frequency_penalty,
        }
        if params.dry_multiplier > 0:  # llama-server's names; other servers ignore them
            body.update(
                dry_multiplier=params.dry_multiplier,
                dry_base=params.dry_base,
                dry_allowed_length=params.dry_allowed_length,
                dry_penalty_last_n=params.dry_penalty_last_n,
            )
        if params.ban_first and schema is None and not params.thinking:
            grammar = opening_grammar(params.ban_first)
            if grammar:  # llama-server's field; other servers ignore it
                body["grammar"] = grammar
        if params.seed >= 0:
            body["seed"] = params.seed
        if isinstance(messages, list):  # Qwen3's switch; llama-server and vLLM pass it to the template
            body["chat_template_kwargs"] = {"enable_thinking": params.thinking}
        if params.stop:
            body["stop"] = params.stop[:4]
        instruction = ""
        if schema is not None and mode == "prompt":
            instruction = string.Template(self.config.json_instruction).safe_substitute(
                schema=json.dumps(schema, ensure_ascii=False)
            )
        if isinstance(messages, str):
            body["prompt"] = messages + ("\n\n" + instruction if instruction else "")
        else:
            msgs: list[Message] = [Message(role=m["role"], content=m["content"]) for m in messages]
            if instruction:
                if msgs and msgs[0]["role"] == "system":
                    msgs[0]["content"] = msgs[0]["content"] + "\n\n" + instruction
                else:
                    msgs.insert(0, {"role": "system", "content": instruction})
            body["messages"] = msgs
        if schema is not None and mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": schema},
            }
        elif schema is not None and mode == "json_object":
            body["response_format"] = {"type": "json_object", "schema": schema}
        return body

    def _open_generation(
        self,
        messages: list[Message] | str,
        params: GenerationParams,
        schema: dict[str, Any] | None,
        cancel: CancelToken,
    ) -> _Open:
        path = "/completions" if isinstance(messages, str) else "/chat/completions"
        if schema is None:
            return self._request("POST", path, self._body(messages, params, None, ""), cancel)
        modes = [self._mode] if self._mode else list(STRUCTURED_MODES)
        for i, mode in enumerate(modes):
            try:
                opened = self._request("POST", path, self._body(messages, params, schema, mode), cancel)
            except ServerError as exc:
                # a server that does not know this response format refuses the request (400/422,
                # or 500 from llama-cpp-python); the next, weaker way is tried before any text exists
                if exc.status in (400, 415, 422, 500, 501) and i + 1 < len(modes):
                    continue
                raise
            self._mode = mode
            return opened
        raise AssertionError("unreachable")

    def stream(
        self,
        messages: list[Message] | str,
        params: GenerationParams | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Chunk]:
        params = params or GenerationParams()
        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        bounded = bound_schema(params)
        if isinstance(bounded, Chunk):
            yield bounded
            return
        params, schema = bounded, bounded.json_schema
        written = ""
        try:
            if not self._model:
                self.load(cancel)
            if params.continue_last and not isinstance(messages, str) and messages[-1:]:
                if messages[-1]["role"] == "assistant":
                    written = messages[-1]["content"]
                    self._continue = self._continue or self._probe_prefill(cancel)
                    if self._continue == "instruction":
                        messages = continue_by_instruction(list(messages), self.config.continue_instruction)
            opened = self._open_generation(messages, params, schema, cancel)
        except CancelledError:
            yield Chunk(
                finish_reason=FinishReason.CANCELLED, stats=GenerationStats(total_s=time.perf_counter() - t0)
            )
            return
        except WriterAppError as exc:
            yield Chunk(finish_reason=FinishReason.ERROR, message=str(exc), stats=GenerationStats())
            return
        # an echo of the prefilled text, or the model restating its end, is not new text
        yield from strip_repeat(
            self._read(opened, params, cancel, t0, chat=not isinstance(messages, str)), written
        )

    def _probe_prefill(self, cancel: CancelToken) -> str:
        """prefill | instruction: whether this server writes on from an unfinished assistant
        message (one tiny request). Raises ServerError or CancelledError."""
        params = GenerationParams(max_tokens=PROBE_TOKENS, temperature=0.0, loop_guard=False)
        opened = self._open_generation(PREFILL_PROBE, params, None, cancel)
        answer = collect(self._read(opened, params, cancel, time.perf_counter(), chat=True))
        if answer.finish_reason is FinishReason.CANCELLED:
            raise CancelledError()
        if answer.finish_reason is FinishReason.ERROR:
            raise ServerError(answer.message)
        text = answer.text.removeprefix(PREFILL_PROBE[-1]["content"]).lstrip(" ,，、")
        return "prefill" if text.startswith("4") else "instruction"

    def _read(
        self, opened: _Open, params: GenerationParams, cancel: CancelToken, t0: float, *, chat: bool
    ) -> Iterator[Chunk]:
        """The chunks of one answer (SSE, or a whole JSON answer), then one final chunk with the
        reason it ended and its stats. Every read is bounded: see :func:`sse_events`, the
        answer's token bound and the request's deadline (a watchdog shuts the socket)."""
        answer = _Answer(params, self._model, chat=chat)
        end: tuple[FinishReason, str] | None = None
        try:
            with _deadline(opened.sock, self.config.deadline_s - (time.perf_counter() - t0)) as late:
                try:
                    if "text/event-stream" not in opened.ctype.lower():
                        text, end = answer.whole(self._read_json(opened, "服务器"))
                        if text or answer.thought:
                            yield Chunk(
                                text=text, tokens=answer.take_pieces(), thinking=answer.take_thought()
                            )
                    else:
                        for name, data in sse_events(opened.resp, self.config.timeout_s):
                            if cancel.cancelled:
                                break
                            if name == "malformed":
                                end = _malformed(data)
                                break
                            text, end = answer.event(name, data)
                            if text or answer.thought:
                                yield Chunk(
                                    text=text, tokens=answer.take_pieces(), thinking=answer.take_thought()
                                )
                            if text:
                                end = end or answer.bound(text)
                            if end is not None:
                                break
                        else:  # no [DONE]: a cancel shut the socket, or the server died
                            end = (answer.finish, "") if answer.finish else (FinishReason.ERROR, BROKEN)
                except TimeoutError:
                    end = (
                        FinishReason.ERROR,
                        f"服务器 {self.config.timeout_s:g} 秒没有发来任何内容，已停止等待；已写的内容已保留"
                        f" (the server sent nothing within the timeout; the text so far is kept)",
                    )
                except ServerError as exc:  # an HTML page, an oversized or non-JSON answer
                    end = (FinishReason.ERROR, str(exc))
                except (OSError, http.client.HTTPException):
                    end = (FinishReason.ERROR, BROKEN)
            if cancel.cancelled and (end is None or end[0] is FinishReason.ERROR):
                end = (FinishReason.CANCELLED, "")  # what broke was the Stop shutting the socket
            elif late.is_set() and not cancel.cancelled:
                end = (
                    FinishReason.ERROR,
                    f"请求超过总时限 {self.config.deadline_s:g} 秒，已停止；已写的内容已保留"
                    f" (the request ran past its deadline; the text so far is kept)",
                )
        finally:
            opened.close()
        reason, message = end or (FinishReason.CANCELLED, "")
        rest, thought = answer.think.finish()
        if rest or thought:
            yield Chunk(text=rest, tokens=answer.take_pieces(), thinking=thought)
        if answer.think.only_thought and reason in (FinishReason.STOP, FinishReason.LENGTH):
            reason, message = FinishReason.ERROR, ONLY_THOUGHT  # nothing for the editor
        yield Chunk(finish_reason=reason, stats=answer.stats(t0), message=message)

    def close(self) -> None:
        """Nothing is held between requests (each has its own connection)."""

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
