"""Small helpers that write matrices and sums as text, for the step-by-step explanations."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np


def number(v) -> str:
    """3.0 → "3", 0.65900114 → "0.659", −2 → "−2" (a true minus sign)."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.4g}"
    return text.replace("-", "−")


def fraction(v, largest: int = 576) -> str:
    """1.25 → "5/4", −0.5 → "−1/2", 1/6 → "1/6", 3.0 → "3": exact when v is a fraction whose
    denominator divides into 2s and 3s (as the Winograd transforms' 1/2, 1/6, 1/24 do) up to
    `largest` (24²), else number(v): 0.1 → "0.1"."""
    v = float(v)
    if v.is_integer() or not np.isfinite(v):
        return number(v)
    f = Fraction(v).limit_denominator(largest)
    rest = f.denominator
    for p in (2, 3):
        while rest % p == 0:
            rest //= p
    if rest != 1 or abs(f.numerator / f.denominator - v) > 1e-12 * abs(v):
        return number(v)
    text = str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"  # 1.9999999999999996 → 2
    return text.replace("-", "−")


def times(a, b, fmt=number) -> str:
    """"2·3", with a negative second factor in brackets: "1·(−1)"."""
    second = fmt(b)
    return f"{fmt(a)}·({second})" if b < 0 else f"{fmt(a)}·{second}"


def matrix(a, indent: str = "  ", fmt=number) -> list[str]:
    """Rows of a 2-D array as aligned text lines, each value written by fmt."""
    a = np.atleast_2d(a)
    cells = [[fmt(v) for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    return [indent + " ".join(c.rjust(width) for c in row) for row in cells]


def windowed(a, rows: range, cols: range, indent: str = "  ") -> list[str]:
    """Rows of a 2-D array with the window rows × cols in brackets, e.g. " [1 1 1]0 0"."""
    a = np.atleast_2d(a)
    width = max(len(number(v)) for v in a.ravel())
    lines = []
    for i, row in enumerate(a):
        inside = i in rows
        text = ""
        for j, v in enumerate(row):
            mark = "[" if inside and j == cols.start else ("]" if inside and j == cols.stop else " ")
            text += mark + number(v).rjust(width)
        text += "]" if inside and cols.stop == len(row) else " "
        lines.append(indent + text.rstrip())
    return lines


def side_by_side(blocks: list[list[str]], titles: list[str] | None = None, gap: int = 6) -> list[str]:
    """Text blocks placed next to each other, each under its title."""
    if titles:
        blocks = [[t, *b] for t, b in zip(titles, blocks)]
    widths = [max(len(line) for line in b) for b in blocks]
    height = max(len(b) for b in blocks)
    out = []
    for i in range(height):
        parts = [(b[i] if i < len(b) else "").ljust(w) for b, w in zip(blocks, widths)]
        out.append((" " * gap).join(parts).rstrip())
    return out


def parse_matrix(text: str, name: str) -> np.ndarray:
    """A matrix from the command line: "1 0 1; 0 1 0" (rows split by ';'), or JSON "[[1,0],[0,1]]".

    ValueError naming the option when a value is not a number or rows differ in length.
    """
    text = text.strip()
    bad_number = ValueError(f"{name}: expected numbers with rows separated by ';', e.g. \"1 0 1; 0 1 0\", "
                            f"got {text!r}")
    try:
        if text.startswith("["):
            rows = json.loads(text)
            rows = [rows] if rows and not isinstance(rows[0], list) else rows
        else:
            rows = [row.replace(",", " ").split() for row in text.split(";") if row.strip()]
        if not rows or not all(isinstance(r, list) and r for r in rows) or len({len(r) for r in rows}) != 1:
            raise ValueError(f"{name}: every row must have the same number of values, got {text!r}")
        return np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
    except (TypeError, json.JSONDecodeError):
        raise bad_number from None
    except ValueError as e:
        raise (e if str(e).startswith(name) else bad_number) from None
