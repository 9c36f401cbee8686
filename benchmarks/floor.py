"""How fast could NumPy + BLAS go? A step's matrix products alone, against PyTorch's step.

    python -m benchmarks.floor [--threads 2] [--repeats 5] [--json floor.json]

striate's engine spends its FLOPs in BLAS products: per Conv2D, patches @ kernel
(forward), patchesᵀ @ dy (kernel gradient) and the input gradient's own convolution; per
Dense, three small products. This runs exactly those products, with the shapes and
cache-sized chunks the engine uses, on random arrays, and nothing else: no patch
gathering, padding, activation, pooling, loss, optimizer or Python between layers. It runs
them the two ways a NumPy engine can use two cores:

    sharded  one shard of the batch per core, BLAS single-threaded (striate.engine.threads)
    whole    the whole batch in one thread, BLAS on every core

and takes the faster. The result is a ceiling: the images/s striate would reach if every
other line of the engine cost nothing. Where that ceiling is below a target (striate ÷
PyTorch), no arrangement of NumPy calls around these products can reach the target; only
faster products (a compiled direct convolution, as oneDNN runs inside PyTorch) could.
PyTorch's whole step is timed in the same process, interleaved, as in `python -m benchmarks`.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from striate import layers as L
from striate.engine import threads as engine_threads
from striate.functional.fast import algorithms as A

from .__main__ import make_jobs, set_threads, time_row
from .workloads import striate_model

# (label, training, model, batch, images per timed repeat, target ratio)
ROWS = [
    ("LeNet-5 train, batch 64", True, "lenet5", 64, 64 * 30, 1.0),
    ("LeNet-5 train, batch 256", True, "lenet5", 256, 256 * 10, 0.9),
    ("4-conv train, batch 64", True, "convnet4", 64, 64 * 4, 0.9),
    ("4-conv train, batch 256", True, "convnet4", 256, 256 * 2, 1.0),
    ("LeNet-5 predict, batch 1000", False, "lenet5", 1000, 5000, 0.8),
    ("4-conv predict, batch 1000", False, "convnet4", 1000, 1000, 1.3),
]


def conv_products(layer, n: int, training: bool, first: bool) -> list[tuple]:
    """(m, k, f, transposed-lhs) of each product one Conv2D issues for a batch of n."""
    (h, w, c), (ho, wo, f) = layer.input_shape, layer.output_shape
    kh, kw = layer.kernel_size
    k = kh * kw * c
    fwd = [(e - s, ho * wo, k, f) for s, e in A.patch_chunks(n, ho * wo, k, f, 1, 4, training)]
    out = [(b * hw, kk, ff, False) for b, hw, kk, ff in fwd]
    if not training:
        return out
    out += [(kk, b * hw, ff, True) for b, hw, kk, ff in fwd]  # patchesᵀ @ dy
    if first:  # the first layer's input gradient is never computed
        return out
    pad = layer.resolved_padding
    method = A.input_grad_method((n, h, w, c), (kh, kw, c, f), (n, ho, wo, f), layer.stride, pad, layer.groups)
    if method == "band":  # as conv2d_backward: one band product
        return out + [(n * ho, wo * f, kh * (w + sum(pad[1])) * c, False)]
    if method == "full":  # a full convolution, F in and C out
        return out + [((e - s) * h * w, kh * kw * f, c, False) for s, e in A.chunks(n, h * w * kh * kw * f * 4)]
    return out + [(n * ho * wo, f, kh * kw * c, False)]  # else one product for all taps


def products(model, n: int, training: bool) -> list[tuple]:
    """Every product of one forward (and backward) pass of `model` on a batch of n."""
    out = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, L.Conv2D):
            if layer.stride != (1, 1) or layer.groups != 1:
                raise ValueError(f"{layer.name}: the floor counts stride-1, ungrouped convolutions only")
            out += conv_products(layer, n, training, first=i == 0)
        elif isinstance(layer, L.Dense):
            k, f = layer.params["kernel"].shape
            out.append((n, k, f, False))
            if training:
                out += [(k, n, f, True), (n, f, k, False)]
    return out


def operands(shapes, rng):
    """Random (a, b, out) for each (m, k, f, transposed) product."""
    ops = []
    for m, k, f, transposed in shapes:
        a = rng.random((k, m) if transposed else (m, k), dtype=np.float32)
        ops.append((a.T if transposed else a, rng.random((k, f), dtype=np.float32), np.empty((m, f), np.float32)))
    return ops


def run_products(ops) -> None:
    for a, b, out in ops:
        np.matmul(a, b, out=out)


def floor_job(model, batch: int, n: int, training: bool, threads: int, sharded: bool, rng):
    """A job that runs the products of n images' worth of steps, sharded or whole."""
    if not sharded:
        ops = operands(products(model, batch, training), rng)
        return lambda: [run_products(ops) for _ in range(n // batch)]
    bounds = np.linspace(0, batch, threads + 1).round().astype(int)
    per_shard = [operands(products(model, int(e - s), training), rng) for s, e in zip(bounds[:-1], bounds[1:])]
    return lambda: [engine_threads.run(lambda i: run_products(per_shard[i]), threads) for _ in range(n // batch)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", help="write the table as JSON to this file")
    a = p.parse_args(argv)
    torch = set_threads(a.threads)
    engine_threads.set_threads(a.threads)
    rng = np.random.default_rng(0)
    header = (f"{'workload':<28}{'products':>10}{'sharded':>9}{'whole':>9}{'PyTorch':>9}"
              f"{'ceiling':>9}{'target':>8}")
    print("images/s: the step's matrix products alone (sharded, whole: the faster is the ceiling)")
    print(header + "\n" + "-" * len(header))
    rows = []
    for label, training, name, batch, n, target in ROWS:
        model = striate_model(name)
        jobs = {"sharded": floor_job(model, batch, n, training, a.threads, True, rng),
                "whole": floor_job(model, batch, n, training, a.threads, False, rng)}
        if torch is not None:
            kind = "train" if training else "predict"
            jobs["pytorch"] = make_jobs(kind, name, batch, n, True, rng)["pytorch"]
        med = time_row(jobs, n, a.repeats)
        gflop = sum(2 * m * k * f for m, k, f, _ in products(model, batch, training)) / batch / 1e9
        row = {"workload": label, "gflop_per_image": gflop, **med, "target": target}
        row["products"] = max(med["sharded"], med["whole"])
        if "pytorch" in med:
            row["ceiling_ratio"] = row["products"] / med["pytorch"]
        rows.append(row)
        ceiling = f"{row['ceiling_ratio']:>8.2f}x" if "ceiling_ratio" in row else f"{'-':>9}"
        print(f"{label:<28}{row['products']:>10,.0f}{med['sharded']:>9,.0f}{med['whole']:>9,.0f}"
              f"{med.get('pytorch', 0):>9,.0f}{ceiling}{target:>7.1f}x", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "repeats": a.repeats, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
