"""The fully connected (dense) op: the reference, forward and backward.

    y = x @ W + b            x (N, in), W (in, out), b (out,) → y (N, out)

    dW = xᵀ @ dy             every input times its output's gradient, summed over the batch
    db = Σ_n dy              over the batch
    dx = dy @ Wᵀ             each input collects what the outputs it feeds send back
"""

from __future__ import annotations


def dense(x, kernel, bias=None):
    """x (N, in) @ kernel (in, out) + bias (out,) → (y (N, out), cache x)."""
    y = x @ kernel
    if bias is not None:
        y = y + bias
    return y, x


def dense_backward(dy, x, kernel, input_grad: bool = True):
    """dy (N, out) and the cache x → (dx (N, in) or None, dkernel (in, out), dbias (out,))."""
    dx = dy @ kernel.T if input_grad else None
    return dx, x.T @ dy, dy.sum(axis=0)
