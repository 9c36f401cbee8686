"""NumPy's ufunc buffer while the engine runs a step: its own setting, whatever the user's.

An element-wise NumPy operation on strided operands (a pooling window's taps, a
broadcast against a smaller array, a cast from a boolean mask) runs through a buffer of
`np.getbufsize()` elements and pays a fixed cost per buffer-full. How large it should be
was measured on the steps as they run now (train_step, medians of 12 interleaved
rounds; the pooling kernels as they are after the tiled max-pool backward of
functional/fast/pool.py)::

    elements      LeNet-5 b64   LeNet-5 b256   4-conv b64      (1 thread; 2 threads)
    8,192         1.00          1.00           1.00            NumPy's default
    16,384        1.01; 1.08    1.02; 0.99     0.99; 0.87
    65,536        1.03; 1.03    1.07; 1.14     1.01; 1.01

(step times relative to 8,192). The old tap-by-tap pooling backward gained from a larger
buffer (4-conv net's first pooling 9.9 → 7.3 ms at 65,536 elements), the kernels that
replaced it do not, and a buffer past the caches is slower (2**20 elements: the 4-conv
step's element-wise rest 22 → 32 ms). So UFUNC_BUFFER is NumPy's default, and what the
scope guarantees is that a user's own setting (a small buffer set for some other work)
does not change the engine's speed.

The setting is NumPy's per-context error state (in NumPy ≥ 2 a context variable, per
thread: a new thread starts with the default), so `scope()` changes it for the calling
thread until the block ends, and the user's own setting is the same afterwards. Every
thread that runs steps for the engine enters the scope itself. The inference of a single
image skips it: its arrays fit any buffer, and reading NumPy's setting alone costs 2 µs.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import numpy as np

UFUNC_BUFFER = 8192  # elements: the ufunc buffer while a step runs (see the table above)

_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2
_AS_IS = nullcontext()


def scope(size: int | None = None):
    """A context that runs its block with a ufunc buffer of `size` elements (default
    UFUNC_BUFFER) and restores the caller's afterwards, also when the block raises.
    When the buffer already has that size, nothing is changed (a batch of one image
    takes 60 µs; entering NumPy's error state would cost it 1–2 µs)."""
    size = UFUNC_BUFFER if size is None else size
    return _AS_IS if np.getbufsize() == size else _scoped(size)


@contextmanager
def _scoped(size: int):
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
