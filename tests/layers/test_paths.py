"""A layer's backward uses the ops that made its cache, whatever the switch says by then."""

import numpy as np
import pytest

import striate
from striate import layers as L

LAYERS = [
    (lambda: L.Conv2D(3, 3, stride=2, padding=1, groups=1), (7, 6, 2)),
    (lambda: L.Conv1D(3, 3, padding="same", padding_mode="reflect"), (9, 2)),
    (lambda: L.Conv2DTranspose(3, 3, stride=2, output_padding=1), (4, 5, 2)),
    (lambda: L.Dense(4), (6,)),
    (lambda: L.MaxPool2D(3, stride=2, padding=1), (7, 6, 2)),
    (lambda: L.AvgPool2D(2), (6, 6, 2)),
]


@pytest.mark.parametrize("make,shape", LAYERS)
def test_flipping_the_switch_between_forward_and_backward_is_harmless(make, shape, rng):
    layer = make()
    layer.build(shape, rng=rng, dtype=np.float64)
    x = rng.standard_normal((3, *shape))
    results = []
    for forward_on, backward_on in [(True, False), (False, True), (False, False)]:
        with striate.reference(forward_on):
            y = layer.forward(x, training=True)
        with striate.reference(backward_on):
            dx = layer.backward(np.cos(y))
        results.append((y, dx, *(layer.grads[k].copy() for k in sorted(layer.grads))))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_a_prediction_between_forward_and_backward_changes_nothing(rng):
    """Inference keeps its own scratch buffers: the training cache stays whole."""
    layer = L.Conv2D(4, 3, padding=1)
    layer.build((8, 8, 2), rng=rng)
    x, other = rng.random((16, 8, 8, 2), dtype=np.float32), rng.random((16, 8, 8, 2), dtype=np.float32)
    y = layer.forward(x, training=True)
    expected = layer.backward(np.ones_like(y)), layer.grads["kernel"].copy()
    layer.forward(x, training=True)
    layer.forward(other)
    got = layer.backward(np.ones_like(y)), layer.grads["kernel"]
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)
