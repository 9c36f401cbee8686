"""The arithmetic of a CNN written out step by step, on the textbook's small examples.

    print(striate.explain.conv())        # the 3×3 kernel over the 5×5 image: a 4 top left
    print(striate.explain.pool())        # 2×2 max pooling of a 4×4 grid → [[6, 8], [3, 4]]
    print(striate.explain.backward())    # where the gradients go
    print(striate.explain.winograd())    # fast convolution: 16 multiplications instead of 36

Every function takes its own numbers too: conv(x, kernel, stride, padding), pool(x, size),
relu(x, dy), softmax(logits, label), backward(pool_x, pool_dy, x, kernel, dy),
winograd(x, kernel, tile).
"""

from __future__ import annotations

import numpy as np

from . import backward as _backward
from . import forward as _forward
from . import fast_conv as _fast_conv
from .text import parse_matrix

# The seeds' examples: a 5×5 binary image and an "X"-shaped 3×3 kernel (4 in the top-left
# output), a 4×4 grid max-pooled to [[6, 8], [3, 4]].
IMAGE = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]], dtype=np.float64)
KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float64)
POOL = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)
POOL_GRAD = np.array([[1, 2], [3, 4]], dtype=np.float64)
CONV_GRAD = np.array([[1, 0, 0], [0, 2, 0], [0, 0, 1]], dtype=np.float64)
# the convolution's output [[4, 3, 4], [2, 4, 3], [2, 3, 4]] plus a bias of −3
RELU = np.array([[1, 0, 1], [-1, 1, 0], [-1, 0, 1]], dtype=np.float64)
RELU_GRAD = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float64)
LOGITS = np.array([2.0, 1.0, 0.1])


def conv(x=None, kernel=None, stride: int = 1, padding: int = 0, steps=None) -> str:
    return _forward.conv(IMAGE if x is None else x, KERNEL if kernel is None else kernel, stride, padding, steps)


def pool(x=None, size: int = 2, stride=None, mode: str = "max", steps=None) -> str:
    return _forward.pool(POOL if x is None else x, size, stride, mode, steps)


def relu(x=None, dy=None) -> str:
    x = RELU if x is None else x
    return _forward.relu(x, RELU_GRAD if dy is None and x is RELU else dy)


def softmax(logits=None, label: int | None = 0) -> str:
    return _forward.softmax(LOGITS if logits is None else logits, label)


def backward(pool_x=None, pool_dy=None, x=None, kernel=None, dy=None, size: int = 2) -> str:
    """Max pooling's backward pass, then a convolution's weight, bias and input gradients."""
    return "\n\n".join([
        _backward.pool_backward(POOL if pool_x is None else pool_x, POOL_GRAD if pool_dy is None else pool_dy, size),
        _backward.conv_backward(IMAGE if x is None else x, KERNEL if kernel is None else kernel,
                                CONV_GRAD if dy is None else dy),
    ])


def winograd(x=None, kernel=None, tile: int = 2) -> str:
    """Winograd's F(2×2, 3×3) (tile=2) or F(4×4, 3×3) (tile=4) on one 4×4 (6×6) input tile:
    the direct sums, the transforms, the (tile+2)² products, and why they replace tile²·9.

    By default the top-left corner of the conv example (no padding for tile 2, padded by 1
    for tile 4), so Y is the top-left of `striate explain conv`'s output (with --padding 1).
    """
    if x is None:
        x = IMAGE[:4, :4] if tile == 2 else np.pad(IMAGE, 1)[:6, :6]
    return _fast_conv.explain(x, KERNEL if kernel is None else kernel, tile)


TOPICS = {"conv": conv, "pool": pool, "relu": relu, "softmax": softmax, "backward": backward, "winograd": winograd}

__all__ = ["conv", "pool", "relu", "softmax", "backward", "winograd", "parse_matrix", "TOPICS"]
