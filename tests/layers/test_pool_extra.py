"""SumPool2D, LPPool2D, WeightedAvgPool2D, ChannelMaxPool: naive loops, finite differences, PyTorch."""

import re

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional.pool_extra import gaussian_weights

from .. import naive_layers as ref
from ..gradcheck import check_layer

# (kernel, stride, padding)
CONFIGS = [((2, 2), None, 0), ((3, 3), (2, 2), 1), ((3, 2), (1, 2), (1, 0)), ((3, 3), (1, 1), 0)]


def positive(rng, shape):
    """Distinct values well away from 0: no window sums to 0 for LPPool's root."""
    return 0.5 + rng.permutation(int(np.prod(shape))).reshape(shape) / np.prod(shape)


def build(layer, x):
    layer.build(x.shape[1:], rng=np.random.default_rng(0), dtype=np.float64)
    return layer


# ---- SumPool2D ----------------------------------------------------------------------
@pytest.mark.parametrize("cfg", CONFIGS)
def test_sum_pool_matches_loops_gradients_and_pytorch(cfg, rng):
    from ..oracle import nchw, nhwc, torch

    k, s, p = cfg
    x = rng.standard_normal((2, 6, 7, 3))
    layer = build(L.SumPool2D(k, stride=s, padding=p), x)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y, ref.window_pool(x, k, layer.stride, layer.padding, lambda w: w.sum(axis=(1, 2))),
                               rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    (ph, _), (pw, _) = layer.padding
    ty = torch.nn.functional.avg_pool2d(tx, k, layer.stride, (ph, pw), divisor_override=1)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-12, atol=1e-12)
    check_layer(build(L.SumPool2D(k, stride=s, padding=p), x[:1, :5, :5, :2]), x[:1, :5, :5, :2], rng)


def test_sum_pool_hand_example():
    x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 2, 1)
    assert L.SumPool2D(2).forward(x).item() == 10.0


# ---- LPPool2D -----------------------------------------------------------------------
@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("cfg", [((2, 2), None), ((3, 2), (1, 2)), ((3, 3), (2, 2))])
def test_lp_pool_matches_loops_gradients_and_pytorch(p, cfg, rng):
    from ..oracle import nchw, nhwc, torch

    k, s = cfg
    x = positive(rng, (2, 6, 7, 3))
    layer = build(L.LPPool2D(p, k, stride=s), x)
    y = layer.forward(x, training=True)
    expected = ref.window_pool(x, k, layer.stride, ((0, 0), (0, 0)),
                               lambda w: (w**p).sum(axis=(1, 2)) ** (1 / p))
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = nchw(x)
    ty = torch.nn.functional.lp_pool2d(tx, p, k, s)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    small = x[:1, :5, :5, :2]
    check_layer(build(L.LPPool2D(p, k, stride=s), small), small, rng)


def test_l2_pool_hand_example_and_zero_windows():
    x = np.array([[3.0, 0.0], [0.0, 4.0]]).reshape(1, 2, 2, 1)
    assert L.LPPool2D(2, 2).forward(x).item() == 5.0
    layer = L.LPPool2D(2, 2)
    layer.forward(np.zeros((1, 2, 2, 1)), training=True)  # an all-zero window (after a ReLU)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), 0.0)  # no NaN


@pytest.mark.parametrize("p", [0, 1e-30, 0.5, 64.5, float("inf"), float("nan"), True, "2"])
def test_lp_pool_validates_p(p):
    with pytest.raises(ValueError, match=rf"LPPool2D: p must be a number from 1 to 64 .*, got {re.escape(repr(p))}"):
        L.LPPool2D(p, 2)


def test_lp_pool_at_the_ends_of_its_range_stays_finite():
    x = np.full((1, 2, 2, 1), 1.5, np.float32)
    np.testing.assert_allclose(L.LPPool2D(1, 2).forward(x), [[[[6.0]]]])
    np.testing.assert_allclose(L.LPPool2D(64, 2).forward(x), [[[[1.5 * 4 ** (1 / 64)]]]], rtol=1e-5)


@pytest.mark.parametrize("bad", [1e300, -1e39, float("inf"), float("nan")])
def test_weighted_pool_refuses_weights_that_are_not_finite_as_float32(bad):
    with pytest.raises(ValueError, match=rf"WeightedAvgPool2D: weights must be finite as float32 .*, got {re.escape(repr(bad))}"):
        L.WeightedAvgPool2D(2, weights=[[bad, 0.25], [0.25, 0.25]])


