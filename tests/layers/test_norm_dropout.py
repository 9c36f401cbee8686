"""BatchNorm1D/2D against PyTorch (train and eval, running statistics), Dropout's masks and seeds."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim

from .. import naive_layers as ref
from ..gradcheck import check_layer


def make_bn(cls, shape, rng, momentum=0.1, eps=1e-5, affine=True):
    layer = cls(momentum=momentum, eps=eps, affine=affine)
    layer.build(shape, dtype=np.float64)
    if affine:
        layer.params["gamma"][...] = rng.uniform(0.5, 1.5, shape[-1])
        layer.params["beta"][...] = rng.standard_normal(shape[-1])
    return layer


def torch_bn(cls, layer):
    from ..oracle import torch

    c = layer.input_shape[-1]
    mod = (torch.nn.BatchNorm2d if cls is L.BatchNorm2D else torch.nn.BatchNorm1d)(
        c, eps=layer.eps, momentum=layer.momentum, affine=layer.affine).double()
    if layer.affine:
        with torch.no_grad():
            mod.weight.copy_(torch.tensor(layer.params["gamma"]))
            mod.bias.copy_(torch.tensor(layer.params["beta"]))
    return mod


def channels_first(a):
    """NHWC / (N, L, C) / (N, C) numpy → torch's channels-second layout."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


@pytest.mark.parametrize("cls,shape", [(L.BatchNorm2D, (5, 4, 3)), (L.BatchNorm1D, (6,)), (L.BatchNorm1D, (5, 4))])
@pytest.mark.parametrize("momentum,affine", [(0.1, True), (0.3, False)])
def test_batch_norm_matches_pytorch_over_training_steps_and_in_eval(cls, shape, momentum, affine, rng):
    from ..oracle import to_torch, torch

    layer = make_bn(cls, shape, rng, momentum=momentum, affine=affine)
    mod = torch_bn(cls, layer)
    for step in range(3):
        x = rng.standard_normal((4, *shape)) * (step + 1) + step
        y = layer.forward(x, training=True)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        tx = to_torch(channels_first(x))
        mod.train()
        ty = mod(tx)
        ty.backward(torch.tensor(channels_first(dy)))
        np.testing.assert_allclose(y, np.moveaxis(ty.detach().numpy(), 1, -1), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dx, np.moveaxis(tx.grad.numpy(), 1, -1), rtol=1e-9, atol=1e-11)
        if affine:
            np.testing.assert_allclose(layer.grads["gamma"], mod.weight.grad.numpy(), rtol=1e-10)
            np.testing.assert_allclose(layer.grads["beta"], mod.bias.grad.numpy(), rtol=1e-10)
            mod.zero_grad()
        # running statistics, the variance unbiased: PyTorch's buffers exactly
        np.testing.assert_allclose(layer.state["running_mean"], mod.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(layer.state["running_var"], mod.running_var.numpy(), rtol=1e-12)
    x = rng.standard_normal((3, *shape))
    mod.eval()
    expected = np.moveaxis(mod(to_torch(channels_first(x), grad=False)).detach().numpy(), 1, -1)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-10, atol=1e-12)


def test_batch_norm_train_forward_matches_loops_and_gradients(rng):
    layer = make_bn(L.BatchNorm2D, (3, 4, 2), rng)
    x = rng.standard_normal((3, 3, 4, 2))
    np.testing.assert_allclose(layer.forward(x, training=True),
                               ref.batch_norm(x, layer.params["gamma"], layer.params["beta"], layer.eps), rtol=1e-10)
    check_layer(layer, x, rng, rtol=1e-5, atol=1e-7, training=True)
    check_layer(make_bn(L.BatchNorm1D, (3,), rng, affine=False), rng.standard_normal((5, 3)), rng,
                rtol=1e-5, atol=1e-7, training=True)


