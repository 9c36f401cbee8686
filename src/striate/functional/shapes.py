"""Argument parsing and output-size arithmetic shared by convolution and pooling.

The one formula everything here comes back to (per spatial axis)::

    out = (in + pad_before + pad_after - dilation·(k − 1) − 1) // stride + 1
"""

from __future__ import annotations

import numbers

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]  # ((top, bottom), (left, right))
NO_PADDING: Padding = ((0, 0), (0, 0))


def count(value, name: str, owner: str, minimum: int = 1) -> int:
    """value as an int ≥ minimum: Python and NumPy ints are fine, bools and floats are not.

    >>> count(3, "units", "Dense")
    3
    """
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        kind = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{owner}: {name} must be a {kind} int, got {value!r}")
    return int(value)


def pair(value, name: str, owner: str, minimum: int = 1) -> Pair:
    """Turn an int or a pair of ints into a pair, refusing anything else.

    >>> pair(3, "kernel_size", "Conv2D")
    (3, 3)
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        result = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        result = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
    if min(result) < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}")
    return result


def effective_size(k: int, dilation: int) -> int:
    """Extent of a dilated kernel: k taps spread over dilation·(k − 1) + 1 pixels."""
    return dilation * (k - 1) + 1


def parse_padding(padding, owner: str) -> str | Padding:
    """Validate a padding argument: "valid", "same", an int, a pair, or ((t, b), (l, r))."""
    if isinstance(padding, str):
        p = padding.lower()
        if p not in ("valid", "same"):
            raise ValueError(f"{owner}: padding must be 'valid', 'same', an int or a pair, got {padding!r}")
        return "valid" if p == "valid" else "same"
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) for p in padding)
    ):
        (t, b), (l, r) = (pair(p, "padding", owner, minimum=0) for p in padding)
        return ((t, b), (l, r))
    ph, pw = pair(padding, "padding", owner, minimum=0)
    return ((ph, ph), (pw, pw))


def resolve_padding(padding, in_hw, kernel: Pair, stride: Pair, dilation: Pair, owner: str) -> Padding:
    """Explicit ((top, bottom), (left, right)) padding for an input of size in_hw.

    "same" pads so that out = in / stride; when the total padding is odd the extra row
    or column goes at the bottom/right, as in PyTorch and Keras. With stride > 1 the
    input size must be divisible by the stride, otherwise "same" has no exact meaning.
    The padding does not depend on the size itself, so an unknown size (None) is fine.
    """
    if padding == "valid":
        return NO_PADDING
    if padding != "same":
        return padding
    pads = []
    for axis, (n, k, s, d) in enumerate(zip(in_hw, kernel, stride, dilation)):
        if n is not None and n % s:
            raise ValueError(
                f"{owner}: padding='same' with stride {s} needs an input size divisible by "
                f"the stride, got {('height', 'width')[axis]} {n} (output would be {n / s:g})"
            )
        total = max(effective_size(k, d) - s, 0)  # = (n/s − 1)·s + k_eff − n: the same for every n
        pads.append((total // 2, total - total // 2))
    return (pads[0], pads[1])


def output_size(n: int | None, k: int, stride: int, pad: Pair, dilation: int, owner: str, axis: str) -> int | None:
    """Output length along one axis; a clear error when the kernel does not fit."""
    if n is None:
        return None
    padded = n + pad[0] + pad[1]
    ek = effective_size(k, dilation)
    if ek > padded:
        raise ValueError(
            f"{owner}: kernel {axis} {ek} (kernel_size {k}, dilation {dilation}) is larger than "
            f"the padded input {axis} {padded} (input {n} + padding {pad[0]}+{pad[1]})"
        )
    return (padded - ek) // stride + 1
