"""The one switch between the reference path and the fast kernels.

Every layer runs the fast kernels (striate.functional.fast) by default. The reference
path runs every layer on striate.functional itself — the plain NumPy a learner reads,
each op's forward and backward on one screen — for learning, debugging and tests::

    with striate.reference():               # every layer inside the block, worker
        model.fit(x, y)                     # processes included, runs the reference ops

    STRIATE_REFERENCE=1 python train.py     # the whole process (and its workers)

Both paths give the same numbers up to float rounding; the tests check every fast
kernel against its reference. The switch is process-wide, not per thread, so a model's
shard threads follow it too, like PyTorch's torch.backends.cudnn.enabled.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

_reference = os.environ.get("STRIATE_REFERENCE", "").strip() not in ("", "0")


def reference_path() -> bool:
    """True while every layer runs on the reference ops."""
    return _reference


def set_reference(flag: bool) -> None:
    """Run every layer on the reference ops (True) or the fast kernels (False) from now on."""
    global _reference
    if not isinstance(flag, bool):
        raise ValueError(f"set_reference: flag must be True or False, got {flag!r}")
    _reference = flag


@contextmanager
def reference(flag: bool = True):
    """Inside the block, every layer runs on the reference ops (or, with flag=False, on
    the fast kernels); the setting before the block comes back after it."""
    saved = _reference
    set_reference(flag)
    try:
        yield
    finally:
        set_reference(saved)