def test_running_statistics_live_in_state_and_optimizers_leave_them_alone(rng):
    layer = L.BatchNorm2D()
    layer.build((4, 4, 2))
    assert set(layer.params) == {"gamma", "beta"} and set(layer.state) == {"running_mean", "running_var"}
    assert layer.num_params == 4
    model = striate.Sequential([L.Conv2D(2, 3, padding=1), L.BatchNorm2D(), L.Flatten(), L.Dense(2)],
                               input_shape=(4, 4, 1), seed=0)
    model.compile(optim.Adam(0.1), "cross_entropy")
    bn = model.layers[1]
    model.train_step(rng.random((8, 4, 4, 1)) * 5 + 3, rng.integers(0, 2, 8))
    stats = {k: v.copy() for k, v in bn.state.items()}
    assert not np.allclose(stats["running_mean"], 0)
    assert all("running" not in slot for slot in model.optimizer.state)
    model.predict(rng.random((4, 4, 4, 1)))  # evaluation reads the statistics, never moves them
    for k in stats:
        np.testing.assert_array_equal(bn.state[k], stats[k])
    assert bn.astype(np.float64).state["running_var"].dtype == np.float64


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2D: momentum must be a number in \[0, 1\].*got 1.99"):
        L.BatchNorm2D(momentum=0.99 + 1)
    with pytest.raises(ValueError, match=r"BatchNorm2D expected input_shape \(H, W, C\) with C known, got \(5,\)"):
        L.BatchNorm2D().build((5,))
    with pytest.raises(ValueError, match="BatchNorm1D: training needs more than one value per channel"):
        L.BatchNorm1D().forward(np.ones((1, 3)), training=True)
    with pytest.raises(RuntimeError, match=r"forward\(x, training=True\) first"):
        layer = L.BatchNorm1D()
        layer.forward(np.ones((2, 3)))
        layer.backward(np.ones((2, 3)))


# ---- Dropout -------------------------------------------------------------------------------
def test_dropout_is_the_identity_at_evaluation_and_inverted_when_training():
    x = np.ones((200, 50))
    layer = L.Dropout(0.3, seed=0)
    assert layer.forward(x) is not None and np.array_equal(layer.forward(x), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    assert abs(1 - kept.mean() - 0.3) < 0.02  # about rate of the units dropped
    assert abs(y.mean() - 1) < 0.03  # inverted: the expectation is unchanged
    dy = np.random.default_rng(1).standard_normal(y.shape)
    np.testing.assert_allclose(layer.backward(dy), dy * kept / 0.7, rtol=1e-15)  # the same mask and scale


def test_dropout_gradient_matches_finite_differences_with_its_mask_fixed(rng):
    from striate.functional import dropout as F

    from ..gradcheck import numeric_grad

    x = rng.standard_normal((3, 4, 5, 2))
    mask = F.dropout_mask(x.shape, 0.5, rng, np.float64)
    g = rng.standard_normal(x.shape)
    numeric = numeric_grad(lambda: float(np.sum(F.dropout(x, mask) * g)), x)
    np.testing.assert_allclose(F.dropout_backward(g, mask), numeric, rtol=1e-6, atol=1e-8)


def test_dropout_masks_are_deterministic_per_seed():
    x = np.ones((4, 10))
    a, b, c = L.Dropout(0.5, seed=3), L.Dropout(0.5, seed=3), L.Dropout(0.5, seed=4)
    for layer in (a, b, c):
        layer.build((10,))
    first = [a.forward(x, training=True) for _ in range(3)]
    assert all(np.array_equal(f, b.forward(x, training=True)) for f in first)
    assert not np.array_equal(first[0], c.forward(x, training=True))
    assert not np.array_equal(first[0], first[1])  # a new mask every step


def test_dropout_inside_a_model_is_seeded_by_the_model(rng):
    def masks(seed):
        model = striate.Sequential([L.Dense(20), L.Dropout(0.5), L.Dense(2)], input_shape=(5,), seed=seed)
        return model.layers[1].forward(np.ones((3, 20)), training=True)

    np.testing.assert_array_equal(masks(0), masks(0))
    assert not np.array_equal(masks(0), masks(1))


def test_dropout_rate_is_validated():
    with pytest.raises(ValueError, match=r"Dropout: rate must be a number in \[0, 1\), got 1"):
        L.Dropout(1)
    assert repr(L.Dropout(0.25)) == "Dropout(0.25)"
