"""`striate serve` under load on loopback: clients posting PNGs to /api/predict, malformed requests mixed in.

    python -m benchmarks.web_load [--clients 1 4 16] [--seconds 5] [--rounds 3] [--model lenet5] [--every 10]

The server runs as `striate serve MODEL --no-browser` in its own process (the clients'
threads do not share its interpreter). For each number of clients N, N threads, each with
its own keep-alive connection (http.client), post 28×28 PNGs (256 different ones, in
random order: the server keeps the activations of its last 8 images) for a fixed time; every
`every`-th request of a client is a malformed one instead, in turn: an empty body, text
sent as a PNG, text as text/plain, a truncated PNG, a PNG whose header states 100,000 ×
100,000 pixels, and a 9 MiB body (over the 8 MiB limit). Reported: requests/s of the good
requests, their latency (p50, p99), and every answer's status; each malformed request must
get a 4xx, no request a 5xx, and a good request after the run must still succeed. The
numbers of clients take turns, round after round (a noisy machine slows all alike); the
table gives each one's medians over the rounds.

The server answers one image at a time (one model, one lock), so the figure is its
throughput; more clients add queueing, seen in the latency.
"""

from __future__ import annotations

import argparse
import http.client
import io
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter

import numpy as np

HUGE = 9 << 20  # bytes: over the server's 8 MiB limit


def png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def images(n: int = 256, size: int = 28, seed: int = 0) -> list[bytes]:
    """n different grey PNGs: a few bright blobs on black, like strokes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    out = []
    for _ in range(n):
        a = np.zeros((size, size))
        for cy, cx, r in rng.uniform([6, 6, 1.5], [22, 22, 4], (4, 3)):
            a = np.maximum(a, np.clip(r - np.hypot(yy - cy, xx - cx), 0, 1))
        out.append(png(np.round(a * 255).astype(np.uint8)))
    return out


def stated_size_png(width: int, height: int) -> bytes:
    """A small PNG whose header states width × height (8-bit grey), its data a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(64))) + chunk(b"IEND", b""))


