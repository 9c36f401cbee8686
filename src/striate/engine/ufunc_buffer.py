"""A guard against the user's own np.setbufsize: the engine's passes run with NumPy's default ufunc buffer.

The engine does not change NumPy's setting; it keeps a user's from changing the engine's
speed. An element-wise NumPy operation on strided operands (a pooling window's taps, a
broadcast against a smaller array, a cast from a boolean mask) runs through a buffer of
`np.getbufsize()` elements and pays a fixed cost per buffer-full, so the size matters: a
buffer past the caches is slower (2**20 elements: the 4-conv step's element-wise rest
22 → 32 ms). The best size measured for the steps as they run now is NumPy's own default
(train_step, medians of 12 interleaved rounds; the pooling kernels as they are after the
tiled max-pool backward of functional/fast/pool.py)::

    elements      LeNet-5 b64   LeNet-5 b256   4-conv b64      (1 thread; 2 threads)
    8,192         1.00          1.00           1.00            NumPy's default
    16,384        1.01; 1.08    1.02; 0.99     0.99; 0.87
    65,536        1.03; 1.03    1.07; 1.14     1.01; 1.01

(step times relative to 8,192; the old tap-by-tap pooling backward had gained from a
larger buffer, 9.9 → 7.3 ms at 65,536 elements, the kernels that replaced it do not).

So UFUNC_BUFFER is NumPy's default, and scope() only matters when a user has set another
size (for some other work of theirs): it sets UFUNC_BUFFER for the block and puts the
user's setting back afterwards. With the buffer already at UFUNC_BUFFER, the usual case,
it changes nothing and costs one np.getbufsize() call (under 1 µs; 3–4 µs when it does
pin a user's setting).

The setting is part of NumPy's per-context error state (in NumPy ≥ 2 a context variable,
per thread: a new thread starts with the default), so every thread that runs steps for the
engine enters the scope itself. The inference of a single image skips it: its arrays are
small, and the scope would be up to 5 % of its time.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import numpy as np

UFUNC_BUFFER = 8192  # elements: the ufunc buffer while a step runs, NumPy's default (see the table above)

_NUMPY_2 = int(np.__version__.split(".")[0]) >= 2
_AS_IS = nullcontext()


def scope(size: int | None = None):
    """A context that runs its block with a ufunc buffer of `size` elements (default
    UFUNC_BUFFER) and restores the caller's afterwards, also when the block raises.
    When the buffer already has that size, nothing is changed (entering NumPy's error
    state costs about 3 µs; a batch of one image takes 60)."""
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
