"""The models the ONNX tests export: every round-trip model, plus layouts only ONNX cares about."""

import striate
from striate import layers as L

from ..io.test_model_file import MODELS

ONNX_MODELS = {
    **MODELS,
    "nhwc_output": lambda: striate.Sequential([   # a 4-D output goes back to NHWC; softmax over channels
        L.Conv2D(4, 2, padding="same"), L.Sigmoid(), L.AvgPool2D(3, stride=1, padding=1), L.Softmax(),
    ], input_shape=(7, 6, 3), seed=6),
    "softmax_over_height": lambda: striate.Sequential([L.Conv2D(2, 3), L.Softmax(axis=1)], input_shape=(5, 5, 2), seed=7),
    "depthwise": lambda: striate.Sequential([
        L.Conv2D(6, 3, stride=(2, 1), padding=((2, 0), (1, 1)), groups=3), L.ReLU(),
        L.MaxPool2D((2, 3), stride=1, padding=(1, 1)), L.Tanh(), L.Flatten(), L.Dense(2),
    ], input_shape=(8, 7, 3), seed=8),
}
