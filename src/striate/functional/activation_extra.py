"""LeakyReLU, ELU and GELU: forward and backward side by side, plus the error function GELU needs.

LeakyReLU and ELU are monotonic, so their backward can be written in terms of the
output y (as in activation.py). GELU is not monotonic: its backward takes the input x.
"""

from __future__ import annotations

import math

import numpy as np


def leaky_relu(x, negative_slope: float = 0.01):
    """x where x > 0, negative_slope·x elsewhere."""
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_backward(dy, y, negative_slope: float = 0.01):
    """dx = dy where y > 0 (the same units as x > 0 for a positive slope), else slope·dy."""
    return np.where(y > 0, dy, dy * dy.dtype.type(negative_slope))


def elu(x, alpha: float = 1.0):
    """x where x > 0, α·(eˣ − 1) elsewhere (smooth at 0 for α = 1)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def elu_backward(dy, y, alpha: float = 1.0):
    """dy/dx = 1 where x > 0, α·eˣ = y + α elsewhere: written with y alone."""
    return np.where(y > 0, dy, dy * (y + alpha)).astype(dy.dtype, copy=False)


# ---- GELU ----------------------------------------------------------------------
_SERIES_TERMS, _FRACTION_DEPTH, _SPLIT = 30, 40, 2.0  # |error| < 2e-15 against math.erf


def erf(x):
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, element-wise, to about 1e-15.

    NumPy has no erf, so it is computed from two classic expansions:

        |x| < 2:  erf(x)  = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·5···(2n+1))   (all terms > 0)
        |x| ≥ 2:  erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))

    The series has no cancellation (every term is positive) and 30 terms reach double
    precision for |x| < 2; the continued fraction converges fast for large |x|.
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    out = np.empty_like(a)
    small = a < _SPLIT
    s = a[small]
    term, total, s2 = s.copy(), s.copy(), s * s
    for n in range(1, _SERIES_TERMS):
        term *= 2 * s2 / (2 * n + 1)
        total += term
    out[small] = 2 / math.sqrt(math.pi) * np.exp(-s2) * total
    b = a[~small]
    frac = b.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        frac = b + (k / 2) / frac
    out[~small] = 1 - np.exp(-b * b) / math.sqrt(math.pi) / frac
    return np.copysign(out, x)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x, approximate: str = "none"):
    """x·Φ(x), Φ the standard normal CDF: Φ(x) = ½(1 + erf(x/√2)).

    approximate="tanh": Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715x³))), as in BERT/GPT-2.
    """
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
    return (0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype, copy=False)


def gelu_backward(dy, x, approximate: str = "none"):
    """d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π) (or the derivative of the tanh form)."""
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
        grad = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    else:
        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        grad = cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return (dy * grad).astype(dy.dtype, copy=False)