def test_configs_and_model_files_get_the_same_checks(tmp_path):
    from striate.io import config

    for layer in ('type = "WeightedAvgPool2D"\nkernel_size = 2\nweights = [[1e300, 0.0], [0.0, 0.0]]',
                  'type = "LPPool2D"\np = 1e-30\nkernel_size = 2'):
        path = tmp_path / "net.toml"
        path.write_text(f"input_shape = [4, 4, 1]\n[[layers]]\n{layer}\n")
        with pytest.raises(ValueError, match=rf"{path}: layers\[0\] .*(finite as float32|from 1 to 64)"):
            config.load(path)
    from striate.io import document, model_file

    model = striate.Sequential([L.WeightedAvgPool2D(2, weights=[[0.25] * 2] * 2)], input_shape=(4, 4, 1))
    arch = model_file.describe(model)
    arch["layers"][0]["config"]["weights"] = [[1e300, 0.25], [0.25, 0.25]]
    path = tmp_path / "m.striate"
    document.write(path, "model", {"model": arch}, dict(model_file.weights(model)))  # a valid checksum
    with pytest.raises(striate.FormatError, match=rf"{path}: .*weights must be finite as float32"):
        striate.load(path)


# ---- WeightedAvgPool2D ----------------------------------------------------------------
def test_gaussian_weights_sum_to_one_and_peak_in_the_centre():
    w = gaussian_weights((3, 3), 1.0)
    assert w.sum() == pytest.approx(1.0) and w.argmax() == 4
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(w[0, 0] / w[1, 1], np.exp(-1.0))  # distance² 2 vs 0, σ = 1


@pytest.mark.parametrize("trainable", [False, True])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_weighted_pool_matches_loops_gradients_and_pytorch(cfg, trainable, rng):
    from ..oracle import nchw, nhwc, to_torch, torch

    k, s, p = cfg
    weights = rng.standard_normal(k)
    x = rng.standard_normal((2, 6, 7, 3))
    layer = build(L.WeightedAvgPool2D(k, stride=s, padding=p, weights=weights, trainable=trainable), x)
    y = layer.forward(x, training=True)
    expected = ref.window_pool(x, k, layer.stride, layer.padding,
                               lambda win: np.einsum("nijc,ij->nc", win, weights))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    # PyTorch: a depthwise convolution whose C kernels are all the same weights
    tx, tw = nchw(x), to_torch(weights)
    (pt, pb), (pl, pr) = layer.padding
    ty = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, (pl, pr, pt, pb)),
                                    tw.expand(3, 1, *k), stride=layer.stride, groups=3)
    ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(y, nhwc(ty), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, nhwc(tx.grad), rtol=1e-10, atol=1e-12)
    if trainable:
        np.testing.assert_allclose(layer.grads["weight"], tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    small = x[:1, :5, :5, :2]
    check_layer(build(L.WeightedAvgPool2D(k, stride=s, padding=p, weights=weights, trainable=trainable), small),
                small, rng)


def test_weighted_pool_keeps_fixed_weights_out_of_params():
    fixed = L.WeightedAvgPool2D(3)
    fixed.build((8, 8, 2))
    assert fixed.params == {} and fixed.num_params == 0 and fixed.state["weight"].shape == (3, 3)
    learnt = L.WeightedAvgPool2D(3, weights="uniform", trainable=True)
    learnt.build((8, 8, 2))
    assert learnt.num_params == 9 and "weight" not in learnt.state
    x = np.random.default_rng(0).random((1, 8, 8, 2)).astype(np.float32)
    np.testing.assert_allclose(learnt.forward(x), L.AvgPool2D(3).forward(x), rtol=1e-6)


def test_weighted_pool_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"WeightedAvgPool2D: weights must have shape \(3, 3\).*got shape \(2, 2\)"):
        L.WeightedAvgPool2D(3, weights=np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"weights must be 'gaussian', 'uniform' or an array"):
        L.WeightedAvgPool2D(3, weights="box")
    assert "weights=[[" in repr(L.WeightedAvgPool2D(2, weights=np.ones((2, 2)) / 4))


# ---- ChannelMaxPool -------------------------------------------------------------------
@pytest.mark.parametrize("shape,groups", [((2, 4, 5, 6), 3), ((2, 4, 5, 6), 2), ((3, 8), 4), ((2, 5, 6), 1)])
def test_channel_max_pool_matches_loops_gradients_and_pytorch(shape, groups, rng):
    from ..oracle import to_torch, torch

    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0  # distinct: one winner per group
    layer = build(L.ChannelMaxPool(groups), x)
    y = layer.forward(x, training=True)
    k = shape[-1] // groups
    expected = np.stack([x[..., g * k : (g + 1) * k].max(axis=-1) for g in range(groups)], axis=-1)
    np.testing.assert_array_equal(y, expected)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = to_torch(x)
    ty = tx.reshape(*shape[:-1], groups, k).amax(dim=-1)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12)
    check_layer(build(L.ChannelMaxPool(groups), x), x, rng)


def test_channel_max_pool_needs_divisible_channels():
    with pytest.raises(ValueError, match=r"ChannelMaxPool: the input channels \(6\) must be known and divisible "
                                         r"by groups \(4\)"):
        L.ChannelMaxPool(4).build((5, 5, 6))
    assert L.ChannelMaxPool(2).build((5, 5, 6)) == (5, 5, 2)
