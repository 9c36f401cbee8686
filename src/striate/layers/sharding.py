"""A layer's view of a training batch split into shards: its shard group.

The engine may split a training batch of n samples into shards, each run through its
own copy of the layers (striate.engine.threads: threads; striate.engine.workers: worker
processes). Most layers compute each sample on its own and never notice. A layer whose
training output couples the samples of a batch — BatchNorm's statistics, Dropout's masks
drawn from one generator — finds a ShardGroup in `self.shard_group` for the duration of
a sharded step (None when the batch runs whole) and computes through it exactly what
the whole batch would::

    group.index               0 on the model's own layers (the ones that update state),
                              1, 2, ... on the other shards' copies
    group.start, group.stop   this shard's rows of the batch;  group.total: n
    group.allreduce_sum(arrays) → [Σ over the shards of each array], summed in shard
                              order, the same totals on every shard
    group.drawn(layer)        this shard's rows of what layer.draw_for_batch(n) drew,
                              once, on the model's layer before the shards ran
    group.bind(layers)        the shard's layers, in the model's order: what was drawn is
                              found by a layer's position there (not by layer.index,
                              which adding the layer to another model changes)

Every shard makes the same allreduce_sum calls in the same order (they run the same
layers on the same shapes). The arrays of one call share a dtype, and hold together at
most as many values as the calling layer's state (a worker process has that much room
for them). When one shard fails, the group is aborted and the others'
allreduce_sum raises ShardAborted, so nobody waits for a shard that will never arrive.
"""

from __future__ import annotations


class ShardAborted(RuntimeError):
    """Another shard of this batch failed: its own error is the one to report."""


class ShardGroup:
    """One shard of a training batch split into shards (see the module docstring)."""

    def __init__(self, index: int, start: int, stop: int, total: int, drawn: dict):
        self.index, self.start, self.stop, self.total = index, start, stop, total
        self._drawn = drawn  # position in the model's layers → this shard's rows of the layer's draw
        self._positions: dict[int, int] = {}  # id(layer) → its position, set by bind

    def bind(self, layers) -> None:
        """The shard's copies of the model's layers, in order (see drawn)."""
        self._positions = {id(layer): i for i, layer in enumerate(layers)}

    def allreduce_sum(self, arrays: list) -> list:
        """The sums over every shard of each array (same shapes), in shard order."""
        raise NotImplementedError

    def drawn(self, layer):
        """This shard's rows of layer.draw_for_batch(total), drawn before the shards ran."""
        position = self._positions.get(id(layer))
        if position not in self._drawn:
            raise RuntimeError(f"{layer.name}: nothing was drawn for it before the shards ran")
        return self._drawn[position]
