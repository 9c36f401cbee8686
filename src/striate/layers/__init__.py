"""Stateful layers: each holds its parameters and calls the pure kernels in striate.functional."""

from .activation import ReLU, Sigmoid, Softmax, Tanh
from .base import Layer
from .conv import Conv2D
from .dense import Dense, Flatten
from .pool import AvgPool2D, MaxPool2D

__all__ = ["Layer", "Conv2D", "MaxPool2D", "AvgPool2D", "Dense", "Flatten",
           "ReLU", "Sigmoid", "Tanh", "Softmax"]
