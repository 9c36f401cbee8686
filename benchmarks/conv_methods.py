"""Each convolution method of striate.functional.fast against PyTorch, layer by layer.

    python -m benchmarks.conv_methods [--threads 1] [--rounds 9] [--batch 64]

One training pass of a single layer (forward, then dx, dkernel and dbias) on the 3×3
layers of the 4-conv net and the Fashion-MNIST net, by every method that applies
(im2col, winograd = F(2×2, 3×3), winograd4 = F(4×4, 3×3), forced through fast conv2d's
`method=`) and by PyTorch's conv2d forward and backward on the same numbers (NCHW),
with the same threads. The jobs take turns, round after round, and each figure is the
median over the rounds; the ratio is PyTorch's time ÷ the method's (higher is better).
The last column is what algorithms.conv_method picks.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from striate.functional import fast
from striate.functional.fast import algorithms

SAME = ((1, 1), (1, 1))
# (label, H = W, C, F): the 3×3 layers of convnet4 (all four) and fashion (the same shapes, less the second)
LAYERS = [
    ("1→32 @ 28×28 (first layer)", 28, 1, 32),
    ("32→32 @ 28×28", 28, 32, 32),
    ("32→64 @ 14×14", 14, 32, 64),
    ("64→64 @ 14×14", 14, 64, 64),
]
METHODS = ("im2col", "winograd", "winograd4")


def striate_job(method, x, kernel, bias, dy):
    workspace = {}

    def run():
        y, cache = fast.conv2d(x, kernel, bias, (1, 1), SAME, workspace=workspace, training=True, method=method)
        fast.conv2d_backward(dy, cache, kernel, (1, 1), SAME, workspace=workspace)
    return run


def torch_job(x, kernel, bias, dy):
    import torch

    tx = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    tk = torch.tensor(kernel.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    tb = torch.tensor(bias, requires_grad=True)
    tdy = torch.tensor(dy.transpose(0, 3, 1, 2).copy())

    def run():
        tx.grad = tk.grad = tb.grad = None
        torch.nn.functional.conv2d(tx, tk, tb, padding=1).backward(tdy)
    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.threads)
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
        print("note: PyTorch is not installed: the methods are timed alone")
    rng = np.random.default_rng(0)
    n = args.batch
    print(f"one training pass of one layer, batch {n}, {args.threads} thread(s), median of {args.rounds} rounds "
          f"(ms; ratio = PyTorch ÷ method)")
    for label, hw, c, f in LAYERS:
        x = rng.standard_normal((n, hw, hw, c), dtype=np.float32)
        kernel = (rng.standard_normal((3, 3, c, f), dtype=np.float32) / np.sqrt(9 * c)).astype(np.float32)
        bias = rng.standard_normal(f, dtype=np.float32)
        dy = rng.standard_normal((n, hw, hw, f), dtype=np.float32)
        jobs = {m: striate_job(m, x, kernel, bias, dy) for m in METHODS}
        if torch is not None:
            jobs["PyTorch"] = torch_job(x, kernel, bias, dy)
        times = {name: [] for name in jobs}
        for job in jobs.values():
            job()  # warm-up: scratch buffers, BLAS threads
        for _ in range(args.rounds):
            for name, job in jobs.items():
                start = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - start)
        med = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        base = med.get("PyTorch")
        cells = [f"{name} {ms:6.1f}" + (f" ({base / ms:.2f}×)" if base and name != "PyTorch" else "")
                 for name, ms in med.items()]
        pick = algorithms.conv_method(x.shape, kernel.shape, (1, 1), (1, 1), 1)
        print(f"{label:28s} " + "   ".join(cells) + f"   table: {pick}")


if __name__ == "__main__":
    main()
