"""The fully connected (dense) op, fast: equals striate.functional.linear (the reference).

The same products through gemm.dot, which lets a shard's other thread run during them
(np.dot releases the interpreter lock where np.matmul keeps it for small results), and
the bias added in place to the new output.
"""

from __future__ import annotations

from .gemm import dot


def dense(x, kernel, bias=None):
    """x (N, in) @ kernel (in, out) + bias (out,) → (y (N, out), cache x)."""
    y = dot(x, kernel)
    if bias is not None:
        y += bias
    return y, x


def dense_backward(dy, x, kernel, input_grad: bool = True):
    """dy (N, out) and the cache x → (dx (N, in) or None, dkernel (in, out), dbias (out,))."""
    dx = dot(dy, kernel.T) if input_grad else None
    return dx, dot(x.T, dy), dy.sum(axis=0)
