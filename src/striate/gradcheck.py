"""Check a whole model's backward pass against finite differences, layer by layer.

    rows = striate.gradcheck.check(model)        # a float64 copy of the model is checked
    print(striate.gradcheck.table(rows))

The scalar checked is f = Σ model(x) ⊙ g for a random x and a random upstream gradient
g (ones would hide a transposed gradient). Back-propagating g gives, for every layer,
the gradient of f with respect to its input and each of its parameters; each is
compared with central differences (f(v + ε) − f(v − ε)) / 2ε at sampled entries,
computed in float64 by running the network from that layer on.

An entry passes when |analytic − numeric| ≤ TOLERANCE · max(|analytic|, |numeric|)
+ floor. The floor is what rounding alone makes of a difference quotient:
f is a sum of terms of total size S = Σ|model(x) ⊙ g|, known to about ROUNDING · S, and
dividing by 2ε magnifies that to ROUNDING · S / ε — so a gradient entry of 1e-6 whose
numeric estimate is off by 1e-9 (a relative error of 1e-3, pure rounding) passes, while
a wrong backward pass, off by the size of the gradient itself, fails.

Entries at a kink — a ReLU input near 0, a pooling window whose maximum is tied (a
trained network's ReLUs leave whole windows at 0), where the slopes from the left and
the right differ — have no derivative: an entry whose one-sided slopes differ by more
than rounding and whose analytic value fails the central difference is counted as "at a
kink" and not compared. A wrong backward pass fails at the entries that are not kinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Sequential

TOLERANCE = 1e-5
ROUNDING = 16 * np.finfo(np.float64).eps  # relative rounding error of f, with room for long sums


@dataclass
class GradCheck:
    """One gradient compared: which layer, which tensor, how many entries, the worst errors."""

    layer: str
    tensor: str  # "input" or a parameter name ("kernel", "bias")
    shape: tuple
    checked: int
    skipped: int  # entries at a kink, where no derivative exists
    max_relative_error: float
    max_absolute_error: float
    failed: int = 0  # entries beyond TOLERANCE and the rounding floor
    floor: float = 0.0  # the rounding floor of the absolute error, ROUNDING · S / ε

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def status(self) -> str:
        if not self.checked:
            return "all at kinks"
        return "ok" if self.ok else "FAIL"


def float64_copy(model: Sequential) -> Sequential:
    """A float64 twin of a built model: same layer settings, same weights."""
    if not model.built or None in model.input_shape:
        raise ValueError("gradcheck: the model needs a fixed input shape (give --input-shape)")
    layers = [type(layer)(**layer.get_config()) for layer in model.layers]
    twin = Sequential(layers, input_shape=model.input_shape, seed=0, dtype=np.float64)
    twin.set_weights([w.astype(np.float64) for w in model.get_weights()])
    return twin


def _run(layers, x):
    """Forward from the given layers on, in training mode, with every random draw fixed."""
    for layer in layers:
        if isinstance(getattr(layer, "rng", None), np.random.Generator):
            layer.rng = np.random.default_rng(0)  # e.g. dropout: the same mask on every pass
        x = layer.forward(x, training=True)
    return x


def _compare(f, array, analytic, order, want: int, eps, size: float) -> tuple[int, int, float, float, int, float]:
    """Central differences of f at entries of `array`, in `order`, until `want` are compared.

    size: S = Σ|terms of f|, which sets the rounding floor ROUNDING · S / eps. An entry
    that fails and whose slopes from the left and from the right differ (a ReLU input at
    0, a pooling window whose maximum is tied) has no derivative: skipped and counted.
    Returns (compared, skipped, max relative error, max absolute error, failed, floor).
    """
    flat, grad = array.reshape(-1), analytic.reshape(-1)
    centre = f()
    floor = ROUNDING * size / eps
    rel = absolute = 0.0
    compared = skipped = failed = 0
    for i in order:
        if compared == want:
            break
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        right, left = (plus - centre) / eps, (centre - minus) / eps
        numeric = (plus - minus) / (2 * eps)
        diff = abs(grad[i] - numeric)
        bad = diff > TOLERANCE * max(abs(grad[i]), abs(numeric)) + floor
        if bad and abs(right - left) > 1e-3 * max(abs(right), abs(left)) + 2 * floor:
            skipped += 1  # at a kink: no derivative to compare with
            continue
        absolute = max(absolute, diff)
        rel = max(rel, diff / max(abs(grad[i]), abs(numeric), 1e-300))
        compared += 1
        failed += bool(bad)
    return compared, skipped, rel, absolute, failed, floor


def check(model: Sequential, x=None, samples: int | None = 8, eps: float = 1e-6, batch: int = 2,
          seed: int = 0) -> list[GradCheck]:
    """Compare every layer's input and parameter gradients with finite differences.

    Args:
        model: a built Sequential (any dtype: a float64 copy is checked).
        x: inputs (N, *input_shape); default `batch` random normal images.
        samples: entries compared per tensor, drawn at random; None for all of them.
        eps: the finite-difference step.
    Returns:
        one GradCheck per layer input and per parameter, in layer order.
    """
    twin = float64_copy(model)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *twin.input_shape)) if x is None else np.array(x, dtype=np.float64)
    inputs = []
    a = x
    for layer in twin.layers:  # keep each layer's input; run as _run does (same masks)
        inputs.append(a)
        a = _run([layer], a)
    g = rng.standard_normal(a.shape)
    input_grads = [None] * len(twin.layers)
    dy = g
    for i in reversed(range(len(twin.layers))):
        dy = input_grads[i] = twin.layers[i].backward(dy)
    param_grads = [{k: v.copy() for k, v in layer.grads.items()} for layer in twin.layers]

    rows = []
    for i, layer in enumerate(twin.layers):
        rest = twin.layers[i:]
        a = inputs[i].copy()
        name = f"#{layer.index} {layer!r}"
        for key, array, analytic in [*((k, p, param_grads[i][k]) for k, p in layer.params.items()),
                                     ("input", a, input_grads[i])]:
            want = array.size if samples is None else min(samples, array.size)
            size = float(np.sum(np.abs(_run(rest, a) * g)))
            counts = _compare(lambda: float(np.sum(_run(rest, a) * g)), array, analytic,
                              rng.permutation(array.size), want, eps, size)
            rows.append(GradCheck(name, key, array.shape, *counts))
    return rows


def table(rows: list[GradCheck]) -> str:
    """The checks as an aligned text table, one line per tensor."""
    head = ("Layer", "Gradient", "Shape", "Checked", "At a kink", "Max rel. error", "Max abs. error", "Floor", "")
    lines = [head]
    last = None
    for r in rows:
        lines.append(("" if r.layer == last else r.layer, r.tensor, "×".join(map(str, r.shape)),
                      str(r.checked), str(r.skipped),
                      f"{r.max_relative_error:.2e}", f"{r.max_absolute_error:.2e}", f"{r.floor:.0e}", r.status))
        last = r.layer
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.rjust(w) if i in (3, 4, 5, 6, 7) else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
           .rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths).rstrip())
    return "\n".join(out)
