"""The arithmetic behind a network's shapes, filled in layer by layer.

For every layer of a built Sequential, `analyse` works out, with the numbers written in:

- the output size, per spatial axis:  (in + pad_before + pad_after − k)/stride + 1,
  e.g. (37 + 2·0 − 5)/2 + 1 = 17 (⌊ ⌋ shows where the division rounds down);
- the parameter count, e.g. 3·3·3 + 1 = 28 per filter × 10 = 280;
- the receptive field: how many input pixels one output value depends on. With r the
  field and j the jump (input pixels between neighbouring outputs) before the layer,
  a k×k window with stride s gives r' = r + (k − 1)·j and j' = j·s;
- FLOPs per image: a multiply-add counts 2, a comparison or an exponential 1;
- activation memory: the values the layer outputs for one image, times their size.

    print(striate.arithmetic.report(model))      # what `striate summary` prints
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import layers as L
from .functional.shapes import effective_size


@dataclass
class LayerArithmetic:
    """What one layer does to the shapes, with the arithmetic as text.

    receptive_field and jump are (height, width) in input pixels; None when the layer
    mixes every position (Dense after Flatten) or its geometry is not known here.
    flops is None for layer types this module does not know.
    """

    index: int
    layer: str
    input_shape: tuple
    output_shape: tuple
    size: list[str] = field(default_factory=list)
    params: int = 0
    params_text: str = ""
    receptive_field: tuple | None = None
    jump: tuple | None = None
    receptive_text: str = ""
    flops: int | None = 0
    flops_text: str = ""
    memory: int = 0
    memory_text: str = ""


def dims(shape) -> str:
    """(28, 28, 1) → "28×28×1"."""
    return "×".join("?" if d is None else str(d) for d in shape)


def product_text(shape) -> str:
    """(14, 14, 8) → "14·14·8"."""
    return "·".join(str(d) for d in shape)


def size_text(n: int, k: int, stride: int, pad: tuple[int, int], dilation: int = 1) -> str:
    """One axis of the output-size formula, filled in: "(37 + 2·0 − 5)/2 + 1 = 17"."""
    before, after = pad
    pad_text = f"2·{before}" if before == after else f"{before} + {after}"
    ek = effective_size(k, dilation)
    k_text = str(k) if dilation == 1 else f"{ek}"
    numerator = n + before + after - ek
    out = numerator // stride + 1
    fraction = f"({n} + {pad_text} − {k_text})/{stride}"
    if numerator % stride:
        fraction = f"⌊{fraction}⌋"
    note = "" if dilation == 1 else f"  (dilated kernel: {dilation}·({k} − 1) + 1 = {ek})"
    return f"{fraction} + 1 = {out}{note}"


def _axes_text(texts: list[str]) -> list[str]:
    """One line when height and width share the arithmetic, else one per axis."""
    if texts[0] == texts[1]:
        return [texts[0]]
    return [f"height {texts[0]}", f"width  {texts[1]}"]


def _window(layer, shape_in):
    """(kernel, stride, padding, dilation) per axis for the sliding-window layers."""
    if isinstance(layer, L.Conv2D):
        pad = getattr(layer, "_pad", None) or ((0, 0), (0, 0))
        return layer.kernel_size, layer.stride, pad, layer.dilation
    return layer.kernel_size, layer.stride, layer.padding, (1, 1)


def _params_text(layer, shape_in) -> str:
    if isinstance(layer, L.Conv2D):
        kh, kw = layer.kernel_size
        cg = shape_in[-1] // layer.groups
        per = kh * kw * cg + layer.use_bias
        text = f"{kh}·{kw}·{cg}" + (" + 1" if layer.use_bias else "")
        groups = ""
        if layer.groups > 1:
            groups = f" (groups={layer.groups}: each filter sees {cg} of {shape_in[-1]} channels)"
        return f"{text} = {per} per filter × {layer.filters} = {per * layer.filters:,}{groups}"
    if isinstance(layer, L.Dense):
        per = shape_in[0] + layer.use_bias
        text = f"{shape_in[0]} + 1 = {per}" if layer.use_bias else f"{per}"
        return f"{text} per unit × {layer.units} = {per * layer.units:,}"
    if layer.num_params:
        return " + ".join(f"{key} {dims(p.shape)}" for key, p in layer.params.items()) + f" = {layer.num_params:,}"
    return "none"


def _flops(layer, shape_in, shape_out) -> tuple[int | None, str]:
    """(FLOPs per image, the product that gives them)."""
    n_out = int(np.prod(shape_out))
    outs = product_text(shape_out)
    if isinstance(layer, L.Conv2D):
        kh, kw = layer.kernel_size
        cg = shape_in[-1] // layer.groups
        per = 2 * kh * kw * cg
        return per * n_out, f"2·{kh}·{kw}·{cg} per output × {outs} outputs = {per * n_out:,}"
    if isinstance(layer, L.Dense):
        per = 2 * shape_in[0]
        return per * n_out, f"2·{shape_in[0]} per output × {n_out} outputs = {per * n_out:,}"
    if isinstance(layer, L.MaxPool2D):
        kh, kw = layer.kernel_size
        per = kh * kw - 1
        return per * n_out, f"{kh}·{kw} − 1 = {per} comparisons per output × {outs} = {per * n_out:,}"
    if isinstance(layer, L.AvgPool2D):
        kh, kw = layer.kernel_size
        per = kh * kw
        return per * n_out, f"{kh}·{kw} − 1 adds + 1 multiply = {per} per output × {outs} = {per * n_out:,}"
    per_value = {L.ReLU: (1, "1 comparison"), L.Tanh: (1, "1 tanh"),
                 L.Sigmoid: (3, "exp, add, divide: 3"), L.Softmax: (4, "subtract max, exp, sum, divide: 4")}
    for cls, (per, what) in per_value.items():
        if type(layer) is cls:
            return per * n_out, f"{what} per value × {outs} = {per * n_out:,}"
    if isinstance(layer, (L.GlobalAvgPool2D, L.GlobalMaxPool2D)) and len(shape_in) == 3:
        h, w = shape_in[:2]
        what = "adds + 1 multiply" if isinstance(layer, L.GlobalAvgPool2D) else "comparisons"
        per = h * w if isinstance(layer, L.GlobalAvgPool2D) else h * w - 1
        return per * n_out, f"{h}·{w}{' − 1' if per < h * w else ''} {what} per output × {n_out} = {per * n_out:,}"
    if isinstance(layer, L.Flatten):
        return 0, "none (a reshape)"
    return None, "not counted for this layer type"


def _receptive(layer, shape_in, shape_out, rf, jump):
    """(new field, new jump, text) given the field and jump before the layer; a field of
    None means "not known", WHOLE means every pixel of the image."""
    if rf is WHOLE or isinstance(layer, (L.Flatten, L.Dense)):
        return WHOLE, None, "the whole image: Flatten and Dense mix every position"
    if rf is None:
        return None, None, "not worked out after a layer of unknown geometry"
    if isinstance(layer, (L.Conv2D, L.MaxPool2D, L.AvgPool2D)):
        kernel, stride, _, dilation = _window(layer, shape_in)
        new_rf, new_jump, parts = [], [], []
        for r, j, k, s, d in zip(rf, jump, kernel, stride, dilation):
            ek = effective_size(k, d)
            new_rf.append(r + (ek - 1) * j)
            new_jump.append(j * s)
            parts.append(f"{r} + ({ek} − 1)·{j} = {new_rf[-1]}, jump {j}·{s} = {new_jump[-1]}")
        lines = _axes_text(parts)
        text = "; ".join(lines) + f": each output sees {dims(new_rf)} input pixels"
        return tuple(new_rf), tuple(new_jump), text
    if len(shape_out) == 3 and tuple(shape_out[:2]) == tuple(shape_in[:2]) and not hasattr(layer, "kernel_size"):
        return rf, jump, f"unchanged ({dims(rf)}): the layer works value by value"
    return None, None, "not worked out for this layer type"


WHOLE = "whole"  # the receptive field once Flatten/Dense have mixed every position


def analyse(model) -> list[LayerArithmetic]:
    """The arithmetic of every layer of a built Sequential, in order."""
    if not model.built:
        raise ValueError("arithmetic: the model is not built; give it an input_shape")
    itemsize = model.dtype.itemsize
    shape = tuple(model.input_shape)
    spatial = len(shape) == 3  # a receptive field does not depend on the image size
    rf, jump = ((1, 1), (1, 1)) if spatial else (None, None)
    rows = []
    for layer in model.layers:
        out = tuple(layer.output_shape)
        row = LayerArithmetic(layer.index, repr(layer), shape, out, params=layer.num_params)
        if isinstance(layer, (L.Conv2D, L.MaxPool2D, L.AvgPool2D)) and None not in shape[:2]:
            kernel, stride, pad, dilation = _window(layer, shape)
            row.size = _axes_text([size_text(n, k, s, p, d)
                                   for n, k, s, p, d in zip(shape[:2], kernel, stride, pad, dilation)])
        elif isinstance(layer, L.Flatten) and None not in shape:
            row.size = [f"{product_text(shape)} = {out[0]:,}"]
        row.params_text = _params_text(layer, shape)
        if None not in out:
            row.flops, row.flops_text = _flops(layer, shape, out)
            values = int(np.prod(out))
            row.memory = values * itemsize
            count = f"{values:,}" if len(out) == 1 else f"{product_text(out)} = {values:,}"
            row.memory_text = f"{count} values × {itemsize} B = {human_bytes(row.memory)}"
        else:
            row.flops, row.flops_text = None, "depends on the image size"
        if spatial:
            rf, jump, row.receptive_text = _receptive(layer, shape, out, rf, jump)
            row.receptive_field = tuple(model.input_shape[:2]) if rf is WHOLE else rf
            row.jump = jump
        rows.append(row)
        shape = out
    return rows


def human_bytes(n: float) -> str:
    """1536 → "1.5 KiB"."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} GiB"  # pragma: no cover - the loop returns


