"""Shard groups: how the shards of one training batch meet (layers/sharding.py).

A layer that couples the samples of a batch (BatchNorm, Dropout) runs each shard with
the whole batch's numbers through the shard group the engine attaches to it for the
step. Three kinds, one per place a shard runs::

    ThreadGroup   shards on threads (threads.py): a rendezvous. Each thread leaves its
                  arrays in its slot, waits at a barrier for the others, and adds the
                  slots up in shard order itself.
    ParentGroup   shard 0 in this process, the others in worker processes (workers.py):
    WorkerGroup   at each all-reduce a worker writes its sums into its arena and says
                  {"sync": shapes} on its pipe; shard 0 reads every worker's, adds them
                  to its own in shard order, writes the totals back into each arena and
                  says {"op": "totals"}.

So threads and processes add the same numbers in the same order. Before the shards run,
draw(layers, n) calls draw_for_batch(n) on every layer that has it (Dropout: the whole
batch's mask, from the model's own generator, once) and each shard gets its rows.

A shard that fails aborts the rendezvous: on threads the barrier is broken and the
others raise ShardAborted (threads.run reports the failing shard's own error); a worker
answers {"error": ...} where shard 0 expected its sums (WorkerRefused), and a worker
left waiting for totals exits when its pipe closes.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np

from ..layers.sharding import ShardAborted, ShardGroup
from . import arena as A


def draw(layers, n: int) -> dict:
    """{position in layers: what layer.draw_for_batch(n) drew} for every layer that draws one."""
    drawn = {}
    for position, layer in enumerate(layers):
        if hasattr(layer, "draw_for_batch"):
            value = layer.draw_for_batch(n)
            if value is not None:
                drawn[position] = value
    return drawn


def rows(drawn: dict, start: int, stop: int) -> dict:
    """Each drawn array's rows start:stop."""
    return {key: value[start:stop] for key, value in drawn.items()}


@contextmanager
def attached(layers, group: ShardGroup):
    """Every layer runs with `group` inside the block; none with a group after it."""
    group.bind(layers)
    for layer in layers:
        layer.shard_group = group
    try:
        yield group
    finally:
        for layer in layers:
            layer.shard_group = None


def _add_up(parts: list) -> list:
    """[Σ_i parts[i][k] for each k], added in shard order i = 0, 1, ..."""
    totals = [np.array(a, copy=True) for a in parts[0]]
    for arrays in parts[1:]:
        for total, a in zip(totals, arrays):
            total += a
    return totals


class Rendezvous:
    """Where `count` shard threads meet for each all-reduce of one step.

    Each call is one generation: a thread leaves its arrays in the generation's slots and
    waits until all `count` have; then each adds them up itself. Two sets of slots are
    used in turn: a thread that has left generation g fills g+1's while a slower one
    still reads g's, and it cannot get to g+2 before everyone has arrived at g+1, that
    is, has finished reading g. (threading.Barrier would do, but its abort() can break
    a wait that every thread had already reached.)
    """

    def __init__(self, count: int):
        self.count = count
        self.cond = threading.Condition()
        self.slots = [[None] * count, [None] * count]
        self.generation = 0  # completed all-reduces
        self.arrived = 0  # threads waiting in the current one
        self.broken = False

    def allreduce_sum(self, index: int, arrays: list) -> list:
        with self.cond:
            generation = self.generation
            slots = self.slots[generation % 2]
            slots[index] = arrays
            self.arrived += 1
            if self.arrived == self.count:
                self.arrived, self.generation = 0, generation + 1
                self.cond.notify_all()
            while self.generation == generation and not self.broken:
                self.cond.wait()
            if self.generation == generation:  # aborted before everyone arrived
                raise ShardAborted("another shard of this batch failed")
        return _add_up(slots)

    def abort(self) -> None:
        """Release every thread waiting now or later: they raise ShardAborted."""
        with self.cond:
            self.broken = True
            self.cond.notify_all()


class ThreadGroup(ShardGroup):
    """Shard `index` of a batch whose shards run on threads that meet at `rendezvous`."""

    def __init__(self, index, start, stop, total, drawn, rendezvous: Rendezvous):
        super().__init__(index, start, stop, total, drawn)
        self.rendezvous = rendezvous

    def allreduce_sum(self, arrays):
        return self.rendezvous.allreduce_sum(self.index, arrays)


def flat(mem, region, arrays) -> np.ndarray:
    """The first values of a sync region (offset, bytes) of `mem`, as many as `arrays` hold."""
    offset, size = region
    dtype = np.dtype(arrays[0].dtype)
    count = sum(a.size for a in arrays)
    if any(a.dtype != dtype for a in arrays) or count * dtype.itemsize > size:
        raise ValueError(f"allreduce_sum: {count} values of {[a.dtype.str for a in arrays]} do not fit a shard's "
                         f"room of {size} bytes of one dtype (at most as many as the layer's state holds)")
    return mem.view(offset, (count,), dtype)


def split(values, arrays) -> list:
    """Copies of `values` in the shapes of `arrays`, one after the other."""
    out, at = [], 0
    for a in arrays:
        out.append(values[at: at + a.size].reshape(a.shape).copy())
        at += a.size
    return out


class ParentGroup(ShardGroup):
    """Shard 0, run here, of a batch whose other shards run in `workers` (engine/workers.py's
    Worker: partial_sums(arrays) reads a worker's sums, give_totals(totals) answers it)."""

    def __init__(self, start, stop, total, drawn, workers):
        super().__init__(0, start, stop, total, drawn)
        self.workers = workers

    def allreduce_sum(self, arrays):
        totals = _add_up([arrays] + [w.partial_sums(arrays) for w in self.workers])
        for w in self.workers:
            w.give_totals(totals)
        return totals


class WorkerGroup(ShardGroup):
    """Shard `index`, run in this worker process, of a batch whose shard 0 runs in the parent."""

    def __init__(self, index, start, stop, total, drawn, mem, region, stdin, stdout):
        super().__init__(index, start, stop, total, drawn)
        self.mem, self.region, self.stdin, self.stdout = mem, region, stdin, stdout

    def allreduce_sum(self, arrays):
        values = flat(self.mem, self.region, arrays)
        np.concatenate([a.ravel() for a in arrays], out=values)
        A.send(self.stdout, {"sync": [list(a.shape) for a in arrays]})
        message = A.receive(self.stdin)
        if message is None:  # the parent gave up on this step (its own shard failed): leave
            raise SystemExit(0)
        if message.get("op") != "totals":
            raise ShardAborted(f"expected the totals of this step's sums, got {message!r}")
        return split(values, arrays)