def malformed(good: bytes) -> list[tuple[str, str, bytes]]:
    """(name, Content-Type, body) of requests the server must refuse with a 4xx."""
    return [("empty body", "image/png", b""),
            ("text sent as a PNG", "image/png", b"this is not an image\n" * 20),
            ("text/plain", "text/plain", b"hello"),
            ("truncated PNG", "image/png", good[:len(good) // 2]),
            ("PNG stating 100000x100000", "image/png", stated_size_png(100_000, 100_000)),
            ("9 MiB body", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(HUGE))]


def post(conn: http.client.HTTPConnection, path: str, content_type: str, body: bytes) -> int:
    """The status of one POST on a keep-alive connection, reconnecting when the server closed it.

    A server refusing a large body answers before reading it and closes the connection: the
    answer is read even when sending the rest fails.
    """
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
    except (BrokenPipeError, ConnectionResetError):
        pass  # read the answer the server sent before closing
    try:
        response = conn.getresponse()
        response.read()
        if response.will_close:
            conn.close()
        return response.status
    except (http.client.HTTPException, OSError):
        conn.close()
        return 0  # no answer: counted as a failure


class Client(threading.Thread):
    def __init__(self, host, port, until, good, bad, every, offset):
        super().__init__(daemon=True)
        self.host, self.port, self.until = host, port, until
        self.good, self.bad, self.every, self.offset = good, bad, every, offset
        # each client its own order of the images: the server keeps the activations of its last 8
        # images, and clients sending the same image at once would measure that cache
        self.rng = np.random.default_rng(offset)
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()  # (kind, status) -> count; kind "good" or a malformed name

    def run(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        i = self.offset
        while time.perf_counter() < self.until:
            i += 1
            if self.every and i % self.every == 0:
                name, content_type, body = self.bad[(i // self.every) % len(self.bad)]
                self.statuses[name, post(conn, "/api/predict", content_type, body)] += 1
                continue
            start = time.perf_counter()
            status = post(conn, "/api/predict", "image/png", self.good[self.rng.integers(len(self.good))])
            if status == 200:
                self.latencies.append(time.perf_counter() - start)
            self.statuses["good", status] += 1
        conn.close()


def load(host: str, port: int, clients: int, seconds: float, every: int = 10, good=None) -> dict:
    """N clients for `seconds`: {"clients", "seconds", "requests_per_s", "p50_ms", "p99_ms", "statuses"}.

    statuses: Counter of (kind, status); kind is "good" or the malformed request's name.
    """
    good = good or images()
    bad = malformed(good[0])
    until = time.perf_counter() + seconds
    threads = [Client(host, port, until, good, bad, every, offset=k) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies = np.array([v for t in threads for v in t.latencies])
    statuses = sum((t.statuses for t in threads), Counter())
    return {"clients": clients, "seconds": elapsed, "requests_per_s": len(latencies) / elapsed,
            "p50_ms": 1000 * float(np.percentile(latencies, 50)) if len(latencies) else float("nan"),
            "p99_ms": 1000 * float(np.percentile(latencies, 99)) if len(latencies) else float("nan"),
            "statuses": statuses}


def problems(result: dict) -> list[str]:
    """What went wrong: a 5xx or no answer anywhere, a malformed request not answered 4xx, a good one refused."""
    out = []
    for (kind, status), count in sorted(result["statuses"].items()):
        if kind == "good" and status != 200:
            out.append(f"{count} good requests got {status or 'no answer'}")
        if kind != "good" and not 400 <= status < 500:
            out.append(f"{count} × {kind}: got {status or 'no answer'}, expected a 4xx")
    return out


def alive(host: str, port: int, body: bytes) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        return post(conn, "/api/predict", "image/png", body) == 200
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model: str, port: int) -> subprocess.Popen:
    """`striate serve MODEL` in a new process, once it accepts connections."""
    server = subprocess.Popen([sys.executable, "-m", "striate", "serve", model, "--no-browser",
                               "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL)
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"striate serve {model} exited with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"striate serve {model} did not listen on port {port} within 30 s")


def median(results: list[dict]) -> dict:
    """One number of clients over the rounds: medians of the figures, all statuses counted."""
    return {"clients": results[0]["clients"],
            **{k: float(np.median([r[k] for r in results])) for k in ("requests_per_s", "p50_ms", "p99_ms")},
            "statuses": sum((r["statuses"] for r in results), Counter())}


def table(results: list[dict]) -> str:
    lines = ["| clients | requests/s | p50 latency | p99 latency | good requests (all rounds) "
             "| malformed, answered 4xx | 5xx |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        s = r["statuses"]
        good = sum(n for (kind, _), n in s.items() if kind == "good")
        bad = sum(n for (kind, _), n in s.items() if kind != "good")
        bad_4xx = sum(n for (kind, status), n in s.items() if kind != "good" and 400 <= status < 500)
        errors = sum(n for (_, status), n in s.items() if status >= 500)
        lines.append(f"| {r['clients']} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
                     f"{good} | {bad_4xx} of {bad} | {errors} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=5.0, help="per number of clients and round (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the numbers of clients (default 3)")
    parser.add_argument("--model", default="lenet5", help="a model file or a built-in name (default lenet5)")
    parser.add_argument("--every", type=int, default=10, help="every n-th request of a client is malformed")
    args = parser.parse_args(argv)
    port = free_port()
    server = serve(args.model, port)
    good = images()
    try:
        runs, failed = {n: [] for n in args.clients}, []
        for round_ in range(args.rounds):
            for n in args.clients:
                r = load("127.0.0.1", port, n, args.seconds, args.every, good)
                runs[n].append(r)
                failed += [f"{n} clients: {p}" for p in problems(r)]
                print(f"round {round_ + 1}, {n:2d} clients: {r['requests_per_s']:.0f} requests/s, "
                      f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms", flush=True)
        up = alive("127.0.0.1", port, good[0]) and server.poll() is None
    finally:
        server.terminate()
        server.wait(10)
    print()
    results = [median(runs[n]) for n in args.clients]
    print(f"medians of {args.rounds} rounds of {args.seconds:g} s:")
    print(table(results))
    kinds = sorted({(kind, status) for r in results for kind, status in r["statuses"] if kind != "good"})
    print("\nmalformed requests, answered: " + "; ".join(f"{kind} → {status}" for kind, status in kinds))
    print(f"a good request after the load: {'200' if up else 'FAILED'}")
    for p in failed:
        print("problem:", p)
    return 0 if up and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
