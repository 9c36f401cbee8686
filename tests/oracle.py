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
