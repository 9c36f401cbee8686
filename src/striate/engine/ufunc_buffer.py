"""NumPy's ufunc buffer, made larger while the engine runs a step, and only then.

An element-wise NumPy operation on strided operands (a pooling window's taps, a
broadcast against a smaller array, a cast from a boolean mask) runs through a buffer of
`np.getbufsize()` elements, 8,192 by default, and pays a fixed cost per buffer-full.
When an operand's rows are shorter than the buffer, a larger buffer lets one call cover
more of them: the 4-conv net's pooling and ReLU steps run faster with one of UFUNC_BUFFER
elements (see benchmarks/README.md). Too large a buffer no longer fits the caches and
is slower again (2**20 elements: the tiled pooling backward 2.6 → 10 ms).

The setting is NumPy's per-context error state (in NumPy ≥ 2 a context variable, per
thread: a new thread starts with the default), so `scope()` changes it for the calling
thread until the block ends, and the user's own setting is the same afterwards. Every
thread that runs steps for the engine enters the scope itself.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

UFUNC_BUFFER = 1 << 16  # elements: the ufunc buffer while a step runs

_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2


@contextmanager
def scope(size: int | None = None):
    """Run the block with a ufunc buffer of `size` elements (default UFUNC_BUFFER),
    restoring the caller's afterwards, also when the block raises."""
    size = UFUNC_BUFFER if size is None else size
    if _NUMPY_2:  # the buffer size is part of the error state that errstate restores
        with np.errstate():
            np.setbufsize(size)
            yield
        return
    old = np.setbufsize(size)  # NumPy 1.x: a per-thread setting errstate leaves alone
    try:
        yield
    finally:
        np.setbufsize(old)