def _table(rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def fmt(r):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    rule = "  ".join("=" * w for w in widths)
    return [fmt(rows[0]), rule, *map(fmt, rows[1:]), rule]


def report(model) -> str:
    """The Keras-like table with receptive field, FLOPs and memory columns, then the
    arithmetic of every layer that changes a shape or holds parameters."""
    rows = analyse(model)
    itemsize = model.dtype.itemsize
    table = [("#", "Layer", "Output shape", "Params", "Receptive field", "FLOPs", "Memory")]
    in_values = int(np.prod(model.input_shape)) if None not in model.input_shape else 0
    table.append(("", "Input", str((None, *model.input_shape)), "", "1×1" if len(model.input_shape) == 3 else "",
                  "", human_bytes(in_values * itemsize) if in_values else "?"))
    for r in rows:
        rf = "" if r.receptive_field is None else dims(r.receptive_field)
        table.append((str(r.index), r.layer, str((None, *r.output_shape)), f"{r.params:,}", rf,
                      "?" if r.flops is None else f"{r.flops:,}", human_bytes(r.memory) if r.memory else "?"))
    lines = _table(table, right={0, 3, 5, 6})
    total_params = sum(r.params for r in rows)
    flops = sum(r.flops or 0 for r in rows)
    unknown = " (some layers not counted)" if any(r.flops is None for r in rows) else ""
    memory = in_values * itemsize + sum(r.memory for r in rows)
    flops_text = (f"{flops:,} FLOPs per image{unknown}" if any(r.flops is not None for r in rows)
                  else "FLOPs per image depend on the image size (give --input-shape)")
    lines.append(f"Total params: {total_params:,} ({human_bytes(total_params * itemsize)}); "
                 f"{flops_text}; activations {human_bytes(memory)} per image")
    lines += ["", "Arithmetic, layer by layer (one image; a multiply-add counts as 2 FLOPs)"]
    for r in rows:
        if not (r.size or r.params):
            continue
        lines.append(f"{r.index:>2} {r.layer}   {dims(r.input_shape)} → {dims(r.output_shape)}")
        for label, texts in (("output size", r.size), ("parameters", [r.params_text] if r.params else []),
                             ("receptive", [r.receptive_text] if r.receptive_text else []),
                             ("FLOPs", [r.flops_text]), ("memory", [r.memory_text] if r.memory_text else [])):
            for i, text in enumerate(texts):
                lines.append(f"     {label if i == 0 else '':<12} {text}")
    return "\n".join(lines)
