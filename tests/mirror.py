"""A local HTTP mirror on 127.0.0.1 for the download tests: no test ever reaches the internet.

It serves files from a dict, honours `Range: bytes=N-` (206 Partial Content), and can
misbehave on purpose: drop the connection halfway through a file, or ignore Range.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Mirror:
    """Serve `files` ({"/path": bytes}) at `url` until close().

    Attributes:
        drop: paths whose next `drop[path]` responses send half of the bytes asked for
            and then close the connection.
        ignore_range: paths answered with the whole file (200) even when a Range is asked.
        requests: (path, Range header or None) of every request, in order.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drop: dict[str, int] = {}
        self.ignore_range: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                mirror.requests.append((self.path, self.headers.get("Range")))
                data = mirror.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and self.path not in mirror.ignore_range:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mirror.drop.get(self.path, 0) > 0:
                    mirror.drop[self.path] -= 1
                    body = body[: len(body) // 2]  # then HTTP/1.0 closes the connection
                self.wfile.write(body)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
