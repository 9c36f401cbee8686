"""Central finite differences in float64 against a random upstream gradient."""

from __future__ import annotations

import numpy as np


def numeric_grad(f, a, eps=1e-6):
    """d f / d a by central differences, f a scalar function of the array a (changed in place)."""
    g = np.zeros_like(a)
    flat, gflat = a.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return g


def check_layer(layer, x, rng, rtol=1e-6, atol=1e-8, training=False):
    """Compare a float64 layer's backward (input and every param) with finite differences.

    The scalar checked is sum(forward(x) * g) for a random g, so that every output
    element weighs differently in the gradient (ones would hide transposition errors).
    training=True differentiates the training forward (BatchNorm's batch statistics).
    """
    x = np.array(x, dtype=np.float64)
    y = layer.forward(x, training=True)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    analytic = {"x": dx, **{k: v.copy() for k, v in layer.grads.items()}}
    objective = lambda: float(np.sum(layer.forward(x, training=training) * g))  # noqa: E731
    numeric = {"x": numeric_grad(objective, x)}
    for key, p in layer.params.items():
        numeric[key] = numeric_grad(objective, p)
    for key in numeric:
        np.testing.assert_allclose(analytic[key], numeric[key], rtol=rtol, atol=atol, err_msg=f"d/d{key}")


def check_op(forward, analytic, arrays, dy, rtol=1e-6, atol=1e-8):
    """Compare an op's analytic gradients with finite differences of sum(forward() · dy).

    forward() recomputes the op's output from `arrays` (which are changed in place while
    differentiating); analytic holds d/d array for each, in the same order.
    """
    loss = lambda: float(np.sum(forward() * dy))  # noqa: E731
    for i, (grad, a) in enumerate(zip(analytic, arrays)):
        np.testing.assert_allclose(grad, numeric_grad(loss, a), rtol=rtol, atol=atol, err_msg=f"argument {i}")
