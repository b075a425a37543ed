"""Test peers for classroom mode.

``start_llama_server``: llama-cpp-python's real OpenAI-compatible server (``llama_cpp.server``)
in a subprocess on 127.0.0.1. ``Misbehaving``: a scripted server for what a real one does not do
on demand: malformed SSE, an HTML error page, silence, another model's name, dropped connections.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """A server outlives a killed test run otherwise (and spins on its last request)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


class LlamaServer:
    """``python -m llama_cpp.server`` with a model, stopped (or killed) by the test."""

    def __init__(self, model: Path, *, api_key: str = "", alias: str = "tiny", n_ctx: int = 2048) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model), "--model_alias", alias,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(n_ctx), "--n_threads", "1", "--verbose", "False",
            "--interrupt_requests", "False",  # queue concurrent requests instead of cutting answers short
        ]  # fmt: skip
        if api_key:
            cmd += ["--api_key", api_key]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                req = urllib.request.Request(
                    self.url + "/models", headers={"Authorization": f"Bearer {api_key}"}
                )
                with urllib.request.urlopen(req, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("llama_cpp.server did not start in 60 s") from None
                time.sleep(0.1)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)  # it waits for a running request before it exits
            except subprocess.TimeoutExpired:
                self.kill()


def sse(obj: object) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


def delta(text: str, model: str = "stub", finish: str | None = None) -> dict:
    return {
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}],
    }


