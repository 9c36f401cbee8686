"""Pure NumPy kernels, no state: convolution, pooling, activations, losses."""

from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .conv import conv2d, conv2d_backward
from .loss import mse, softmax_cross_entropy
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = ["conv2d", "conv2d_backward", "max_pool2d", "max_pool2d_backward", "avg_pool2d",
           "avg_pool2d_backward", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
           "softmax_cross_entropy", "mse"]
