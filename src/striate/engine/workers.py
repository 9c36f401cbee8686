"""Shards in worker processes: the other cores without the interpreter lock.

Threads (engine/threads.py) share Python's interpreter lock. Every NumPy call takes it
and most hand it back for their loop, and with two threads each handoff makes the other
wait: LeNet-5 shards of 32 take 3.4 ms a step alone, 5.0 ms each side by side in two
threads, 3.4 ms each in two processes. So a sharded batch runs its first shard here and
the others in worker processes (one per extra core, started on first use and shared by
every model)::

    this process                             worker (python -m striate.engine.worker_main)
    params, state ──copy──► arena ◄──views── the same layers, rebuilt from the registry's JSON
    x, y of shard i ─copy─► arena ─────────► the shard step (shard.py), loss gradient × n_i / n
    layer.grads ◄──── Σ ──── arena ◄──────── its grads, output and loss

BatchNorm and Dropout compute the whole batch's numbers in every shard (shard_groups.py):
at each of BatchNorm's all-reduces the worker writes its partial sums into its arena and
says so on its pipe; shard 0, here, adds them to its own, writes the totals back and
tells the worker to go on. Dropout's whole-batch mask is drawn here before the step, and
the worker's rows of it (bool) travel in the arena with its x and y. A worker that dies
mid-step costs the batch a redo on threads, with the same masks and the layers' state
(running statistics) put back first, so it is updated once.

Nothing but JSON and raw arrays crosses (see arena.py). Each train or predict message
carries the reference switch (striate.functional.switch), so a worker computes on the
reference ops exactly when this process does. A model whose layers or loss the registry
cannot describe, or a worker that fails, falls back to threads.

`model` below is a Sequential: anything with layers, loss, built, input_shape,
output_shape, dtype and seed; the engine never imports the model module.
"""

from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import sys
import threading

import numpy as np

from .. import registry
from ..functional.switch import reference_path
from . import arena as A
from . import shard_groups as G
from . import threads
from .shard import step
from .steps import forward

_enabled = os.environ.get("STRIATE_PROCESSES", "1") != "0"
_workers: list[Worker] = []
_lock = threading.Lock()
_serials = itertools.count()


def set_enabled(flag: bool) -> None:
    """Use worker processes for sharded batches (default), or threads only."""
    global _enabled
    _enabled = bool(flag)


def enabled() -> bool:
    """Whether sharded batches go to worker processes (STRIATE_PROCESSES=0 turns them off;
    a worker that dies or no shared memory turns them off too)."""
    return _enabled


def running() -> list[Worker]:
    """The workers started so far (and not shut down), without starting any."""
    return list(_workers)


class WorkerError(RuntimeError):
    """A worker process exited, or its shared memory could not be had: threads from now on."""


class WorkerRefused(WorkerError):
    """A worker reported an error on its shard (bad data, say): the batch is redone on
    threads, where the same error is raised with its own type, and workers stay on."""


