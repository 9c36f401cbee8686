"""Dense, Flatten, activations, Softmax and the losses: finite differences and PyTorch."""

import numpy as np
import pytest

from striate import layers as L
from striate import losses

from ..gradcheck import check_layer, numeric_grad


def built(layer, shape, rng=None):
    layer.build(shape, rng=rng, dtype=np.float64)
    for p in layer.params.values():
        if rng is not None:
            p[...] = rng.standard_normal(p.shape)
    return layer


def test_dense_gradients(rng):
    check_layer(built(L.Dense(4), (5,), rng), rng.standard_normal((3, 5)), rng)


def test_dense_without_bias_has_only_a_kernel(rng):
    layer = built(L.Dense(4, bias=False), (5,), rng)
    assert list(layer.params) == ["kernel"] and layer.num_params == 20
    check_layer(layer, rng.standard_normal((3, 5)), rng)


def test_flatten_is_hwc_order_and_reversible(rng):
    layer = built(L.Flatten(), (2, 3, 4))
    x = rng.standard_normal((2, 2, 3, 4))
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y[1, :4], x[1, 0, 0, :])  # channels vary fastest
    np.testing.assert_array_equal(layer.backward(y), x)


@pytest.mark.parametrize("cls", [L.ReLU, L.Sigmoid, L.Tanh, L.Softmax])
def test_activation_gradients(cls, rng):
    x = rng.standard_normal((3, 4, 5))
    x[np.abs(x) < 0.05] = 0.5  # keep ReLU inputs away from its kink
    check_layer(built(cls(), (4, 5)), x, rng)


@pytest.mark.parametrize("name,fn", [
    ("ReLU", "relu"), ("Sigmoid", "sigmoid"), ("Tanh", "tanh"), ("Softmax", "softmax"),
])
def test_activations_match_pytorch(name, fn, rng):
    from ..oracle import to_torch, torch

    layer = built(getattr(L, name)(), (6,))
    x = rng.standard_normal((4, 6))
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = to_torch(x)
    ty = torch.softmax(tx, -1) if fn == "softmax" else getattr(torch, fn)(tx)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_sigmoid_does_not_overflow():
    y = built(L.Sigmoid(), (3,)).forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_array_equal(y, [[0.0, 0.5, 1.0]])


@pytest.mark.parametrize("target_kind", ["labels", "probabilities"])
def test_cross_entropy_value_and_gradient(target_kind, rng):
    logits = rng.standard_normal((5, 4)) * 3
    labels = rng.integers(0, 4, 5)
    target = labels if target_kind == "labels" else np.eye(4)[labels]
    loss = losses.CrossEntropy()
    value = loss.forward(logits, target)
    expected = -np.mean(np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[np.arange(5), labels])
    assert value == pytest.approx(expected, rel=1e-12)
    numeric = numeric_grad(lambda: losses.CrossEntropy().forward(logits, target), logits)
    np.testing.assert_allclose(loss.backward(), numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = losses.CrossEntropy()
    assert loss.forward(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0)
    assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("name", ["cross_entropy", "mse"])
def test_losses_match_pytorch(rng, name):
    from ..oracle import to_torch, torch

    if name == "cross_entropy":
        loss, torch_loss = losses.CrossEntropy(), torch.nn.functional.cross_entropy
        out, target = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    else:
        loss, torch_loss = losses.MSE(), torch.nn.functional.mse_loss
        out, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    t = to_torch(out)
    tl = torch_loss(t, torch.tensor(target))
    tl.backward()
    assert loss.forward(out, target) == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), t.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("eps", [0.05, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("target_kind", ["labels", "probabilities"])
def test_label_smoothing_matches_pytorch_and_finite_differences(eps, target_kind, rng):
    from ..oracle import to_torch, torch

    logits = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    target = labels if target_kind == "labels" else rng.dirichlet(np.ones(4), 6)
    loss = losses.CrossEntropy(label_smoothing=eps)
    t = to_torch(logits)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(target), label_smoothing=eps)
    expected.backward()
    assert loss.forward(logits, target) == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), t.grad.numpy(), rtol=1e-10, atol=1e-15)
    numeric = numeric_grad(lambda: losses.CrossEntropy(label_smoothing=eps).forward(logits, target), logits)
    np.testing.assert_allclose(loss.backward(), numeric, rtol=1e-6, atol=1e-9)


def test_label_smoothing_keeps_the_loss_of_a_perfect_answer_above_zero():
    sure = np.array([[50.0, 0.0, 0.0]])
    assert losses.CrossEntropy().forward(sure, np.array([0])) == pytest.approx(0.0, abs=1e-12)
    smoothed = losses.CrossEntropy(label_smoothing=0.3)
    assert smoothed.forward(sure, np.array([0])) > 5  # 0.2 of the target sits on classes scored e⁻⁵⁰
    assert smoothed.backward()[0, 0] > 0  # pushes the winning logit down, towards a finite margin


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.1", True, float("nan")])
def test_label_smoothing_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError, match=r"CrossEntropy: label_smoothing must be a number in \[0, 1\]"):
        losses.CrossEntropy(label_smoothing=bad)


def test_label_smoothing_takes_numpy_numbers():
    assert losses.CrossEntropy(label_smoothing=np.float32(0.25)).label_smoothing == 0.25


def test_label_smoothing_is_part_of_the_loss_description():
    from striate import registry

    entry = registry.describe(losses.CrossEntropy(label_smoothing=0.1), registry.LOSSES, "loss")
    again = registry.create(entry, registry.LOSSES, "loss", "test")
    assert again.label_smoothing == 0.1 and repr(again) == "CrossEntropy(label_smoothing=0.1)"
    assert registry.describe(losses.CrossEntropy(), registry.LOSSES, "loss")["config"] == {}


def test_loss_lookup_by_name():
    assert isinstance(losses.get("cross_entropy"), losses.CrossEntropy)
    assert isinstance(losses.get("mse"), losses.MSE)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        losses.get("hinge")


@pytest.mark.parametrize("axis", [1, 2, 3, -1, -3])
def test_softmax_over_any_axis_of_a_sample_sums_to_one(axis):
    layer = L.Softmax(axis=axis)
    layer.build((4, 5, 3))
    y = layer.forward(np.random.default_rng(0).standard_normal((2, 4, 5, 3)))
    np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-6)


@pytest.mark.parametrize("axis,message", [
    ("a", r"Softmax: axis must be an int, got 'a'"),
    (1.0, r"Softmax: axis must be an int, got 1.0"),
    (False, r"Softmax: axis must be an int, got False"),
])
def test_softmax_axis_must_be_an_int(axis, message):
    with pytest.raises(ValueError, match=message):
        L.Softmax(axis=axis)


@pytest.mark.parametrize("axis", [0, 4, -4, 5])
def test_softmax_axis_must_be_an_axis_of_a_sample(axis):
    with pytest.raises(ValueError, match=rf"Softmax: axis must lie in 1..3 or -3..-1 for inputs \(N, 4, 5, 3\) "
                                         rf"\(axis 0 is the batch\), got {axis}"):
        L.Softmax(axis=axis).build((4, 5, 3))
