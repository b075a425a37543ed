"""A small HTTP file server on 127.0.0.1 with Range support, switches to drop connections, and
Hugging Face's published checksum headers on HEAD."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.cut_after: int | None = None  # next response stops after this many body bytes
        self.cuts: list[int] = []  # then each next response stops after this many, in turn
        self.published: dict[str, tuple[str, int]] = {}  # path → (X-Linked-Etag, X-Linked-Size)
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_HEAD(self) -> None:  # noqa: N802 - as the hub's resolve answers, before its redirect
                linked = server.published.get(self.path)
                if linked is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(302)
                self.send_header("Location", self.path + "?cdn=1")
                self.send_header("X-Linked-Etag", f'"{linked[0]}"')
                self.send_header("X-Linked-Size", str(linked[1]))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                data = server.files.get(self.path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut, server.cut_after = server.cut_after, None
                if cut is None and server.cuts:
                    cut = server.cuts.pop(0)
                if cut is not None:
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
