"""striate alone, through its public API, for comparing two trees of it (before and after a change).

    PYTHONPATH=OLD/src python -m benchmarks.striate_only     # one JSON line per run
    PYTHONPATH=NEW/src python -m benchmarks.striate_only     # alternate the two, take medians

Training rates come from `train_step` (LeNet-5 and the 4-conv net at batches 64 and 256),
inference from `predict` (latency at batch 1, rates at batch 1000); each figure is the
median of 5 timed rounds after a warm-up. PyTorch is not involved: between two trees of
striate, its own rate is what changed. For ratios to PyTorch, use `python -m benchmarks`.
"""

from __future__ import annotations

import json
import time

import numpy as np

import striate
from striate import optim

ROUNDS = 5


def median_seconds(work, repeats: int) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(repeats):
            work()
        times.append((time.perf_counter() - start) / repeats)
    return float(np.median(times))


def train_rate(name: str, batch: int, steps: int, rng) -> float:
    model = getattr(striate.models, name)(seed=0)
    model.compile(optimizer=optim.SGD(lr=0.01, momentum=0.9), loss="cross_entropy")
    x, y = rng.random((batch, 28, 28, 1), dtype=np.float32), np.arange(batch) % 10
    for _ in range(3):
        model.train_step(x, y)
    return batch / median_seconds(lambda: model.train_step(x, y), steps)


def predict_seconds(name: str, batch: int, repeats: int, rng) -> float:
    model = getattr(striate.models, name)(seed=0)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    for _ in range(3):
        model.predict(x)
    return median_seconds(lambda: model.predict(x), repeats) / batch


def main() -> None:
    rng = np.random.default_rng(0)
    print(json.dumps({
        "LeNet-5 train, batch 64 (img/s)": train_rate("lenet5", 64, 40, rng),
        "LeNet-5 train, batch 256 (img/s)": train_rate("lenet5", 256, 12, rng),
        "4-conv train, batch 64 (img/s)": train_rate("convnet4", 64, 4, rng),
        "4-conv train, batch 256 (img/s)": train_rate("convnet4", 256, 2, rng),
        "LeNet-5 predict, batch 1 (us)": 1e6 * predict_seconds("lenet5", 1, 1000, rng),
        "LeNet-5 predict, batch 1000 (img/s)": 1 / predict_seconds("lenet5", 1000, 5, rng),
        "4-conv predict, batch 1000 (img/s)": 1 / predict_seconds("convnet4", 1000, 1, rng),
    }))


if __name__ == "__main__":
    main()
