"""ReLU's backward, fast: equals striate.functional.activation.relu_backward (the reference).

The same product of dy with the mask y > 0, written into a new 64-byte-aligned array
(workspace.aligned_empty) instead of the one NumPy allocates, which often starts 16 bytes
off a cache line: the 4-conv net's first ReLU, (64, 28, 28, 32), 1.43 → 1.27 ms on one
core, 1.15 ms when y and dy are aligned too.
"""

from __future__ import annotations

import numpy as np

from .workspace import aligned_empty


def relu_backward(dy, y):
    """dx = dy where the unit was active (y > 0), else 0. dy, y (any shape, the same) → dx."""
    return np.multiply(dy, y > 0, out=aligned_empty(dy.shape, dy.dtype))
