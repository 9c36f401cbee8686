"""Arrays for the page: float32 little-endian bytes in base64, with their shape and range.

    {"shape": [H, W, C], "data": "AAAgQQ...", "min": -0.3, "max": 1.7}

The page turns "data" back into a Float32Array (atob, then the bytes as little-endian
float32): 4 bytes a value instead of about 20 as JSON text.

Every answer is written by `text`: JSON has no NaN or infinity (JavaScript's JSON.parse
refuses them), so a non-finite number (a diverging run, a weight gone NaN) is sent as null.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np


def array(a) -> dict:
    """Any array as {"shape", "data": base64 of its float32 little-endian bytes, "min", "max" of its finite values}."""
    a = np.ascontiguousarray(a, dtype="<f4")
    finite = a[np.isfinite(a)]
    return {"shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii"),
            "min": float(finite.min()) if finite.size else 0.0, "max": float(finite.max()) if finite.size else 0.0}


def decode(item: dict) -> np.ndarray:
    """The array back from array(item) (for tests and tools)."""
    data = np.frombuffer(base64.b64decode(item["data"]), dtype="<f4")
    return data.reshape(item["shape"])


def finite(value):
    """value with every NaN and ±infinity (also inside lists, tuples and dicts) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def text(value) -> str:
    """value as strict JSON text (non-finite numbers as null)."""
    return json.dumps(finite(value), ensure_ascii=False, allow_nan=False)
