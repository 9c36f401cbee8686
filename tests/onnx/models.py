"""The models the ONNX tests export: every round-trip model, plus layouts only ONNX cares about."""

import striate
from striate import layers as L

from ..io.test_model_file import MODELS, trained

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
    "batch_norm_chain": lambda: trained(striate.Sequential([  # every layer here comes back from ONNX
        L.Conv2D(4, 3, padding=1), L.BatchNorm2D(), L.LeakyReLU(0.2), L.Dropout(0.3),
        L.Conv2DTranspose(4, 3, stride=2, padding=1, output_padding=1, groups=2), L.ELU(0.5),
        L.GlobalAvgPool2D(), L.BatchNorm1D(momentum=0.2, eps=1e-3), L.Dense(3),
    ], input_shape=(5, 5, 2), seed=13)),
    "global_max_keepdims": lambda: trained(striate.Sequential([
        L.Conv2DTranspose(3, (2, 3), stride=(2, 1), padding=((1, 0), (0, 1)), bias=False),
        L.BatchNorm2D(affine=False), L.GlobalMaxPool2D(keepdims=True), L.Softmax(),
    ], input_shape=(4, 4, 2), seed=14)),
}

# The models whose ONNX graph does not come back into striate, and why (the FormatError).
NOT_IMPORTED = {
    "normalised": r"op Pad is not supported",  # padding_mode="reflect"
    "pool_variants": r"op Mul is not supported",  # SumPool2D is AveragePool × k²
    "decoder": r"only a Reshape to \(N, features\) is supported",
    "signal": r"the input must be \(N, C, H, W\), \(N, H, W, C\) or \(N, features\), got rank 3",
}
IMPORTED = sorted(set(ONNX_MODELS) - set(NOT_IMPORTED))