class Misbehaving:
    """Answers /v1/models with one model; /v1/chat/completions as ``self.mode`` says:

    ok, usage (with llama-server's timings), malformed, not_sse, other_model, html (a 502 page),
    html200 (a web site for every path), slow (headers, one chunk, then silence),
    drop_first (closes the first ``self.drops`` connections, then ok), cut_short ([DONE] with no
    finish reason, as llama_cpp.server does when interrupted), no_json_schema (refuses
    response_format), pings (keep-alive comments between events), thinks (a <think> block inline,
    its tags cut across deltas), reasoning (the thinking as ``reasoning_content``).

    long: ``max_tokens`` deltas of two characters each, then stop (a client's own cost per token).

    Hostile, each forever until the client hangs up: no_blank (``data:`` lines, never the blank
    line that ends an event), endless (valid deltas), pings_forever (one delta, then keep-alive
    comments), dribble (one byte of a delta at a time), huge (a whole JSON answer of
    ``self.huge_bytes``).

    Continuing a text, when the last message is the assistant's unfinished one: prefill (writes
    on from it, as Ollama does), prefill_echo (the same, the first delta repeating the prefill, as
    llama-server does), new_turn (answers afresh, as llama_cpp.server does: a fresh answer copies
    that message, one character a token, up to max_tokens). In every mode, an answer to a user
    message that ends with a text restates the text's last 8 characters and goes on.
    """

    def __init__(self, mode: str = "ok", *, tls: tuple[Path, Path] | None = None) -> None:
        self.mode = mode
        self.drops = 2
        self.requests: list[dict] = []
        self.connections = 0
        self.huge_bytes = 20 << 20
        self.sent = 0
        self.slots = 0  # > 0: GET /props answers llama-server's {"total_slots": slots}
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _html(self, status: int) -> None:
                page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                self._send(status, "text/html", page)

            def do_GET(self) -> None:  # noqa: N802
                stub.connections += 1
                if stub.mode == "html200":
                    self._html(200)
                elif self.path.endswith("/models"):
                    self._send(200, "application/json", json.dumps({"data": [{"id": "stub"}]}).encode())
                elif self.path == "/props" and stub.slots:
                    self._send(200, "application/json", json.dumps({"total_slots": stub.slots}).encode())
                else:
                    self._send(404, "application/json", b'{"error": "not found"}')

            def do_POST(self) -> None:  # noqa: N802
                stub.connections += 1
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append(body)
                mode = stub.mode
                if mode == "drop_first" and stub.drops > 0:
                    stub.drops -= 1
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode in ("html", "html200"):
                    self._html(502 if mode == "html" else 200)
                    return
                if mode in ("no_blank", "endless", "pings_forever", "dribble", "huge"):
                    self._hostile(mode, body.get("model", "stub"))
                    return
                if mode == "long":
                    self._stream(["好字"] * int(body.get("max_tokens", 16)), body.get("model", "stub"))
                    return
                if mode in ("prefill", "prefill_echo", "new_turn"):
                    self._stream(stub.continuation(body), body.get("model", "stub"))
                    return
                if mode == "no_json_schema" and body.get("response_format", {}).get("type") == "json_schema":
                    self._send(
                        400, "application/json", b'{"error": {"message": "response_format not supported"}}'
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                w = self.wfile
                model = "another-model" if mode == "other_model" else body.get("model", "stub")
                try:
                    w.write(sse(delta("第一句。", model)))
                    w.flush()
                    if mode == "malformed":
                        w.write(b'data: {"choices": [ this is not json\n\n')
                    elif mode == "not_sse":
                        w.write(b'{"message": {"content": "ndjson"}}\n')
                    elif mode == "slow":
                        time.sleep(5)
                    elif mode == "cut_short":
                        w.write(b"data: [DONE]\n\n")
                        w.flush()
                        return
                    elif mode == "pings":
                        w.write(b": ping\n\nevent: ping\ndata: \n\n" + sse(delta("第二句。", model)))
                    elif mode == "thinks":  # a think block inline, its tags cut across deltas
                        for piece in ("<thi", "nk>想一想", "，再想想</th", "ink>\n\n"):
                            w.write(sse(delta(piece, model)))
                    elif mode == "reasoning":  # llama-server's separate reasoning_content
                        chunk = delta("", model)
                        chunk["choices"][0]["delta"] = {"reasoning_content": "想一想"}
                        w.write(sse(chunk))
                    w.write(sse(delta("结束。", model, "stop")))
                    if mode == "usage":
                        w.write(
                            sse(
                                {
                                    "model": model,
                                    "choices": [],
                                    "usage": {"prompt_tokens": 40, "completion_tokens": 3,
                                              "prompt_tokens_details": {"cached_tokens": 30}},
                                    "timings": {"prompt_n": 10, "prompt_ms": 50.0, "predicted_n": 3,
                                                "predicted_ms": 20.0, "cache_n": 30},
                                }
                            )
                        )  # fmt: skip
                    w.write(b"data: [DONE]\n\n")
                    w.flush()
                except OSError:
                    pass

            def _hostile(self, mode: str, model: str) -> None:
                self.close_connection = True
                if mode == "huge":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    head = b'{"choices": [{"message": {"content": "'
                    try:
                        self.wfile.write(head + b"x" * stub.huge_bytes + b'"}}]}')
                    except OSError:
                        pass
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                w = self.wfile
                try:
                    w.write(sse(delta("第一句。", model)))
                    while True:
                        if mode == "no_blank":
                            w.write(b"data: " + json.dumps(delta("啊" * 200, model)).encode() + b"\n")
                        elif mode == "endless":  # never the same sentence, so no loop guard stops it
                            stub.sent += 1
                            w.write(sse(delta(f"第{stub.sent}句话。", model)))
                        elif mode == "pings_forever":
                            w.write(b": ping\n")
                            w.flush()
                            time.sleep(0.05)
                        else:  # dribble
                            for byte in sse(delta("慢。", model)):
                                w.write(bytes([byte]))
                                w.flush()
                                time.sleep(0.01)
                except OSError:
                    pass

            def _stream(self, texts: list[str], model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for text in texts:
                    self.wfile.write(sse(delta(text, model)))
                self.wfile.write(sse(delta("", model, "stop")) + b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    CONTINUED = "，接着写下去。"

    def continuation(self, body: dict) -> list[str]:
        """The deltas of an answer in one of the continuing modes (see the class)."""
        last = body["messages"][-1]
        text = last["content"]
        if last["role"] == "user":
            return [text[-8:], self.CONTINUED]
        # the "model" goes on from a prefill: a countdown counts on, anything else gets CONTINUED
        words = text.split()
        more = (
            " " + " ".join(str(int(words[-1]) - k) for k in range(1, 4))
            if text[-1:].isdigit()
            else self.CONTINUED
        )
        if self.mode == "prefill":
            return [more]
        if self.mode == "prefill_echo":
            return [text + more[:1], more[1:]]
        return list((text + more)[: body.get("max_tokens", 100)])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> Misbehaving:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
