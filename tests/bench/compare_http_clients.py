"""The app's own HTTP/SSE client (``llm/remote.py``, raw sockets) against a well-kept one
(``httpx`` with ``httpx-sse``), on the hostile-server cases and on load. Prints a table; asserts
nothing. Needs ``pip install httpx httpx-sse`` (not an app dependency: this measures whether it
should become one).

    python tests/bench/compare_http_clients.py [--streams 16] [--tokens 2000]

Each (client, case) runs in its own process, so its memory can be sampled and a hang killed at
``HANG_S``. The httpx client is what one would write with those libraries: ``connect_sse``, a
network timeout (``httpx.Timeout``), cancel by closing the response from another thread, errors
caught as ``httpx.HTTPError``/``SSEError``. Bounds that httpx does not have (an overall deadline,
an SSE event size, a token count) are not added: whether they are needed is what is measured.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from openai_stub import Misbehaving  # noqa: E402
from probe_hostile import rss_mb  # noqa: E402

HANG_S = 20.0
TIMEOUT_S = 2.0  # both clients: silence before a request fails
DEADLINE_S = 5.0  # the app's client: one request, start to end
HELLO = [{"role": "user", "content": "你好"}]

CASES = [
    # (name, stub mode, max_tokens, cancel after s)
    ("a normal answer", "ok", 64, None),
    ("data: lines, never a blank line", "no_blank", 64, None),
    ("endless valid stream, max_tokens 50", "endless", 50, None),
    ("keep-alive pings forever", "pings_forever", 64, None),
    ("one byte at a time forever", "dribble", 10_000, None),
    ("silent after one chunk", "slow", 64, None),
    ("cancel from another thread while silent", "slow", 64, 0.3),
    ("a 20 MB whole JSON answer", "huge", 64, None),
    ("an HTML page", "html200", 64, None),
]


# --------------------------------------------------------------------------------------------
# the two clients, as one request: (outcome, characters, message)
# --------------------------------------------------------------------------------------------
def raw_client(url: str, max_tokens: int, cancel_after: float | None) -> tuple[str, int, str]:
    from writer_app.llm.engine import CancelToken, GenerationParams, collect
    from writer_app.llm.remote import RemoteEngine, ServerConfig

    engine = RemoteEngine(
        ServerConfig(url, model="stub", timeout_s=TIMEOUT_S, deadline_s=DEADLINE_S, retries=0)
    )
    cancel = CancelToken()
    if cancel_after is not None:
        threading.Timer(cancel_after, cancel.cancel).start()
    c = collect(engine.stream(HELLO, GenerationParams(max_tokens=max_tokens, loop_guard=False), cancel))
    return c.finish_reason.value, len(c.text), c.message


def httpx_client(url: str, max_tokens: int, cancel_after: float | None) -> tuple[str, int, str]:
    import httpx
    from httpx_sse import SSEError, connect_sse

    body = {"model": "stub", "messages": HELLO, "max_tokens": max_tokens, "stream": True}
    text: list[str] = []
    finish = ""
    with httpx.Client(timeout=httpx.Timeout(TIMEOUT_S, connect=10.0)) as client:
        try:
            with connect_sse(client, "POST", url + "/chat/completions", json=body) as source:
                if cancel_after is not None:
                    threading.Timer(cancel_after, source.response.close).start()
                source.response.raise_for_status()
                ctype = source.response.headers.get("content-type", "")
                if "text/event-stream" not in ctype:  # a server that ignored stream: true
                    source.response.read()
                    obj = source.response.json()
                    return "stop", len(obj["choices"][0]["message"]["content"]), ""
                for event in source.iter_sse():
                    if event.data == "[DONE]":
                        break
                    obj = json.loads(event.data)
                    choice = (obj.get("choices") or [{}])[0]
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        text.append(piece)
                    finish = choice.get("finish_reason") or finish
        except (httpx.HTTPError, SSEError, ValueError, KeyError, IndexError) as exc:
            return "error", sum(map(len, text)), f"{type(exc).__name__}: {exc}".replace("\n", " ")[:90]
    return finish or "cut", sum(map(len, text)), ""


CLIENTS = {"raw": raw_client, "httpx": httpx_client}


# --------------------------------------------------------------------------------------------
def child(client: str, url: str, max_tokens: int, cancel_after: float | None) -> None:
    t0 = time.monotonic()
    outcome, chars, message = CLIENTS[client](url, max_tokens, cancel_after)
    print(json.dumps({"outcome": outcome, "chars": chars, "message": message, "s": time.monotonic() - t0}))


def run_case(client: str, mode: str, max_tokens: int, cancel_after: float | None) -> dict:
    with Misbehaving(mode) as stub:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            client,
            stub.url,
            str(max_tokens),
            str(cancel_after or ""),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        peak = 0.0
        while proc.poll() is None and time.monotonic() - t0 < HANG_S:
            peak = max(peak, rss_mb(proc.pid))
            time.sleep(0.05)
        hung = proc.poll() is None
        if hung:
            proc.kill()
        out, err = proc.communicate()
    if hung:
        return {"outcome": "HUNG", "s": HANG_S, "mb": peak, "message": f"killed after {HANG_S:g} s"}
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"outcome": "CRASH", "s": time.monotonic() - t0, "mb": peak, "message": err.strip()[-90:]}
    return {**res, "mb": peak}


def load_child(client: str, url: str, streams: int, tokens: int) -> None:
    res: list[tuple[str, int, str]] = []
    threads = [
        threading.Thread(target=lambda: res.append(CLIENTS[client](url, tokens, None)))
        for _ in range(streams)
    ]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open("/proc/self/status", encoding="ascii") as fh:  # VmHWM: Linux keeps ru_maxrss across exec
        hwm = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM"))
    complete = sum(r[1] == 2 * tokens for r in res)
    print(json.dumps({"wall_s": round(wall, 2), "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
                      "peak_mb": round(hwm / 1024), "complete": f"{complete}/{streams}"}))  # fmt: skip


def load(client: str, streams: int, tokens: int) -> dict:
    """``streams`` concurrent requests of ``tokens`` deltas each from a stub that answers at once:
    what the client itself costs (wall, CPU, memory), with no model in the way."""
    with Misbehaving("long") as stub:
        cmd = [sys.executable, __file__, "--load", client, stub.url, str(streams), str(tokens)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": proc.stderr.strip()[-200:]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=4, metavar=("CLIENT", "URL", "MAX_TOKENS", "CANCEL_AFTER"))
    ap.add_argument("--load", nargs=4, metavar=("CLIENT", "URL", "STREAMS", "TOKENS"))
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=2000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.load:
        client, url, streams, tokens = args.load
        load_child(client, url, int(streams), int(tokens))
        return 0
    if args.child:
        client, url, max_tokens, cancel_after = args.child
        child(client, url, int(max_tokens), float(cancel_after) if cancel_after else None)
        return 0
    try:
        import httpx
        import httpx_sse  # noqa: F401
    except ImportError:
        print("needs httpx and httpx-sse: pip install httpx httpx-sse")
        return 2
    print(f"httpx {httpx.__version__}; timeouts: silence {TIMEOUT_S:g} s both, deadline {DEADLINE_S:g} s raw only;"
          f" a run past {HANG_S:g} s is a hang")  # fmt: skip
    rows = []
    print(f"{'case':<42} {'client':<6} {'outcome':<9} {'s':>5} {'MB':>5}  message")
    for name, mode, max_tokens, cancel_after in CASES:
        for client in CLIENTS:
            r = run_case(client, mode, max_tokens, cancel_after)
            rows.append({"case": name, "client": client, **r})
            print(
                f"{name:<42} {client:<6} {r['outcome']:<9} {r['s']:>5.1f} {r['mb']:>5.0f}  {r.get('message', '')[:70]}",
                flush=True,
            )
    print(
        f"\nload: {args.streams} concurrent streams × {args.tokens} deltas from a stub that answers at once"
    )
    loads = {}
    for client in CLIENTS:
        loads[client] = load(client, args.streams, args.tokens)
        print(f"  {client:<6} {loads[client]}")
    if args.json:
        args.json.write_text(
            json.dumps({"cases": rows, "load": loads}, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a runaway client fails, not the machine
    sys.exit(main())
