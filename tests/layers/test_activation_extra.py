"""LeakyReLU, ELU, GELU (and its erf) against PyTorch and finite differences."""

import math

import numpy as np
import pytest

from striate import layers as L
from striate.functional.activation_extra import erf

from ..gradcheck import check_layer


def away_from_zero(rng, shape):
    """Values with |x| ≥ 0.1: no kink of LeakyReLU or ELU inside a finite-difference step."""
    x = rng.standard_normal(shape) * 2
    return np.where(np.abs(x) < 0.1, 0.5, x)


def test_erf_matches_math_erf_everywhere():
    xs = np.concatenate([np.linspace(-9, 9, 20001), [0.0, -0.0, 1e-300, 2.0, -2.0, 40.0]])
    np.testing.assert_allclose(erf(xs), [math.erf(v) for v in xs], rtol=0, atol=2e-15)
    assert erf(np.array([-40.0]))[0] == -1.0 and erf(np.array([1e-8]))[0] == pytest.approx(2e-8 / math.sqrt(math.pi))


LAYERS = [
    (lambda: L.LeakyReLU(), lambda t, F: F.leaky_relu(t, 0.01)),
    (lambda: L.LeakyReLU(0.2), lambda t, F: F.leaky_relu(t, 0.2)),
    (lambda: L.ELU(), lambda t, F: F.elu(t)),
    (lambda: L.ELU(0.5), lambda t, F: F.elu(t, 0.5)),
    (lambda: L.GELU(), lambda t, F: F.gelu(t)),
    (lambda: L.GELU("tanh"), lambda t, F: F.gelu(t, approximate="tanh")),
]


@pytest.mark.parametrize("make,torch_fn", LAYERS)
def test_activation_matches_pytorch_and_finite_differences(make, torch_fn, rng):
    from ..oracle import to_torch, torch

    x = away_from_zero(rng, (3, 4, 5, 2))
    layer = make()
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = to_torch(x)
    ty = torch_fn(tx, torch.nn.functional)
    ty.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    check_layer(make(), x[:1], rng)


@pytest.mark.parametrize("make", [lambda: L.LeakyReLU(), lambda: L.ELU(), lambda: L.GELU(), lambda: L.GELU("tanh")])
def test_float32_stays_float32(make, rng):
    layer = make()
    y = layer.forward(rng.standard_normal((2, 3)).astype(np.float32), training=True)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32


def test_hand_values():
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(L.LeakyReLU(0.1).forward(x), [[-0.2, 0.0, 3.0]])
    np.testing.assert_allclose(L.ELU().forward(x), [[math.exp(-2) - 1, 0.0, 3.0]])
    np.testing.assert_allclose(L.GELU().forward(x), [[-2 * 0.5 * math.erfc(2 / math.sqrt(2)), 0.0,
                                                      3 * 0.5 * (1 + math.erf(3 / math.sqrt(2)))]])


def test_arguments_are_validated():
    with pytest.raises(ValueError, match=r"LeakyReLU: negative_slope must be a number in \[0, 1\), got -1"):
        L.LeakyReLU(-1)
    with pytest.raises(ValueError, match="ELU: alpha must be a positive number, got 0"):
        L.ELU(0)
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh', got 'erf'"):
        L.GELU("erf")
    assert repr(L.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)" and repr(L.GELU()) == "GELU()"
