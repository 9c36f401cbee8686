"""Stateful layers: each holds its parameters and calls the pure kernels in striate.functional."""

from .activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .adaptive import AdaptiveAvgPool2D, AdaptiveMaxPool2D, GlobalAvgPool2D, GlobalMaxPool2D
from .base import Layer
from .conv import Conv2D
from .conv1d import Conv1D
from .conv_transpose import Conv2DTranspose
from .dense import Dense, Flatten
from .dropout import Dropout
from .norm import BatchNorm1D, BatchNorm2D
from .pool import AvgPool2D, MaxPool2D
from .pool_extra import ChannelMaxPool, LPPool2D, SumPool2D, WeightedAvgPool2D
from .reshape import Reshape
from .upsample import UpSampling2D

__all__ = ["Layer", "Conv2D", "Conv1D", "Conv2DTranspose", "MaxPool2D", "AvgPool2D", "SumPool2D", "LPPool2D",
           "WeightedAvgPool2D", "AdaptiveAvgPool2D", "AdaptiveMaxPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
           "ChannelMaxPool", "Dense", "Flatten", "Reshape", "UpSampling2D", "Dropout", "BatchNorm1D",
           "BatchNorm2D", "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax"]
