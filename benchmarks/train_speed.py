"""Training speed of striate and PyTorch, side by side.

Same threads, batch size, data and network; one process; the two libraries take turns
(interleaved repeats) so that a noisy machine slows both alike; medians are reported.
striate is timed through its public API (`Sequential.fit`), PyTorch through the usual
zero_grad / forward / loss / backward / step loop.

    python -m benchmarks.train_speed [--threads 2] [--repeats 5] [--steps 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import striate
from striate import optim

WORKLOADS = [("lenet5", 64), ("lenet5", 256), ("convnet4", 64), ("convnet4", 256)]


def set_threads(n: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("note: threadpoolctl is not installed; NumPy's BLAS uses its default thread count")
        return
    threadpool_limits(n)


def torch_net(name: str):
    import torch.nn as nn

    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10))


def striate_runner(name, batch, x, y):
    model = striate.models.get(name, seed=0)
    model.compile(optim.SGD(lr=0.01, momentum=0.9), "cross_entropy")

    def run():
        model.fit(x, y, epochs=1, batch_size=batch, shuffle=False, verbose=0)
    return run


def torch_runner(name, batch, x, y):
    import torch

    net = torch_net(name)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        for start in range(0, len(tx), batch):
            opt.zero_grad()
            loss_fn(net(tx[start : start + batch]), ty[start : start + batch]).backward()
            opt.step()
    return run


def measure(run, images: int) -> float:
    start = time.perf_counter()
    run()
    return images / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20, help="training steps per timed repeat")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("note: PyTorch is not installed; timing striate alone (pip install torch==2.13.0 to compare)")
    rng = np.random.default_rng(0)
    rows = []
    print(f"{'workload':<22}{'striate img/s':>15}{'PyTorch img/s':>15}{'ratio':>8}")
    for name, batch in WORKLOADS:
        n = batch * args.steps
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, n)
        runners = {"striate": striate_runner(name, batch, x, y)}
        if torch is not None:
            runners["pytorch"] = torch_runner(name, batch, x, y)
        for run in runners.values():
            run()  # warm-up: allocations, caches, lazy initialisation
        rates = {k: [] for k in runners}
        for _ in range(args.repeats):
            for key, run in runners.items():
                rates[key].append(measure(run, n))
        med = {k: statistics.median(v) for k, v in rates.items()}
        ratio = med["striate"] / med["pytorch"] if "pytorch" in med else None
        rows.append({"model": name, "batch": batch, "striate_img_s": med["striate"],
                     "pytorch_img_s": med.get("pytorch"), "ratio": ratio})
        torch_col = f"{med['pytorch']:>15,.0f}" if "pytorch" in med else f"{'-':>15}"
        ratio_col = f"{ratio:>7.2f}x" if ratio else f"{'-':>8}"
        print(f"{name + ' train, batch ' + str(batch):<22}{med['striate']:>15,.0f}{torch_col}{ratio_col}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "repeats": args.repeats, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
