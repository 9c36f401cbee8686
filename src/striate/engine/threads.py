"""Both cores for one model: the batch split into shards, one thread per shard.

NumPy runs each operation on one core; only BLAS (the matrix products) uses more, and
for the tall, thin products of a CNN layer it scales poorly. Splitting the *batch*
instead, each shard's whole forward and backward pass runs in its own thread — NumPy
releases the GIL inside its loops and BLAS calls — with BLAS kept to one thread, so the
patch copies, ReLUs and pooling run in parallel too::

    shard 0: x[0 : n/2] → the layers → loss_0, grads_0 ┐
    shard 1: x[n/2 : n] → replica 1  → loss_1, grads_1 ┴→ grads = grads_0 + grads_1

Each shard runs the one shard step (engine/shard.py), whose loss gradient is weighted by
the shard's share of the batch, n_i / n, so the shards' gradients simply add. A replica
is a shallow copy of a layer that shares its params but has its own grads, cache and
scratch buffers. The shards' results are combined in a fixed order, so a run is as
reproducible as a sequential one.

A layer whose training output couples the samples of a batch stays shardable through the
shard group the engine attaches to it for the step (layers/sharding.py,
shard_groups.py): BatchNorm adds up the shards' partial sums and normalises every shard
with the whole batch's statistics, Dropout takes its rows of the whole batch's mask,
drawn once before the shards run; output, loss, gradients, running statistics and
generator state are the whole batch's. The shard threads meet at a rendezvous for each
all-reduce; a shard that fails breaks it, the others raise ShardAborted, and run()
reports the failing shard's own error. A layer that cannot be split at all sets
`shardable = False`, and then the model runs training batches whole.

Where it can, a model hands its shards to worker processes instead (engine/workers.py),
which do not share the interpreter lock; threads are what it falls back to. Both use the
shard ranges decided here (shards_for).

BLAS threads are set through threadpoolctl; without it everything runs sequentially.
`set_threads(1)` (or the environment variable STRIATE_NUM_THREADS=1) turns sharding off.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager, nullcontext

import numpy as np

from ..layers.sharding import ShardAborted
from . import ufunc_buffer
from .steps import Plan

MIN_SHARD = 16  # images per shard; smaller shards cost more in overhead than they gain


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_from_environment() -> int:
    """STRIATE_NUM_THREADS if it is a positive int, else one thread per available core."""
    value = os.environ.get("STRIATE_NUM_THREADS", "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else cpu_count()


_threads = threads_from_environment()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0  # its threads
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


def limit_blas(n: int) -> None:
    """At most n BLAS threads from now on (through threadpoolctl; nothing without it).

    MPI ranks sharing a machine's cores must not each start one BLAS thread per core:
    2 ranks on 2 cores, each with OpenBLAS's 2 threads, trained LeNet-5 at about a
    quarter of the speed of 2 ranks with one thread each (docs/distributed.md).
    """
    for c in _blas_controllers():
        c.set_num_threads(max(1, min(n, c.num_threads)))


def blas_available() -> bool:
    """Whether threadpoolctl found a BLAS library to keep single-threaded: without one,
    every batch runs whole."""
    return bool(_blas_controllers())


def shards(n: int) -> list[tuple[int, int]] | None:
    """Even (start, stop) ranges of a batch of n, or None when it should run whole."""
    count = min(_threads, n // MIN_SHARD)
    if count < 2 or not _blas_controllers():
        return None
    bounds = np.linspace(0, n, count + 1).round().astype(int)
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def shards_for(layers, n: int, training: bool) -> list[tuple[int, int]] | None:
    """The shards a batch of n takes through `layers`, or None to run it whole: a training
    batch stays whole when a layer is not shardable."""
    if n < 2 * MIN_SHARD or (training and not shardable(layers)):
        return None
    return shards(n)


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


def run(work, count: int, together: bool = False) -> list:
    """work(i) for i in range(count), in parallel, BLAS single-threaded; results in order;
    a failing shard's own error is raised. Each thread runs its work with the engine's
    ufunc buffer (ufunc_buffer.scope): a thread does not inherit the caller's.

    together=True: the works wait for each other (a training step's shard groups), so
    all of them must run at once: the pool has a thread for each, and such runs go one
    at a time (two of them sharing the pool could each hold a thread the other's shard
    waits for)."""
    with _together if together else _AS_IS:
        return _run(work, count)


_together = threading.Lock()


def _pool_for(count: int) -> ThreadPoolExecutor:
    """A pool with a thread for each of count − 1 shards. A smaller one is replaced, not
    shut down: a run that took it from another thread may still be submitting to it (its
    idle threads end once nobody holds it)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < count - 1:
            _pool_size = max(cpu_count() - 1, count - 1, 1)
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="striate")
        return _pool


_pool_lock = threading.Lock()


def _run(work, count: int) -> list:
    pool = _pool_for(count)

    def scoped(i):
        with ufunc_buffer.scope():
            return work(i)

    with one_blas_thread():
        futures = [pool.submit(scoped, i) for i in range(1, count)]
        try:
            first = work(0)  # the calling thread takes a shard too
        except BaseException as e:
            wait(futures)  # no shard may still be running on its replica
            raise _first_cause([e] + [f.exception() for f in futures]) from None
        wait(futures)
        errors = [f.exception() for f in futures]
        if any(errors):
            raise _first_cause(errors)
        return [first] + [f.result() for f in futures]


def _first_cause(errors):
    """The error to report of the shards': the first (in shard order) that is not a
    ShardAborted, which a shard raises only because another one failed."""
    errors = [e for e in errors if e is not None]
    return next((e for e in errors if not isinstance(e, ShardAborted)), errors[0])


def replicas(layers, count: int, cache: list) -> list[Plan]:
    """`count` plans (engine/steps.py) of replicas of `layers`, kept in `cache` and rebuilt
    when the layers change."""
    def stale(twin, layer):  # rebuilt or converted (astype) since the twin was made
        return twin.twin_of is not layer or twin.dtype != layer.dtype or twin.input_shape != layer.input_shape

    if len(cache) != count or any(len(r.layers) != len(layers) or any(stale(a, b) for a, b in zip(r.layers, layers))
                                  for r in cache):
        cache[:] = [Plan([layer.replica() for layer in layers]) for _ in range(count)]
    return cache


def shardable(layers) -> bool:
    return all(getattr(layer, "shardable", True) for layer in layers)


def add_grads(layers, replica_layers) -> None:
    """Add each replica's grads into its layer's grads (the shards' gradients add up)."""
    for layer, twin in zip(layers, replica_layers):
        for key, g in twin.grads.items():
            layer.grads[key] += g
