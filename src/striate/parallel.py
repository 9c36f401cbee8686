"""Both cores for one model: the batch split into shards, one thread per shard.

NumPy runs each operation on one core; only BLAS (the matrix products) uses more, and
for the tall, thin products of a CNN layer it scales poorly. Splitting the *batch*
instead, each shard's whole forward and backward pass runs in its own thread — NumPy
releases the GIL inside its loops and BLAS calls — with BLAS kept to one thread, so the
patch copies, ReLUs and pooling run in parallel too::

    shard 0: x[0 : n/2] → replica 0 → loss_0, grads_0 ┐
    shard 1: x[n/2 : n] → replica 1 → loss_1, grads_1 ┴→ grads = Σ (n_i / n) · grads_i

A replica is a shallow copy of a layer that shares its params but has its own grads,
cache and scratch buffers. The shards' results are combined in a fixed order, so a run
is as reproducible as a sequential one. A layer whose output couples the samples of a
batch (batch statistics, random masks) sets `shardable = False`, and then the model
runs the batch whole.

Where it can, a model hands its shards to worker processes instead (striate.processes),
which do not share the interpreter lock; threads are what it falls back to. Both use the
shard ranges decided here.

BLAS threads are set through threadpoolctl; without it everything runs sequentially.
`set_threads(1)` (or the environment variable STRIATE_NUM_THREADS=1) turns sharding off.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext

import numpy as np

MIN_SHARD = 16  # images per shard; smaller shards cost more in overhead than they gain


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _threads_from_environment() -> int:
    """STRIATE_NUM_THREADS if it is a positive int, else one thread per available core."""
    value = os.environ.get("STRIATE_NUM_THREADS", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else cpu_count()


_threads = _threads_from_environment()
_pool: ThreadPoolExecutor | None = None
_blas = None  # threadpoolctl controllers of the loaded BLAS libraries, found on first use


def set_threads(n: int) -> None:
    """Use at most n threads (shards) per batch; 1 runs every batch whole."""
    global _threads
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_threads: n must be a positive int, got {n!r}")
    _threads = n


def get_threads() -> int:
    return _threads


def _blas_controllers():
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas = []
        else:
            _blas = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
    return _blas


def shards(n: int) -> list[tuple[int, int]] | None:
    """Even (start, stop) ranges of a batch of n, or None when it should run whole."""
    count = min(_threads, n // MIN_SHARD)
    if count < 2 or not _blas_controllers():
        return None
    bounds = np.linspace(0, n, count + 1).round().astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


_blas_lock = threading.Lock()
_blas_users = 0  # blocks inside one_blas_thread, over all threads
_blas_saved: list[int] = []


@contextmanager
def one_blas_thread():
    """BLAS single-threaded inside the block; the setting before the first of any
    overlapping blocks (from any thread) is restored when the last one ends."""
    global _blas_users, _blas_saved
    blas = _blas_controllers()
    with _blas_lock:
        if _blas_users == 0:
            _blas_saved = [c.num_threads for c in blas]
            for c in blas:
                c.set_num_threads(1)
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                for c, n in zip(blas, _blas_saved):
                    c.set_num_threads(n)


def small_batch(n: int):
    """The context for running a batch of n whole: BLAS single-threaded when it is small.

    Below two shards' worth, a second BLAS thread gains next to nothing on a layer's
    products, and afterwards OpenBLAS's worker spins on the other core for about 0.1 s,
    slowing down the next sharded batch's second thread (4-conv predictions in pieces of
    166 + 26 images: 2,200 against 3,800 images/s). A single image is left alone: the
    switch costs it more (7 µs of LeNet-5's 65) than the spinning costs anyone.
    """
    return one_blas_thread() if _threads > 1 and 1 < n < 2 * MIN_SHARD else _AS_IS


_AS_IS = nullcontext()


def run(work, count: int) -> list:
    """work(i) for i in range(count), in parallel, BLAS single-threaded; results in order."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(cpu_count() - 1, 1), thread_name_prefix="striate")
    with one_blas_thread():
        futures = [_pool.submit(work, i) for i in range(1, count)]
        try:
            first = work(0)  # the calling thread takes a shard too
            return [first] + [f.result() for f in futures]
        finally:
            wait(futures)  # even after an error: no shard may still be running on its replica


def replicas(layers, count: int, cache: list) -> list[list]:
    """`count` lists of replicas of `layers`, kept in `cache` and rebuilt when layers change."""
    def stale(twin, layer):  # rebuilt or converted (astype) since the twin was made
        return twin.twin_of is not layer or twin.dtype != layer.dtype or twin.input_shape != layer.input_shape

    if len(cache) != count or any(len(r) != len(layers) or any(stale(a, b) for a, b in zip(r, layers))
                                  for r in cache):
        cache[:] = [[layer.replica() for layer in layers] for _ in range(count)]
    return cache


def shardable(layers) -> bool:
    return all(getattr(layer, "shardable", True) for layer in layers)


def combine_grads(layers, reps, weights) -> None:
    """Write Σ weight_i · grads of replica i into each layer's grads (fixed order)."""
    for j, layer in enumerate(layers):
        for key in layer.params:
            total = reps[0][j].grads[key] * weights[0]
            for r, w in zip(reps[1:], weights[1:]):
                total += r[j].grads[key] * w
            layer.grads[key] = total
