"""What `striate train … --watch` costs the training run: the same run with and without it.

    python -m benchmarks.watch_overhead [--rounds 5] [--limit 6000] [--epochs 1] [--data-dir DIR]

Each round runs `striate train --dataset mnist --model lenet5` twice, in fresh processes,
once plain and once with --watch (the server on its thread, a snapshot every 2 s, and a
client reading the page's event stream as a browser would); the order alternates from
round to round. The figure is the training time the command reports ("seconds": fit,
without loading the data), as medians over the rounds and their ratio, and the CPU time
of the whole process (user + system, data loading included: the same in both), which
other people's work on a shared machine disturbs less than the wall clock. The goal:
under 1.05 (5 %). PyTorch is not involved: this measures striate against itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_events(port: int, stop: threading.Event, seen: list) -> None:
    """Follow /api/training/events like the page does, counting the events, until the run ends."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/training/events", timeout=30) as r:
                for line in r:
                    if line.startswith(b"data:"):
                        seen.append(json.loads(line[5:]).get("snapshot_ms"))
            return
        except OSError:
            time.sleep(0.05)


def cpu_seconds() -> float:
    """User + system time of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args, watch: bool) -> tuple[float, float, list]:
    """(fit seconds, CPU seconds of the process, the snapshot times the client received) of one run."""
    argv = [sys.executable, "-m", "striate", "train", "--dataset", "mnist", "--model", "lenet5", "--epochs",
            str(args.epochs), "--limit", str(args.limit), "--json", "--no-augment"]
    if args.data_dir:
        argv += ["--data-dir", args.data_dir]
    seen: list = []
    stop = threading.Event()
    reader = None
    if watch:
        port = free_port()
        argv += ["--watch", "--watch-port", str(port), "--no-browser"]
        reader = threading.Thread(target=read_events, args=(port, stop, seen), daemon=True)
        reader.start()
    cpu = cpu_seconds()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, env=os.environ.copy())
    cpu = cpu_seconds() - cpu
    stop.set()
    if done.returncode != 0:
        raise SystemExit(f"the run failed: {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"], cpu, seen


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--limit", type=int, default=6000, help="training images (default 6000)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--data-dir", help="folder of the MNIST files (default: where striate finds them)")
    args = p.parse_args()
    plain, watched, events, snapshot_ms = [], [], [], []
    cpu = {False: [], True: []}
    for r in range(args.rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        for watch in order:
            seconds, used, n = run(args, watch)
            (watched if watch else plain).append(seconds)
            cpu[watch].append(used)
            if watch:
                events.append(len(n))
                snapshot_ms += [ms for ms in n[-1:] if ms is not None]
        print(f"round {r + 1}: plain {plain[-1]:.2f} s, --watch {watched[-1]:.2f} s "
              f"({events[-1]} events read); CPU {cpu[False][-1]:.2f} s and {cpu[True][-1]:.2f} s", flush=True)
    a, b = statistics.median(plain), statistics.median(watched)
    print(f"median over {args.rounds} rounds: plain {a:.2f} s, --watch {b:.2f} s, ratio {b / a:.3f} "
          f"(lenet5, {args.limit} MNIST images, {args.epochs} epoch{'s' if args.epochs > 1 else ''})")
    c, d = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(f"CPU time of the process, medians: plain {c:.2f} s, --watch {d:.2f} s, ratio {d / c:.3f}")
    if snapshot_ms:
        print(f"a snapshot on the training thread: {statistics.median(snapshot_ms):.2f} ms (median), one every 2 s")


if __name__ == "__main__":
    main()
