"""The Winograd lesson: its numbers are the algorithm's, read back from the text it prints."""

import re
from fractions import Fraction

import numpy as np
import pytest

from striate import explain
from striate.explain import fast_conv as lesson
from striate.explain.text import fraction, number
from striate.functional.fast.winograd_transforms import TRANSFORMS


def value(text: str) -> Fraction:
    """A number as the lessons write it ("−3/4", "5", "1.5") back as an exact Fraction."""
    return Fraction(text.replace("−", "-"))


def block(text: str, title: str) -> np.ndarray:
    """The matrix printed under the line `title`, up to the next blank line, as Fractions."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append([value(v) for v in line.split()])
    return np.array(rows, dtype=object)


def columns(text: str, titles: list[str], widths: list[int]) -> list[np.ndarray]:
    """Matrices printed side by side under their titles: each row's numbers
    split into blocks of the given widths (a block that has run out of rows is left off)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == titles) + 1
    blocks = [[] for _ in widths]
    for line in lines[start:]:
        if not line.strip():
            break
        cells = [value(v) for v in line.split()]
        for k, w in enumerate(widths):
            if cells:
                blocks[k].append(cells[:w])
                cells = cells[w:]
    return [np.array(b, dtype=object) for b in blocks]


def correlate(d, g):
    """The valid 3×3 correlation by its definition, in exact integers."""
    m = d.shape[0] - 2
    return np.array([[int(np.sum(d[i:i + 3, j:j + 3] * g)) for j in range(m)] for i in range(m)])


def evaluate(expression: str) -> Fraction:
    """A sum the lesson writes out, "1 − (−2) + 4·3 + 1/2·5", evaluated exactly."""
    python = expression.replace("−", "-").replace("·", "*")
    python = re.sub(r"(\d+)/(\d+)", r"Fraction(\1, \2)", python)
    return eval(python, {"__builtins__": {}, "Fraction": Fraction})  # noqa: S307 - the lesson's own text


@pytest.mark.parametrize("m", [2, 4])
def test_winograd_equals_the_direct_correlation_for_random_integer_tiles(m):
    rng = np.random.default_rng(m)
    for _ in range(20):
        d = rng.integers(-9, 10, (m + 2, m + 2))
        g = rng.integers(-4, 5, (3, 3))
        text = explain.winograd(d, g, tile=m)
        expected = correlate(d, g)
        np.testing.assert_array_equal(block(text, "Y").astype(float), expected)  # exact fractions, rounded
        np.testing.assert_array_equal(block(text, "direct y").astype(float), expected)
        direct, winograd, difference = columns(text, ["direct", "Winograd", "difference"], [m, m, m])
        np.testing.assert_array_equal(direct.astype(float), expected)
        np.testing.assert_allclose(winograd.astype(float), expected, rtol=0, atol=1e-9)  # float64, as computed
        steps = lesson.steps(d.astype(float), g.astype(float), m)
        np.testing.assert_allclose(steps["Y"], expected, rtol=0, atol=1e-9)
        np.testing.assert_allclose(difference.astype(float), steps["Y"] - expected, rtol=1e-3, atol=0)
        assert "Checked: Y equals striate.functional.conv2d's output" in text


def test_the_direct_sums_are_9_products_each_and_36_in_all():
    rng = np.random.default_rng(7)
    d, g = rng.integers(-5, 6, (4, 4)), rng.integers(-3, 4, (3, 3))
    text = explain.winograd(d, g)
    expected = correlate(d, g)
    direct = text[text.index("1. The direct way"):text.index("2. The Winograd way")]
    outputs = re.findall(r"y\[(\d),(\d)\]: rows", direct)
    assert len(outputs) == 4
    products = re.findall(r"−?\d+·\(?−?\d+\)?", direct)
    assert len(products) == 4 * 9
    totals = [value(t) for t in re.findall(r"^ .*= (−?\d+)$", direct, re.M)]
    assert totals == [expected[int(i), int(j)] for i, j in outputs]
    assert f"2×2 outputs × 9 products = {len(products)} multiplications" in text
    assert lesson.counts(2) == (len(products), 16) and lesson.counts(4) == (4 * 4 * 9, 6 * 6)