class Worker:
    def __init__(self):
        package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "STRIATE_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([package_parent, *sys.path])}
        self.proc = subprocess.Popen([sys.executable, "-m", "striate.engine.worker_main"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        self.mem, self.key, self.plan = None, None, None
        self.sync = None  # (offset, bytes) of the room for all-reduces in the arena, during a train step

    def ask(self, message: dict) -> dict:
        self.post(message)
        return self.answer()

    def post(self, message: dict) -> None:
        try:
            A.send(self.proc.stdin, message)
        except (OSError, ValueError) as e:  # ValueError: the pipe was closed on this side
            raise WorkerError(f"striate worker process {self.proc.pid} is gone ({e})") from e

    def answer(self) -> dict:
        reply = A.receive(self.proc.stdout)
        if reply is None:
            raise WorkerError(f"striate worker process {self.proc.pid} exited with code {self.proc.poll()}")
        if "error" in reply:
            raise WorkerRefused(f"striate worker process {self.proc.pid}: {reply['error']}")
        return reply

    def prepare(self, model, key, data_specs) -> list[int]:
        """Make the worker hold `model` (as of `key`, see model_key) in an arena with room
        for data_specs; their offsets."""
        plan_key = (key, tuple((tuple(shape), np.dtype(dtype)) for shape, dtype in data_specs))
        if self.plan is None or self.plan[0] != plan_key:
            self.plan = (plan_key, *plan(model, data_specs))
        _, tensors, grads, data, size = self.plan
        if self.mem is None or size > self.mem.size:
            self._map(max(size, int(1.5 * self.mem.size) if self.mem else size))
            self.key = None
        if self.key != key:
            self.ask({"op": "model", "model": registry.describe_model(model),
                      "dtypes": [layer.dtype.str for layer in model.layers],
                      "loss": registry.describe(model.loss, registry.LOSSES, "loss") if model.loss else None,
                      "tensors": tensors, "grads": grads})
            self.key = key
        for i, k, offset, shape, dtype in tensors:  # the values as they are now
            layer = model.layers[i]
            np.copyto(self.mem.view(offset, shape, dtype), layer.params[k] if k in layer.params else layer.state[k])
        return data

    def _map(self, size: int) -> None:
        try:
            mem = A.Arena(size)
        except OSError as e:
            raise WorkerError(f"no shared memory of {size:,} bytes for a worker ({e})") from e
        try:
            self.ask({"op": "map", "path": mem.path, "size": size})
        finally:
            mem.unlink()
        if self.mem is not None:
            self.mem.close()
        self.mem = mem

    def partial_sums(self, arrays) -> list:
        """The worker's sums at one all-reduce of its shard (shard_groups.py), of the shapes
        of `arrays`: WorkerRefused when its shard failed before getting there."""
        reply = self.answer()
        shapes = [list(a.shape) for a in arrays]
        if reply.get("sync") != shapes:
            raise WorkerError(f"striate worker process {self.proc.pid} answered {reply!r} where its sums of "
                              f"shapes {shapes} were due")
        return G.split(G.flat(self.mem, self.sync, arrays), arrays)

    def give_totals(self, totals) -> None:
        """Hand the worker the totals of the all-reduce it is waiting in."""
        np.concatenate([t.ravel() for t in totals], out=G.flat(self.mem, self.sync, totals))
        self.post({"op": "totals"})

    def grads(self):
        """(layer index, key, the worker's gradient) after a train step."""
        return [(i, k, self.mem.view(offset, shape, dtype)) for i, k, offset, shape, dtype in self.plan[2]]

    def close(self) -> None:
        """Close the pipe (the worker exits when it has read all), wait for it, free the arena."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        if self.mem is not None:
            self.mem.close()


def plan(model, data_specs):
    """Where everything goes in a worker's arena: [layer, key, offset, shape, dtype] of each
    param and state array, of each gradient; the offsets of data_specs; the total size."""
    tensors = [(i, k, a) for i, layer in enumerate(model.layers) for k, a in {**layer.params, **layer.state}.items()]
    grads = [(i, k, layer.params[k]) for i, layer in enumerate(model.layers) for k in layer.params]
    offsets, size = A.layout([(a.shape, a.dtype) for *_, a in tensors + grads] + list(data_specs))
    rows = [[i, k, o, list(a.shape), a.dtype.str] for (i, k, a), o in zip(tensors + grads, offsets)]
    return rows[: len(tensors)], rows[len(tensors) :], offsets[len(rows) :], size


def model_key(model) -> tuple:
    """What the worker's copy depends on: the model, its layers, their shapes and types,
    and the loss.

    Models and layers are told apart by a serial number given on first use, not by id(),
    which a new object may reuse once the old one is gone.
    """
    return (_serial(model), tuple((_serial(layer), type(layer), layer.input_shape, layer.dtype) for layer in model.layers),
            type(model.loss), tuple(sorted(model.loss.get_config().items())) if model.loss else ())


def _serial(obj) -> tuple:
    """(process id, number): an object copied into another process counts as new there."""
    serial = obj.__dict__.get("_process_serial")
    if serial is None or serial[0] != os.getpid():
        serial = obj.__dict__["_process_serial"] = (os.getpid(), next(_serials))
    return serial


def workers(count: int) -> list[Worker] | None:
    """`count` running workers, or None where processes are off or cannot be used."""
    if not _enabled or count < 1:
        return None
    try:
        while len(_workers) < count:
            _workers.append(Worker())
    except OSError:
        set_enabled(False)
        return None
    return _workers[:count]


def describable(model, key) -> bool:
    """Whether the registry can describe the model and its loss, so a worker can rebuild them."""
    cached = getattr(model, "_describable", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        registry.describe_model(model)
        if model.loss is not None:
            registry.describe(model.loss, registry.LOSSES, "loss")
        ok = True
    except ValueError:
        ok = False
    model._describable = (key, ok)
    return ok


@atexit.register
def shutdown() -> None:
    while _workers:
        _workers.pop().close()


def _forget_after_fork() -> None:
    """A forked child must not talk to its parent's workers: it starts its own."""
    global _lock
    _workers.clear()  # the pipes and arenas stay the parent's; nothing is closed here
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _usable(model, count: int):
    """(workers, the model's key) when workers can take this model, else None."""
    if not _enabled or not model.built or None in model.output_shape:
        return None
    key = model_key(model)
    ws = workers(count) if describable(model, key) else None
    return None if ws is None else (ws, key)


def _post(model, key, w: Worker, op: str, xs, ys=None, weight=1.0, group=None) -> tuple:
    """Copy a shard into w's arena and start op there; returns where its output will be.

    group (training): (index, start, stop, total, drawn rows) of the shard, whose layers
    then meet the others' through a WorkerGroup (shard_groups.py): room for their
    all-reduces and the rows of the drawn masks go into the arena too."""
    out = ((len(xs), *model.output_shape), model.layers[-1].dtype)
    specs = [(xs.shape, xs.dtype), out] + ([(ys.shape, ys.dtype)] if ys is not None else [])
    if group is not None:
        drawn, room = group[4], _sync_room(model)
        specs += [((room,), np.uint8)] + [(a.shape, a.dtype) for a in drawn.values()]
    ox, oo, *rest = w.prepare(model, key, specs)
    np.copyto(w.mem.view(ox, xs.shape, xs.dtype), xs)
    message = {"op": op, "x": [ox, list(xs.shape), xs.dtype.str], "out": oo, "reference": reference_path()}
    if ys is not None:
        oy, *rest = rest
        np.copyto(w.mem.view(oy, ys.shape, ys.dtype), ys)
        message["y"] = [oy, list(ys.shape), ys.dtype.str]
        message["weight"] = weight
    if group is not None:
        osync, *odrawn = rest
        w.sync = (osync, room)
        message["shard"] = list(group[:4])
        message["sync"] = list(w.sync)
        message["drawn"] = []
        for (position, a), offset in zip(drawn.items(), odrawn):
            np.copyto(w.mem.view(offset, a.shape, a.dtype), a)
            message["drawn"].append([position, offset, list(a.shape), a.dtype.str])
    w.post(message)
    return (oo, *out)


def _sync_room(model) -> int:
    """Bytes for one all-reduce of any layer: as many float64 values as its state holds
    (layers/sharding.py; BatchNorm's Σdy and Σdy·x̂ are as many as its running mean and
    variance)."""
    values = max(sum(a.size for a in layer.state.values()) for layer in model.layers)
    return max(8 * values, A.ALIGN)


def _guarded(model, count: int, run):
    """run(workers, model key) under the lock, or None when the caller should use threads.

    Any failure may leave a worker's answer unread, and the next question would get it,
    so the workers are closed (new ones start on next use). A worker that refused its
    shard leaves the batch to threads, which raise the error in its own type; a worker
    that died, or shared memory that ran out, turns processes off with a warning.
    """
    with _lock:
        usable = _usable(model, count)
        if usable is None:
            return None
        try:
            return run(*usable)
        except WorkerRefused:
            shutdown()
            return None
        except WorkerError as e:
            import warnings

            warnings.warn(f"{e}; striate uses threads from now on", RuntimeWarning, stacklevel=3)
            set_enabled(False)
            shutdown()
            return None
        except BaseException:
            shutdown()
            raise


def train(model, steps, x, y, ranges, drawn=None):
    """The shard step of a sharded batch, shard 0 here (through `steps`, the plan of
    model.layers) and the rest in workers; drawn: what shard_groups.draw drew for the batch.

    Fills the layers' grads (the sum of the shards') and returns (loss, output); None
    when workers cannot be used (the caller uses threads). The layers' state (BatchNorm's
    running statistics, updated by shard 0) is put back as it was when a worker fails,
    so that the batch redone on threads updates it once; an error of this process's own
    shard leaves it as the whole batch's step would.
    """
    x, y, drawn = np.asarray(x), np.asarray(y), drawn or {}

    def run(ws, key):
        n = len(x)
        weights = [(e - s) / n for s, e in ranges]
        outs = [_post(model, key, w, "train", x[s:e], y[s:e], weight, (i, s, e, n, G.rows(drawn, s, e)))
                for i, (w, (s, e), weight) in enumerate(zip(ws, ranges[1:], weights[1:]), 1)]
        s, e = ranges[0]
        saved = [(a, a.copy()) for layer in model.layers for a in layer.state.values()]
        try:
            with threads.one_blas_thread(), G.attached(model.layers, G.ParentGroup(s, e, n, G.rows(drawn, s, e), ws)):
                value, out0 = step(steps, model.loss, x[s:e], y[s:e], weights[0])
            loss = weights[0] * value
            for w, weight in zip(ws, weights[1:]):
                loss += weight * w.answer()["loss"]
        except WorkerError:  # the batch will be redone on threads
            for a, before in saved:
                a[...] = before
            raise
        for w in ws:
            for i, name, g in w.grads():
                model.layers[i].grads[name] += g
        return loss, np.concatenate([out0] + [w.mem.view(*o).copy() for w, o in zip(ws, outs)])
    return _guarded(model, len(ranges) - 1, run)


def predict(model, steps, x, ranges):
    """forward(x) for inference, shard 0 here and the rest in workers; None as in train."""
    x = np.asarray(x)

    def run(ws, key):
        outs = [_post(model, key, w, "predict", x[s:e]) for w, (s, e) in zip(ws, ranges[1:])]
        s, e = ranges[0]
        with threads.one_blas_thread():
            out0 = forward(steps, x[s:e], False)
        for w in ws:
            w.answer()
        return np.concatenate([out0] + [w.mem.view(*o).copy() for w, o in zip(ws, outs)])
    return _guarded(model, len(ranges) - 1, run)
