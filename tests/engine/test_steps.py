"""The steps a stack of layers runs as (striate.engine.steps): a ReLU before strided max
pooling runs after the pooling, a ReLU after Conv2D or Dense runs in place; outputs and
gradients must be exactly those of running every layer in the order written."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.engine import steps


def layer_by_layer(model, x, dy):
    """Output, input-side gradients and param grads of running each layer in turn."""
    out = x
    for layer in model.layers:
        out = layer.forward(out, training=True)
    g = dy
    for layer in reversed(model.layers[1:]):
        g = layer.backward(g)
    model.layers[0].backward(g, input_grad=False)
    return out, [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]


def fused(model, x, dy):
    plan = steps.plan(model.layers)
    out = steps.forward(plan, x, training=True)
    steps.backward(plan, dy, input_grad=False)
    return out, [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]


def network(first_relu: bool):
    return striate.Sequential(
        ([L.ReLU()] if first_relu else [])
        + [L.Conv2D(3, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),  # tiles
           L.Conv2D(4, 2), L.ReLU(), L.MaxPool2D(3, stride=2, padding=1),  # overlapping, padded
           L.Flatten(), L.Dense(5), L.ReLU(), L.Dense(3)],
        input_shape=(8, 8, 2), seed=0, dtype=np.float64)


@pytest.mark.parametrize("first_relu", [False, True])
def test_relu_then_max_pool_gives_the_same_outputs_and_gradients(first_relu, rng):
    model = network(first_relu)
    # rounded inputs: many ties inside pooling windows, many exact zeros after ReLU
    x = np.round(rng.standard_normal((4, 8, 8, 2)))
    for layer in model.layers:
        if isinstance(layer, L.Conv2D):
            layer.params["kernel"][...] = np.round(layer.params["kernel"] * 2)
    dy = rng.standard_normal((4, 3))
    want_out, want_grads = layer_by_layer(model, x, dy)
    got_out, got_grads = fused(model, x, dy)
    np.testing.assert_array_equal(got_out, want_out)
    for got, want in zip(got_grads, want_grads):
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])
    np.testing.assert_array_equal(model.predict(x, batch_size=4), want_out)


def test_windows_whose_max_is_negative_send_back_nothing(rng):
    model = striate.Sequential([L.Conv2D(1, 1, bias=False), L.ReLU(), L.MaxPool2D(2)],
                               input_shape=(4, 4, 1), seed=0, dtype=np.float64)
    model.layers[0].params["kernel"][...] = 1.0
    x = -np.abs(rng.standard_normal((1, 4, 4, 1)))
    x[0, 0, 1, 0] = 2.0  # one window with a positive max
    y = model.forward(x, training=True)
    assert y[0, :, :, 0].tolist() == [[2.0, 0.0], [0.0, 0.0]]
    model.backward(np.ones_like(y))
    np.testing.assert_array_equal(model.layers[0].grads["kernel"].ravel(), [2.0])  # x at the winner only


def test_after_a_model_pass_a_fused_relu_says_to_use_the_models_backward(rng):
    """A fused step keeps the ReLU's cache itself: the pooling layer's own backward still
    works (its cache is of its own input), and the ReLU's own backward asks for its
    forward instead of computing with a cache of the wrong shape."""
    model = network(False)
    x = rng.standard_normal((2, 8, 8, 2))
    y = model.forward(x, training=True)
    pool, relu = model.layers[2], model.layers[1]
    dz = pool.backward(rng.standard_normal((2, 4, 4, 3)))
    assert dz.shape == (2, 8, 8, 3)
    with pytest.raises(RuntimeError, match="forward\\(x, training=True\\)"):
        relu.backward(dz)
    assert model.backward(np.ones_like(y)).shape == x.shape  # the model's own backward works


def test_the_plan_fuses_what_the_rules_say():
    model = network(True)  # ReLU first: never fused with the pooling, which does not follow it anyway
    kinds = [type(step).__name__ for step in steps.plan(model.layers)]
    assert kinds == ["LayerStep", "LayerStep", "PooledReLU", "LayerStep", "PooledReLU", "LayerStep",
                     "InPlaceReLU", "LayerStep"]
    first = striate.Sequential([L.ReLU(), L.MaxPool2D(2), L.Conv2D(2, 1), L.ReLU(), L.MaxPool2D(2, stride=1)],
                               input_shape=(4, 4, 1))
    assert [type(step).__name__ for step in steps.plan(first.layers)] == ["LayerStep", "LayerStep", "InPlaceReLU", "LayerStep"]


def test_model_backward_returns_the_input_gradient(rng):
    """model.backward(dy) returns dx like a layer's backward: equal to running the layers
    one by one, and to central differences."""
    model = network(True)
    x = rng.standard_normal((3, 8, 8, 2)) + 0.05
    dy = rng.standard_normal((3, 3))
    out = x
    for layer in model.layers:
        out = layer.forward(out, training=True)
    g = dy
    for layer in reversed(model.layers):
        g = layer.backward(g)
    model.forward(x, training=True)
    dx = model.backward(dy)
    np.testing.assert_array_equal(dx, g)
    direction = rng.standard_normal(x.shape)
    h = 1e-6
    numeric = (np.sum(model.forward(x + h * direction) * dy) - np.sum(model.forward(x - h * direction) * dy)) / (2 * h)
    assert np.sum(dx * direction) == pytest.approx(numeric, rel=1e-6)


POOLS = [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)]  # (kernel, stride, padding): tiles, overlapping, same size


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf − inf and NaN, on purpose
@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_inputs_with_ties_and_non_finite_values_match_the_written_order(pool, dtype, rng):
    k, s, p = pool
    model = striate.Sequential([L.Conv2D(3, 2, padding="same"), L.ReLU(), L.MaxPool2D(k, stride=s, padding=p),
                                L.Flatten(), L.Dense(4)], input_shape=(6, 6, 2), seed=1, dtype=dtype)
    model.layers[0].params["kernel"][...] = np.round(model.layers[0].params["kernel"] * 2)
    x = np.round(rng.standard_normal((3, 6, 6, 2)) * 2).astype(dtype)
    x[0, 1, 1, 0], x[1, 2, 3, 1], x[2, 0, 0, 0] = np.inf, -np.inf, np.nan
    dy = rng.standard_normal((3, 4)).astype(dtype)
    want_out, want_grads = layer_by_layer(model, x, dy)
    got_out, got_grads = fused(model, x, dy)
    np.testing.assert_array_equal(got_out, want_out)
    for got, want in zip(got_grads, want_grads):
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])


def test_a_model_built_on_first_use_builds_every_layer_from_the_model(rng):
    """forward on a model without input_shape builds it (seed and dtype of the model), so
    the ReLU that runs after its pooling is built too and predict keeps the weights."""
    model = striate.Sequential([L.Conv2D(3, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(2)],
                               seed=0, dtype=np.float64)
    x = rng.standard_normal((2, 10, 10, 2))
    out = model.forward(x, training=True)
    assert all(layer.built and layer.dtype == np.float64 for layer in model.layers)
    model.backward(np.ones_like(out))
    np.testing.assert_array_equal(model.predict(x, batch_size=2), model.forward(x))
