"""Helpers to run the same operation in PyTorch (NCHW) and compare with striate (NHWC)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests (pip install torch==2.13.0)")


def to_torch(a, grad=True):
    t = torch.tensor(np.asarray(a, dtype=np.float64))
    return t.requires_grad_(grad)


def nchw(x):
    """NHWC numpy → NCHW torch tensor that tracks gradients."""
    return to_torch(np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2)))


def nhwc(t):
    """NCHW torch tensor (or its grad) → NHWC numpy."""
    return t.detach().numpy().transpose(0, 2, 3, 1)


def conv_weight(kernel):
    """striate kernel (kh, kw, Cin/g, F) → torch weight (F, Cin/g, kh, kw)."""
    return to_torch(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def conv_weight_grad(t):
    """torch weight grad (F, Cin/g, kh, kw) → striate layout (kh, kw, Cin/g, F)."""
    return t.grad.numpy().transpose(2, 3, 1, 0)


def pad_lrtb(padding):
    """((t, b), (l, r)) → the (left, right, top, bottom) order torch.nn.functional.pad takes."""
    (t, b), (l, r) = padding
    return (l, r, t, b)


def layout_in(a):
    """striate array → torch tensor: NHWC images become NCHW, anything else stays."""
    return nchw(a) if np.ndim(a) == 4 else to_torch(a)


def assert_layer_matches_torch(layer, x, torch_fn, params, rng, rtol=1e-10, atol=1e-10):
    """The one helper the layer oracle tests go through: run `layer` (float64, built) on x,
    forward with training=True and backward with a random dy, and torch_fn(tx, *tensors)
    on the same numbers; compare y, dx and every gradient.

    params: {name: (to_torch, grad_to_striate)} for each of the layer's params, in the
    order torch_fn takes them, e.g. {"kernel": (conv_weight, conv_weight_grad)}.
    """
    y = layer.forward(x, training=True)
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    tx = layout_in(x)
    tensors = {name: to_t(layer.params[name]) for name, (to_t, _) in params.items()}
    ty = torch_fn(tx, *tensors.values())
    ty.backward(layout_in(dy).detach())
    back = nhwc if ty.ndim == 4 else (lambda t: t.detach().numpy())
    np.testing.assert_allclose(y, back(ty), rtol=rtol, atol=atol, err_msg="y")
    np.testing.assert_allclose(dx, back(tx.grad), rtol=rtol, atol=atol, err_msg="dx")
    for name, (_, grad_back) in params.items():
        np.testing.assert_allclose(layer.grads[name], grad_back(tensors[name]), rtol=rtol, atol=atol, err_msg=name)
