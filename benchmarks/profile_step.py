"""Where a training step spends its time: per layer, forward and backward.

    python -m benchmarks.profile_step [--model lenet5|convnet4] [--batch 64] [--steps 30]
                                      [--bufsize N] [--rest-without "Conv2D #3,Conv2D #6"]

Times each step's forward(training=True) and backward — a layer, or a layer and the ReLU
fused with it, as a model runs them (striate.engine.steps) — with perf_counter over many steps (median per layer), plus the loss
and the optimizer step, and compares their sum with the time of a whole `train_step`.
The gap is the Python glue between layers. The steps run, as a model's do, inside the
engine's ufunc-buffer scope (striate.engine.ufunc_buffer), of --bufsize elements if given.
--rest-without prints the sum of the parts whose names contain none of the given names
(e.g. everything but the 3×3 convolutions with many channels).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

import numpy as np

import striate
from striate import optim
from striate.engine import steps as S
from striate.engine import ufunc_buffer


def _step_name(step) -> str:
    """"Conv2D #1 + ReLU #2" for a fused step, the layer's name for a plain one."""
    return " + ".join(layer.name for layer in vars(step).values() if hasattr(layer, "params"))


def _time_steps(steps, times):
    """Wrap each step's forward and backward methods (on the instance) with a timer."""
    for step in steps:
        for method in ("forward", "backward"):
            setattr(step, method, _timed(getattr(step, method), times[(_step_name(step), method)]))


def _timed(fn, into: list):
    def run(*args, **kwargs):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        into.append(time.perf_counter() - t)
        return out
    return run


def profile(name: str, batch: int, steps: int, bufsize: int | None = None, without=()):
    model = striate.models.get(name, seed=0)
    model.compile(optim.SGD(lr=0.01, momentum=0.9), "cross_entropy")
    rng = np.random.default_rng(0)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    times = defaultdict(list)
    plan = S.plan(model.layers)  # the steps a model runs its layers as; timed copies, not the model's
    _time_steps(plan, times)
    with ufunc_buffer.scope(bufsize):
        _run(model, plan, x, y, steps, times)
    _report(name, batch, model, x, y, steps, times, without)


def _run(model, plan, x, y, steps, times):
    for step in range(steps + 3):
        t0 = time.perf_counter()
        out = S.forward(plan, x, training=True)
        t = time.perf_counter()
        model.loss.forward(out, y)
        dy = model.loss.backward()
        times[("loss", "both")].append(time.perf_counter() - t)
        S.backward(plan, dy, input_grad=False)
        t = time.perf_counter()
        model.optimizer.step(model.layers)
        times[("optimizer", "step")].append(time.perf_counter() - t)
        times[("whole step", "")].append(time.perf_counter() - t0)


def _report(name, batch, model, x, y, steps, times, without):
    med = {k: statistics.median(v[3:]) * 1e3 for k, v in times.items()}
    whole = med.pop(("whole step", ""))
    steps_total = []
    t0 = time.perf_counter()
    for _ in range(steps):
        t = time.perf_counter()
        model.train_step(x, y)
        steps_total.append(time.perf_counter() - t)
    train_step = statistics.median(steps_total) * 1e3
    print(f"{name}, batch {batch}: train_step {train_step:.2f} ms = {batch / train_step * 1e3:,.0f} img/s")
    w = max(len(part) for part, _ in med) + 2
    print(f"{'part':<{w}}{'pass':<10}{'ms':>8}{'share':>8}")
    for (part, kind), ms in sorted(med.items(), key=lambda kv: -kv[1]):
        print(f"{part:<{w}}{kind:<10}{ms:>8.3f}{ms / whole:>8.1%}")
    print(f"{'sum of parts':<{w + 10}}{sum(med.values()):>8.3f}")
    if without:
        rest = sum(ms for (part, _), ms in med.items() if not any(n in part for n in without))
        print(f"{'rest':<{w + 10}}{rest:>8.3f}   (without {', '.join(without)})")


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="lenet5")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--bufsize", type=int, default=None, help="ufunc buffer in elements (default: the engine's)")
    p.add_argument("--rest-without", default="", help="comma-separated names of parts left out of the 'rest' sum")
    a = p.parse_args(argv)
    without = tuple(n.strip() for n in a.rest_without.split(",") if n.strip())
    profile(a.model, a.batch, a.steps, a.bufsize, without)


if __name__ == "__main__":
    main()