@pytest.mark.parametrize("m", [2, 4])
def test_the_printed_transforms_are_the_modules_and_the_products_are_u_times_v(m):
    rng = np.random.default_rng(10 + m)
    n = m + 2
    d, g = rng.integers(-5, 6, (n, n)), rng.integers(-3, 4, (3, 3))
    text = explain.winograd(d, g, tile=m)
    bt, gm, at = TRANSFORMS[m]
    printed_bt, printed_g, printed_at = columns(text, ["Bᵀ", "G", "Aᵀ"], [n, 3, n])
    for printed, module in [(printed_bt, bt), (printed_g, gm), (printed_at, at)]:
        np.testing.assert_allclose(printed.astype(float), module, rtol=1e-15)
    u = block(text, f"The kernel, transformed: U = G g Gᵀ ({n}×{n}), computed once per kernel and reused for "
                    "every tile")
    v = block(text, "V")
    np.testing.assert_allclose(u.astype(float), gm @ g @ gm.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(v.astype(float), bt @ d @ bt.T)
    products = text[text.index("M = U ⊙ V"):text.index("Back to")].splitlines()[1:n + 1]
    cells = [re.findall(r"(\S+)·(\(?\S+?\)?) = (\S+)", row) for row in products]
    assert sum(len(row) for row in cells) == n * n and f"M = U ⊙ V, {n * n} products" in text
    for i, row in enumerate(cells):
        for j, (a, b, c) in enumerate(row):
            assert value(a) == u[i, j] and value(b.strip("()")) == v[i, j] and value(c) == u[i, j] * v[i, j]


def written_sums(text: str, start: str, end: str) -> list[list[str]]:
    """The sums written out between `start` and `end`, each "NAME = symbols = values = total" (wrapped
    lines joined), as [name, symbols, values, total]."""
    part = " ".join(text[text.index(start) + len(start):text.index(end)].split())
    entries = re.split(r" (?=[VY]\[\d,\d\] = )", " " + part)
    return [entry.split(" = ") for entry in entries if entry.strip()]


@pytest.mark.parametrize("m", [2, 4])
def test_the_tile_transform_and_the_output_transform_are_written_out_as_sums(m):
    rng = np.random.default_rng(3)
    n = m + 2
    d, g = rng.integers(-5, 6, (n, n)), rng.integers(-3, 4, (3, 3))
    text = explain.winograd(d, g, tile=m)
    bt = TRANSFORMS[m][0]
    v = block(text, "V")
    sums = written_sums(text, "written out:", "\n\nV\n")
    assert [name for name, *_ in sums] == [f"V[0,{j}]" for j in range(n if m == 2 else 1)]
    pixels = {f"d[{a},{b}]": str(d[a, b]) for a in range(n) for b in range(n)}
    for name, symbols, numbers, total in sums:
        if m == 2:
            assert "·" not in symbols  # Bᵀ holds 0, 1 and −1: additions and subtractions only
        substituted = re.sub(r"d\[\d,\d\]", lambda k: f"({pixels[k.group(0)]})", symbols)
        j = int(name[4])
        assert evaluate(substituted) == evaluate(numbers) == value(total) == v[0, j] == (bt @ d @ bt.T)[0, j]
    y = block(text, "Y")
    m_printed = text[text.index("M = U ⊙ V"):text.index("Back to")]
    products = {f"M[{i},{j}]": c for i, row in enumerate(m_printed.splitlines()[1:n + 1])
                for j, c in enumerate(re.findall(r"= (\S+)", row))}
    (name, symbols, numbers, total), = written_sums(text, "; the first is", "\n\nY\n")
    if m == 2:
        assert "·" not in symbols
    substituted = re.sub(r"M\[\d,\d\]", lambda k: f"({products[k.group(0)]})", symbols)
    assert evaluate(substituted) == evaluate(numbers) == value(total) == y[0, 0] == correlate(d, g)[0, 0]


def test_the_default_is_the_corner_of_the_conv_lesson():
    """tile 2: the top-left 2×2 of `explain conv`; tile 4: the top-left 4×4 of it with padding 1."""
    for m, padding in [(2, 0), (4, 1)]:
        conv = explain.conv(padding=padding)
        y = block(explain.winograd(tile=m), "Y").astype(float)
        np.testing.assert_array_equal(y, block(conv, "output y = x ⋆ k").astype(float)[:m, :m])


def test_the_halves_of_the_kernel_transform_are_exact_fractions():
    text = explain.winograd()  # the X-shaped kernel: U holds 5/4 and 3/4
    assert "1 5/4 3/4   1" in text and "1/2  1/2  1/2" in text
    assert fraction(1.25) == "5/4" and fraction(-1 / 6) == "−1/6" and fraction(2 - 4e-16) == "2"
    assert fraction(0.1) == "0.1" and fraction(0.3333) == "0.3333" and fraction(np.pi) == number(np.pi) == "3.142"
    assert lesson.exact([1.9999999999999996, -1.4e-17, 5 / 96 + 1e-17]).tolist() == [2, 0, 5 / 96]


def test_the_counts_in_words_are_computed():
    text = explain.winograd()
    assert "F(2×2, 3×3): direct 2²·9 = 36, Winograd 4² = 16: 2.25× fewer multiplications per tile." in text
    assert "F(4×4, 3×3): direct 4²·9 = 144, Winograd 6² = 36: 4× fewer" in text
    assert "(tiles, C) @ (C, F)" in text
    size, c, f = lesson.LAYER["size"], lesson.LAYER["channels"], lesson.LAYER["filters"]
    counted = lesson.layer_counts(2, size, c, f)
    assert counted["direct"] == sum(9 * c * f for _ in range(size * size))
    tiles = len(range(0, size, 2)) ** 2
    assert counted["winograd"] == tiles * 16 * c * f and f"= {counted['winograd']:,} (2.25× fewer)" in text
    assert lesson.layer_counts(4, size, c, f)["tiles"] == len(range(0, size, 4)) ** 2


def test_f4_rounds_more_than_f2_in_float32():
    errors = lesson.float32_errors()
    assert 0 < max(errors["direct"], errors[2]) * 5 < errors[4] < 1e-3  # F(4×4, 3×3) rounds far more
    text = " ".join(explain.winograd().split())
    assert (f"{number(errors['direct'])} for the direct sums, {number(errors[2])} for F(2×2, 3×3) and "
            f"{number(errors[4])} for F(4×4, 3×3)") in text


@pytest.mark.parametrize("kwargs,message", [
    ({"x": np.ones((5, 5))}, r"--input must be 4×4 \(one input tile of F\(2×2, 3×3\)\), got 5×5"),
    ({"x": np.ones((4, 4)), "tile": 4}, r"--input must be 6×6 \(one input tile of F\(4×4, 3×3\)\), got 4×4"),
    ({"x": np.ones(16)}, r"--input must be 4×4 .*got 1×16"),
    ({"kernel": np.ones((2, 2))}, r"--kernel must be 3×3 \(F\(2×2, 3×3\) is for 3×3 kernels\), got 2×2"),
    ({"kernel": np.full((3, 3), np.nan)}, r"--kernel must hold finite numbers"),
    ({"tile": 3}, r"--tile must be one of 2, 4 .*got 3"),
])
def test_bad_sizes_name_the_option_what_came_and_what_is_expected(kwargs, message):
    with pytest.raises(ValueError, match=f"explain winograd: {message}"):
        explain.winograd(**kwargs)
