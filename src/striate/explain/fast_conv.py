"""Winograd's fast convolution written out on one tile: why 16 multiplications replace 36.

A 3×3 correlation of an (m+2)×(m+2) tile d with a kernel g gives m×m outputs. Directly,
that is m²·9 products; Winograd's F(m×m, 3×3) gets the same numbers as

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          (⊙: element by element)

with (m+2)² products. The matrices Bᵀ, G, Aᵀ are striate.functional.fast.winograd_transforms';
the direct outputs come from striate.functional.conv2d, so the text and the library agree.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .. import functional as F
from ..functional.fast.winograd_transforms import TRANSFORMS, tile_steps
from .text import fraction, matrix, number, side_by_side, times, windowed

R = 3  # the kernel size every F(m×m, 3×3) is for
# the layer the counts are worked out for: convnet4's last convolution, 14×14×64 → 14×14×64
LAYER = {"size": 14, "channels": 64, "filters": 64}


def counts(m: int) -> tuple[int, int]:
    """Multiplications for one m×m output tile: (direct m²·3², Winograd (m+2)²)."""
    return m * m * R * R, (m + R - 1) ** 2


def layer_counts(m: int, size: int, channels: int, filters: int) -> dict[str, int]:
    """Tile × kernel multiplications of a stride-1 3×3 layer with size×size outputs, direct and by
    F(m×m, 3×3) (the output padded up to whole tiles)."""
    tiles = math.ceil(size / m) ** 2
    _, per_tile = counts(m)
    return {"tiles": tiles, "direct": size * size * R * R * channels * filters,
            "winograd": tiles * per_tile * channels * filters}


def steps(d, g, m: int = 2) -> dict[str, np.ndarray]:
    """The algorithm's intermediate arrays for one tile: U = G g Gᵀ, V = Bᵀ d B, M = U ⊙ V,
    Y = Aᵀ M A (each (m+2)×(m+2), Y m×m) and `direct`, the reference correlation (m×m)."""
    direct = F.conv2d(d[None, :, :, None], g[:, :, None, None])[0][0, :, :, 0]
    return {**tile_steps(d, g, m), "direct": direct}


def exact(a, largest: int = 576) -> np.ndarray:
    """a with its float rounding taken out, for the text: each value that lies within 1e-10 of
    the array's largest |value| of a fraction with a denominator up to `largest` becomes that
    fraction (1.9999999999999996 → 2, −1.4e−17 next to 1 → 0, 0.052083333333333336 → 5/96)."""
    a = np.asarray(a, np.float64)
    scale = float(np.abs(a).max()) or 1.0
    out = a.copy()
    for index, v in np.ndenumerate(a):
        if np.isfinite(v):
            f = Fraction(float(v)).limit_denominator(largest)
            if abs(f.numerator / f.denominator - v) <= 1e-10 * scale:
                out[index] = f.numerator / f.denominator
    return out


def float32_errors(tiles: int = 1000, seed: int = 0) -> dict:
    """The largest |error| in float32 against float64 of the direct sums ("direct") and of
    F(2×2, 3×3) and F(4×4, 3×3) (keys 2 and 4), over `tiles` random normal 6×6 tiles and 3×3
    kernels (F(2×2, 3×3) on their top-left 4×4): the rounding the transforms add."""
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((tiles, 6, 6))
    g = rng.standard_normal((tiles, R, R))
    windows = np.lib.stride_tricks.sliding_window_view(d, (R, R), axis=(1, 2))  # (tiles, 4, 4, 3, 3)
    reference = np.einsum("tijkl,tkl->tij", windows, g)
    direct32 = np.einsum("tijkl,tkl->tij", windows.astype(np.float32), g.astype(np.float32))
    errors = {"direct": float(np.abs(direct32 - reference).max())}
    for m, (bt, gm, at) in TRANSFORMS.items():
        bt, gm, at = (a.astype(np.float32) for a in (bt, gm, at))
        tile = d[:, :m + R - 1, :m + R - 1].astype(np.float32)
        y32 = at @ ((gm @ g.astype(np.float32) @ gm.T) * (bt @ tile @ bt.T)) @ at.T
        errors[m] = float(np.abs(y32 - reference[:, :m, :m]).max())
    return errors


def check(d, g, m: int) -> tuple[np.ndarray, np.ndarray]:
    """d and g as float64 arrays, or ValueError naming --input / --kernel / --tile."""
    if m not in TRANSFORMS:
        raise ValueError(f"explain winograd: --tile must be one of {', '.join(map(str, TRANSFORMS))} "
                         f"(the output tile m of F(m×m, 3×3)), got {m}")
    n = m + R - 1
    d, g = np.atleast_2d(np.asarray(d, np.float64)), np.atleast_2d(np.asarray(g, np.float64))
    for option, a, want, what in [("--input", d, n, f"one input tile of F({m}×{m}, 3×3)"),
                                  ("--kernel", g, R, f"F({m}×{m}, 3×3) is for 3×3 kernels")]:
        if a.ndim != 2 or a.shape != (want, want):
            got = "×".join(map(str, a.shape))
            raise ValueError(f"explain winograd: {option} must be {want}×{want} ({what}), got {got}")
        if not np.isfinite(a).all():
            raise ValueError(f"explain winograd: {option} must hold finite numbers, got {a.ravel().tolist()}")
    return d, g


def _sum(coefficients, names, values) -> tuple[list, list]:
    """The terms of Σ c·name, and of the same with the values, as (sign, text) pairs:
    [("+", "a"), ("−", "c")] and [("+", "1"), ("−", "(−2)")]."""
    symbols, numbers = [], []
    for c, name, value in zip(coefficients, names, values):
        if c == 0:
            continue
        sign = "−" if c < 0 else "+"
        factor = "" if abs(c) == 1 else fraction(abs(c)) + "·"
        shown = fraction(value)
        if value < 0 and (symbols or sign == "−" or factor):  # "1 − (−2)", "4·(−2)", not a bare "(−2)"
            shown = f"({shown})"
        symbols.append((sign, factor + name))
        numbers.append((sign, factor + shown))
    return symbols, numbers


def _joined(terms) -> str:
    if not terms:
        return "0"
    (sign, first), rest = terms[0], terms[1:]
    return ("−" if sign == "−" else "") + first + "".join(f" {s} {t}" for s, t in rest)


def _wrapped(head: str, terms, tail: str = "", width: int = 96) -> list[str]:
    """head + the terms joined by their signs + tail, wrapped at `width` under the first term."""
    if not terms:
        return [head + "0" + tail]
    lines, line = [], head + _joined(terms[:1])
    for sign, text in terms[1:]:
        if len(line) + len(text) + 3 > width:
            lines.append(line)
            line = " " * len(head) + f"{sign} {text}"
        else:
            line += f" {sign} {text}"
    return lines + [line + tail]


def _written(name: str, symbols, values, total: str, width: int = 96) -> list[str]:
    """name = the symbolic sum = the sum of values = total: on one line when it fits, else the
    symbols and then the values, each wrapped."""
    one = f"{name} = {_joined(symbols)} = {_joined(values)} = {total}"
    if len(one) <= width:
        return [one]
    return _wrapped(f"{name} = ", symbols, width=width) + _wrapped(" " * len(name) + " = ", values, f" = {total}",
                                                                    width)


def _transform_row(bt, d, i: int, count: int) -> list[str]:
    """The first `count` entries of row i of V = Bᵀ d B, each as the sum of tile pixels it is."""
    n = d.shape[0]
    names = [f"d[{a},{b}]" for a in range(n) for b in range(n)]
    lines = []
    for j in range(count):
        coefficients = np.outer(bt[i], bt[j]).ravel()  # V[i,j] = Σ_a Σ_b Bᵀ[i,a] d[a,b] Bᵀ[j,b]
        symbols, values = _sum(coefficients, names, d.ravel())
        lines += _written(f"V[{i},{j}]", symbols, values, fraction(np.dot(coefficients, d.ravel())))
    return lines


def _direct(d, g, m: int, shown: int) -> list[str]:
    """The first `shown` outputs of the direct way: each window beside its 9 products and their sum."""
    lines = []
    for n in range(shown):
        i, j = divmod(n, m)
        window = d[i:i + R, j:j + R]
        rows = [" + ".join(times(a, b) for a, b in zip(wr, kr)) for wr, kr in zip(window, g)]
        total = float(np.sum(window * g))
        sums = [("  " if t == 0 else "+ ") + p for t, p in enumerate(rows)] + [f"= {number(total)}"]
        lines.append(f"y[{i},{j}]: rows {i}–{i + R - 1}, columns {j}–{j + R - 1}")
        lines += side_by_side([windowed(d, range(i, i + R), range(j, j + R)), sums], gap=4) + [""]
    return lines


def explain(d, g, m: int = 2) -> str:
    """The direct and the Winograd way on one (m+2)×(m+2) tile d and a 3×3 kernel g, and why
    (m+2)² multiplications replace m²·9."""
    d, g = check(d, g, m)
    n = m + R - 1
    bt, gm, at = TRANSFORMS[m]
    raw = steps(d, g, m)
    s = {**raw, **{k: exact(raw[k]) for k in ("U", "V", "M", "Y")}}  # what a hand calculation gives
    direct_count, winograd_count = counts(m)
    lines = [f"Winograd F({m}×{m}, 3×3): {m}×{m} outputs of a 3×3 kernel over one {n}×{n} input tile", ""]
    lines += side_by_side([matrix(d), matrix(g)], ["input tile d", "kernel g"]) + [""]

    lines += ["1. The direct way: each output is 9 products of the tile and the kernel, added up", ""]
    shown = m * m if m == 2 else m
    lines += _direct(d, g, m, shown)
    if shown < m * m:
        lines += [f"… {m * m - shown} more outputs, computed the same way", ""]
    lines += [f"{m}×{m} outputs × 9 products = {direct_count} multiplications", "",
              "direct y"] + matrix(s["direct"]) + [""]

    lines += ["2. The Winograd way: Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   (⊙: element by element)", ""]
    lines += side_by_side([matrix(bt, fmt=fraction), matrix(gm, fmt=fraction), matrix(at, fmt=fraction)],
                          ["Bᵀ", "G", "Aᵀ"]) + [""]
    lines += [f"The kernel, transformed: U = G g Gᵀ ({n}×{n}), computed once per kernel and reused for every tile"]
    lines += matrix(s["U"], fmt=fraction) + [""]
    only = "additions and subtractions" if set(np.unique(np.abs(bt))) <= {0, 1} else \
        "additions, subtractions and multiplications by the small constants in Bᵀ"
    written = n if m == 2 else 1  # F(4×4, 3×3)'s sums run to 12 terms each: one is enough to see them
    lines += [f"The tile, transformed: V = Bᵀ d B, only {only};",
              "its first row written out:" if written == n else "its first entry written out:"]
    lines += _transform_row(bt, d, 0, written) + [""]
    lines += ["V"] + matrix(s["V"], fmt=fraction) + [""]
    lines += [f"The only place tile and kernel meet: M = U ⊙ V, {winograd_count} products"]
    cells = [[f"{times(s['U'][i, j], s['V'][i, j], fraction)} = {fraction(s['M'][i, j])}" for j in range(n)]
             for i in range(n)]
    widths = [max(len(row[j]) for row in cells) for j in range(n)]
    lines += ["  " + "    ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells] + [""]
    kind = "only additions and subtractions" if set(np.unique(np.abs(at))) <= {0, 1} else \
        "additions and multiplications by the constants in Aᵀ"
    names = [f"M[{a},{b}]" for a in range(n) for b in range(n)]
    symbols, values = _sum(np.outer(at[0], at[0]).ravel(), names, s["M"].ravel())
    lines += [f"Back to {m}×{m} outputs: Y = Aᵀ M A, {kind}; the first is"]
    lines += _written("Y[0,0]", symbols, values, fraction(s["Y"][0, 0])) + [""]
    lines += ["Y"] + matrix(s["Y"], fmt=fraction) + [""]

    lines += ["3. The same answer as the direct sum", ""]
    lines += side_by_side([matrix(raw["direct"]), matrix(raw["Y"]), matrix(raw["Y"] - raw["direct"])],
                          ["direct", "Winograd", "difference"]) + [""]
    scale = max(1.0, float(np.abs(d).max() * np.abs(g).max()))  # rounding grows with the numbers' size
    agree = np.allclose(raw["Y"], raw["direct"], rtol=0, atol=1e-9 * scale)
    lines += ["Checked: Y " + ("equals" if agree else "DIFFERS FROM")
              + " striate.functional.conv2d's output.", ""]
    return "\n".join(lines + _why(m))


def _why(m: int) -> list[str]:
    direct2, winograd2 = counts(2)
    direct4, winograd4 = counts(4)
    d_count, w_count = counts(m)
    layer = [(k, layer_counts(k, **LAYER)) for k in (2, 4)]
    size, c, f = LAYER["size"], LAYER["channels"], LAYER["filters"]
    bt4, g4, _ = TRANSFORMS[4]
    errors = float32_errors()
    lines = [f"4. Why {w_count} replace {d_count}", "",
             f"The {m}×{m} outputs' windows overlap, so the direct sums multiply the same pixels by the same",
             "weights again and again. Winograd's transforms first mix the tile (V) and the kernel (U) into",
             f"{m + R - 1}×{m + R - 1} numbers each, so that every one of the {w_count} products serves several "
             "outputs at once,",
             "and Aᵀ … A adds each product into the outputs that need it.", "",
             f"F(2×2, 3×3): direct 2²·9 = {direct2}, Winograd 4² = {winograd2}: "
             f"{direct2 / winograd2:.3g}× fewer multiplications per tile.",
             f"F(4×4, 3×3): direct 4²·9 = {direct4}, Winograd 6² = {winograd4}: "
             f"{direct4 / winograd4:.3g}× fewer, at the cost of more rounding:",
             f"its transforms hold larger constants (Bᵀ up to {number(np.abs(bt4).max())}, G down to "
             f"{fraction(np.abs(g4[g4 != 0]).min())}). In float32, over 1,000",
             f"random tiles, the largest error against float64 is {number(errors['direct'])} for the direct sums, "
             f"{number(errors[2])}",
             f"for F(2×2, 3×3) and {number(errors[4])} for F(4×4, 3×3).", "",
             "In a layer with C input channels and F filters, the tile × kernel products are what counts:",
             "  U = G g Gᵀ for each (channel, filter) pair, once per kernel (once and for all at inference);",
             "  V = Bᵀ d B for each (tile, channel), shared by all F filters;",
             f"  M summed over the channels: at each of the {w_count} positions (i, j), the products "
             "U[i,j]·V[i,j] of all",
             "    tiles, channels and filters are one matrix product (tiles, C) @ (C, F), which BLAS does fast;",
             "  Y = Aᵀ M A for each (tile, filter), after the sum over channels.",
             f"Per tile and (channel, filter) pair that is {w_count} multiplications instead of {d_count} "
             f"({d_count / w_count:.3g}×); the transforms",
             "cost work in proportion to tiles·C, tiles·F and C·F, one factor fewer than the products'",
             f"tiles·C·F. For a {size}×{size} output with C = {c}, F = {f}:",
             f"  direct: {size}·{size}·9·{c}·{f} = {layer[0][1]['direct']:,}"]
    for k, counted in layer:
        side = math.ceil(size / k)
        lines.append(f"  F({k}×{k}, 3×3): {side}·{side} = {counted['tiles']} tiles · {(k + R - 1) ** 2}·{c}·{f} "
                     f"= {counted['winograd']:,} ({counted['direct'] / counted['winograd']:.3g}× fewer"
                     + (f", the output padded to {side * k}×{side * k})" if side * k != size else ")"))
    return lines
