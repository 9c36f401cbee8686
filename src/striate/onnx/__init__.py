"""ONNX export and import (needs `pip install striate[onnx]`)."""
