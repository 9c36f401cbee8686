"""The fast kernels: the same ops and signatures as the reference (striate.functional),
faster, each equal to the reference op it names (the tests check every one).

    fast.conv2d / conv2d_backward                      = functional.conv
    fast.conv_transpose2d / conv_transpose2d_backward  = functional.conv_transpose
    fast.max_pool2d, avg_pool2d and their backward     = functional.pool
    fast.dense / dense_backward                        = functional.linear
    fast.relu_backward                                 = functional.activation.relu_backward

Each takes the reference's arguments; some take keyword-only extras: `workspace` (a dict
of scratch buffers a layer keeps from call to call), `training` (keep patches for
backward) and the choices of algorithms.py (conv2d's `method`: im2col or Winograd;
max_pool2d_backward's `method`: mask or taps; `dx_method`, `chunk_bytes`), so that tests
and benchmarks can pick an algorithm. Layers run these unless striate.reference() is on.
"""

from .activation import relu_backward
from .conv import conv2d, conv2d_backward
from .conv_transpose import conv_transpose2d, conv_transpose2d_backward
from .linear import dense, dense_backward
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward", "dense",
           "dense_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward", "relu_backward"]
