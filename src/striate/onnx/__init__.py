"""ONNX export and import for striate models (needs the onnx package: `pip install -e '.[onnx]'` in a clone).

    striate.onnx.export(model, "model.onnx")     # NHWC input, same outputs as striate
    model = striate.onnx.load("model.onnx")      # a striate Sequential, e.g. from PyTorch

Importing this module needs nothing; the onnx package is imported on first use.
"""

from .exporter import export
from .importer import load

__all__ = ["export", "load"]
