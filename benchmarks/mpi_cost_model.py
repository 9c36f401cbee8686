"""The cost model of data-parallel training: ring all-reduce against a step's compute.

    python -m benchmarks.mpi_cost_model [--measured scaling.json] [--latency-us 20]

For each built-in classifier, the gradient is all its parameters in float32
(bytes = 4 · count_params(), computed from the models). A ring all-reduce over p
machines on links of bandwidth B and latency α takes

    T_ar(p) = 2(p − 1)/p · bytes / B + 2(p − 1) · α

and a step on a rank with b images of its own takes T_c = b · t_img, with t_img one
core's time per training image, measured here (a few steps at batch 32, one thread).
striate sends the gradients after the backward pass (no overlap), so the scaling
efficiency is E = T_c / (T_c + T_ar), and the per-rank batch that keeps E ≥ 90 % is
b₉₀ = ⌈9 · T_ar / t_img⌉ (global batch p · b₉₀).

With --measured (the JSON of benchmarks/mpi_scaling.py), it also predicts this machine's
own runs — 2 cores, so P ranks compute at most 2 at a time — from the measured one-thread
rate and Allreduce time, next to what was measured.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

import striate

LINKS_GBIT = (10, 25, 100)
MACHINES = (2, 4, 8, 16, 32, 64)
PER_RANK = 32  # images per rank per step for the efficiency columns


def allreduce_seconds(p: int, nbytes: float, gbit: float, latency: float) -> float:
    """Ring all-reduce of nbytes over p machines: reduce-scatter then all-gather."""
    return 2 * (p - 1) / p * nbytes / (gbit * 1e9 / 8) + 2 * (p - 1) * latency


def seconds_per_image(model, batch: int = 32, steps: int = 3) -> float:
    """One core's training time per image (the median of `steps` steps after a warm-up)."""
    from striate.engine import threads

    threads.set_threads(1)
    model.compile(striate.optim.SGD(lr=0.01), "cross_entropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, *model.input_shape)).astype(np.float32)
    y = rng.integers(0, model.output_shape[-1], size=batch)
    model.train_step(x, y)
    times = []
    for _ in range(steps):
        began = time.perf_counter()
        model.train_step(x, y)
        times.append(time.perf_counter() - began)
    return float(np.median(times)) / batch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency-us", type=float, default=20.0,
                   help="one message's latency α in µs (default 20)")
    p.add_argument("--measured", help="the JSON written by benchmarks.mpi_scaling --json")
    p.add_argument("--models", nargs="+", default=[n for n in striate.models.CLASSIFIERS if n != "fcn"])
    args = p.parse_args()
    alpha = args.latency_us * 1e-6
    print(f"ring all-reduce, α = {args.latency_us:g} µs; E at {PER_RANK} images per rank; "
          "b₉₀ = images per rank for 90 % efficiency\n")
    print("| model | params | gradient | t_img (ms, 1 core) | link | "
          + " | ".join(f"p={p}: E / b₉₀" for p in MACHINES) + " |")
    print("| --- | ---: | ---: | ---: | --- |" + " ---: |" * len(MACHINES))
    for name in args.models:
        model = striate.models.get(name, seed=0)
        nbytes = 4 * model.count_params()
        t_img = seconds_per_image(model)
        for gbit in LINKS_GBIT:
            cells = []
            for machines in MACHINES:
                t_ar = allreduce_seconds(machines, nbytes, gbit, alpha)
                efficiency = PER_RANK * t_img / (PER_RANK * t_img + t_ar)
                cells.append(f"{100 * efficiency:.0f} % / {math.ceil(9 * t_ar / t_img)}")
            print(f"| {name} | {model.count_params():,} | {nbytes / 1e6:.2f} MB | {1000 * t_img:.2f} | "
                  f"{gbit} Gbit/s | " + " | ".join(cells) + " |")
    if args.measured:
        measured = json.loads(Path(args.measured).read_text())
        print("\nthis machine (2 cores): predicted images/s = B / (B · t₁ / min(P, 2) + T_ar), "
              "t₁ = 1 / (1 process, 1 thread images/s), "
              "T_ar = the Allreduce alone as measured (shared memory, not a network)\n")
        print("| model, global batch | ranks | predicted images/s | measured images/s | measured / predicted |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, runs in measured.items():
            batch, t1 = runs["batch"], 1 / runs["1 process, 1 thread"]["images_per_s"]
            for label, ranks in (("2 ranks × 1 thread", 2), ("4 ranks × 1 thread (oversubscribed)", 4)):
                if label not in runs:
                    continue
                predicted = batch / (batch * t1 / min(ranks, 2) + runs[label]["allreduce_alone_ms"] / 1000)
                got = runs[label]["images_per_s"]
                print(f"| {name}, {batch} | {ranks} | {predicted:,.0f} | {got:,.0f} | {got / predicted:.2f} |")


if __name__ == "__main__":
    main()
