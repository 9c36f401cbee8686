"""The reference ops: pure NumPy, no state, each op's forward and backward on one screen.

This is what a learner reads. striate.functional.fast holds faster kernels with the same
signatures, each tested equal to its reference here; layers run those unless
striate.reference() (or STRIATE_REFERENCE=1) switches every layer to these.
"""

from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv2d, conv2d_backward
from .conv_transpose import conv_transpose2d, conv_transpose2d_backward
from .linear import dense, dense_backward
from .loss import mse, softmax_cross_entropy
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward", "dense",
           "dense_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
           "relu", "sigmoid", "tanh", "softmax", "log_softmax", "softmax_cross_entropy", "mse"]
