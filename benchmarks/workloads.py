"""The benchmark networks in both libraries, and their arithmetic cost.

LeNet-5, the 4-conv net and the Fashion-MNIST net (BatchNorm and Dropout) are built from
striate's own built-in models; the PyTorch twins have the same layers in NCHW. FLOPs count a multiply-add as two operations.
"""

from __future__ import annotations

import numpy as np

import striate
from striate import layers as L

MODELS = ("lenet5", "convnet4", "fashion")


def striate_model(name: str, seed: int = 0):
    return striate.models.get(name, seed=seed)


def torch_model(name: str):
    import torch.nn as nn

    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))
    if name == "fashion":
        def conv(cin, f):
            return [nn.Conv2d(cin, f, 3, padding=1, bias=False), nn.BatchNorm2d(f), nn.ReLU()]

        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(32), nn.ReLU(),
            *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(256, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10))


def layer_flops(layer) -> int:
    """Forward FLOPs of one layer for one image (products of Conv2D and Dense only)."""
    if isinstance(layer, L.Conv2D):
        ho, wo, f = layer.output_shape
        kh, kw, cg, _ = layer.params["kernel"].shape
        return 2 * ho * wo * f * kh * kw * cg
    if isinstance(layer, L.Dense):
        return 2 * layer.params["kernel"].size
    return 0


def flops_per_image(model, training: bool) -> int:
    """Forward, or forward + both backward products (weights and inputs, none for the first layer)."""
    per_layer = [layer_flops(layer) for layer in model.layers]
    if not training:
        return sum(per_layer)
    return 3 * sum(per_layer) - per_layer[0]


def gemm_peak(threads: int, n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-product rate in GFLOP/s (median of square n×n products)."""
    import time

    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / sorted(times)[len(times) // 2] / 1e9
