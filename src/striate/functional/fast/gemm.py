"""Matrix products that let the other thread run.

`np.matmul` keeps Python's global interpreter lock (GIL) for the whole product when its
result is small (under about 500 numbers), however long the product takes: a conv
layer's kernel gradient, (kh·kw·C, F) summed over every output pixel of the batch, is
such a product. While one shard's thread (see striate.engine.threads) holds the lock, the
other shard's thread cannot run a single line of Python, so the two serialise.
`np.dot` calls the same BLAS routine and releases the lock for any size.
"""

from __future__ import annotations

import numpy as np

from .workspace import buffer


def dot(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """a (M, K) @ b (K, N) → (M, N), written into out (C-contiguous, same dtype) if given."""
    if out is None:
        return np.dot(a, b)
    if not (a.dtype == b.dtype == out.dtype) and np.result_type(a, b) != out.dtype:
        # np.dot writes only its own result type into out
        np.copyto(out, np.dot(a, b), casting="same_kind")
        return out
    return np.dot(a, b, out=out)


def column_sum(a2d: np.ndarray, workspace=None) -> np.ndarray:
    """Σ over the rows of a2d (M, C) → (C,), as a product with a vector of ones: one BLAS
    call, several times faster than a strided sum. The ones are kept in workspace if given."""
    return dot(buffer(workspace, "ones", (len(a2d),), a2d.dtype, fill=1), a2d)
