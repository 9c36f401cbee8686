"""The shard-group contract of BatchNorm and Dropout (striate.layers.sharding), with a
group written here: two halves of a batch, each on its own copy of the layer, give the
whole batch's output, input gradient and running statistics, and grads that add up."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from striate import layers as L
from striate.layers.sharding import ShardGroup


class PairGroup(ShardGroup):
    """Two shards on two threads, meeting at a barrier; sums in shard order."""

    def __init__(self, index, start, stop, total, drawn, meeting):
        super().__init__(index, start, stop, total, drawn)
        self.meeting = meeting

    def allreduce_sum(self, arrays):
        slots, barrier = self.meeting
        slots[self.index] = [a.copy() for a in arrays]
        barrier.wait()
        totals = [a + b for a, b in zip(slots[0], slots[1])]
        barrier.wait()  # both have read the slots before either writes the next call's
        return totals


def in_halves(layer, x, dy, split, drawn=None):
    """forward(training=True) then backward of rows [0, split) on `layer` and [split, n)
    on a replica, at once; (y, dx, grads of each half)."""
    twin = layer.replica()
    meeting = ([None, None], threading.Barrier(2, timeout=30))
    n = len(x)
    parts = [(layer, 0, split), (twin, split, n)]

    def run(i):
        own, start, stop = parts[i]
        rows = {k: v[start:stop] for k, v in (drawn or {}).items()}
        own.shard_group = PairGroup(i, start, stop, n, rows, meeting)
        own.shard_group.bind([own])
        try:
            y = own.forward(x[start:stop], training=True)
            return y, own.backward(dy[start:stop]), dict(own.grads)
        finally:
            own.shard_group = None

    with ThreadPoolExecutor(2) as pool:
        (y0, dx0, g0), (y1, dx1, g1) = pool.map(run, [0, 1])
    return np.concatenate([y0, y1]), np.concatenate([dx0, dx1]), (g0, g1)


@pytest.mark.parametrize("make, shape", [(L.BatchNorm2D, (4, 3, 5)), (L.BatchNorm1D, (6,)), (L.BatchNorm1D, (4, 3))])
@pytest.mark.parametrize("split", [7, 13])
def test_batch_norm_in_two_shards_is_the_whole_batch(make, shape, split):
    rng = np.random.default_rng(split)
    n = 20
    x = rng.standard_normal((n, *shape)) * 3 + 1
    dy = rng.standard_normal((n, *shape))
    whole, sharded = make(momentum=0.3), make(momentum=0.3)
    for layer in (whole, sharded):
        layer.build(shape, np.random.default_rng(0), np.float64)
        layer.params["gamma"][...] = np.linspace(0.5, 1.5, shape[-1])
        layer.params["beta"][...] = np.linspace(-1, 1, shape[-1])
    y = whole.forward(x, training=True)
    dx = whole.backward(dy)
    y_s, dx_s, (g0, g1) = in_halves(sharded, x, dy, split)
    np.testing.assert_allclose(y_s, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx_s, dx, rtol=1e-10, atol=1e-12)
    for key in ("gamma", "beta"):  # each shard keeps its part of the sums; together the whole
        np.testing.assert_allclose(g0[key] + g1[key], whole.grads[key], rtol=1e-12, atol=1e-12)
        assert not np.allclose(g0[key], whole.grads[key])
    for key in ("running_mean", "running_var"):  # updated once, by shard 0, from the whole batch
        np.testing.assert_allclose(sharded.state[key], whole.state[key], rtol=1e-12)


def test_dropout_shards_take_their_rows_of_the_whole_batchs_mask():
    shape, n = (3, 4), 30
    whole, sharded = L.Dropout(0.4, seed=5), L.Dropout(0.4, seed=5)
    for layer in (whole, sharded):
        layer.build(shape, np.random.default_rng(0), np.float64)
    x = np.random.default_rng(1).standard_normal((n, *shape)) + 5  # no zeros of its own
    y = whole.forward(x, training=True)
    dx = whole.backward(np.ones_like(x))
    drawn = {0: sharded.draw_for_batch(n)}  # the layer's position in its (one-layer) list
    y_s, dx_s, _ = in_halves(sharded, x, np.ones_like(x), 11, drawn)
    assert np.array_equal(y_s, y) and np.array_equal(dx_s, dx)
    assert sharded.rng.bit_generator.state == whole.rng.bit_generator.state


def test_dropout_draws_nothing_at_rate_zero():
    layer = L.Dropout(0.0, seed=1)
    layer.build((2,), np.random.default_rng(0))
    before = layer.rng.bit_generator.state
    assert layer.draw_for_batch(8) is None and layer.rng.bit_generator.state == before
