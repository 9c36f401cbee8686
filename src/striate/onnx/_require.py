"""The onnx package is optional: import it only when ONNX is used, with a helpful error."""

from __future__ import annotations


def require_onnx():
    """The onnx module, or an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise ImportError("striate.onnx needs the onnx package, which is not installed: pip install onnx onnxruntime "
                          "(in a clone of striate: pip install -e '.[onnx]')") from e
    return onnx
