"""Two trees of striate taking turns, for a before/after on a busy machine.

    python -m benchmarks.paired OLD/src NEW/src [--cases convnet4:64:train:2,lenet5:1000:predict:2] [--pairs 16]

Each tree runs in its own process (its PYTHONPATH), the model built and warmed up once;
then the two take turns, one timed burst each (`reps` train_steps or predicts), the
order swapped every pair. Load that comes and goes hits both sides of a pair alike, so
the median of the per-pair ratios (new time ÷ old time) is far steadier than separate
runs of benchmarks.striate_only when others share the cores. A case is
model:batch:train|predict:reps.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = ("convnet4:64:train:2,convnet4:256:train:1,lenet5:64:train:20,lenet5:256:train:6,"
         "lenet5:1:predict:300,lenet5:1000:predict:2,convnet4:1000:predict:1")


def worker(name: str, batch: int, kind: str) -> None:
    """In the tree's own process: build, warm up, then time a burst per line read."""
    import striate
    from striate import optim

    rng = np.random.default_rng(0)
    model = striate.models.get(name, seed=0)
    model.compile(optim.SGD(lr=0.01, momentum=0.9), "cross_entropy")
    x, y = rng.random((batch, 28, 28, 1), dtype=np.float32), np.arange(batch) % 10
    work = (lambda: model.train_step(x, y)) if kind == "train" else (lambda: model.predict(x))
    for _ in range(3):
        work()
    print("ready", flush=True)
    for line in sys.stdin:
        reps = int(line)
        start = time.perf_counter()
        for _ in range(reps):
            work()
        print((time.perf_counter() - start) / reps, flush=True)


def compare(trees: dict, case: str, pairs: int) -> str:
    name, batch, kind, reps = case.split(":")
    procs = {}
    for label, src in trees.items():
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.getcwd()]))
        procs[label] = subprocess.Popen([sys.executable, "-m", "benchmarks.paired", "--worker", name, batch, kind],
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if procs[label].stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {label} tree's worker failed to start")
    times = {label: [] for label in trees}
    for i in range(pairs):
        for label in (list(trees) if i % 2 == 0 else list(trees)[::-1]):
            procs[label].stdin.write(f"{reps}\n")
            procs[label].stdin.flush()
            times[label].append(float(procs[label].stdout.readline()))
    for p in procs.values():
        p.stdin.close()
        p.wait()
    ratios = [b / a for a, b in zip(times["old"], times["new"])]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return (f"{name} {kind}, batch {batch}: old {statistics.median(times['old']) * 1e3:.2f} ms, "
            f"new {statistics.median(times['new']) * 1e3:.2f} ms; new/old {statistics.median(ratios):.3f} "
            f"(quartiles {q1:.3f}–{q3:.3f}, {pairs} pairs)")


def main(argv=None) -> None:
    if argv is None and sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--cases", default=CASES)
    p.add_argument("--pairs", type=int, default=16)
    a = p.parse_args(argv)
    for case in a.cases.split(","):
        print(compare({"old": a.old, "new": a.new}, case, a.pairs), flush=True)


if __name__ == "__main__":
    main()
