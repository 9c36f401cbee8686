"""ONNX nodes for the convolutions: Conv2D, Conv1D, Conv2DTranspose, and padding modes.

    striate                          ONNX
    Conv2D                           Conv      kernel (kh, kw, C/g, F) → W (F, C/g, kh, kw); pads [t, l, b, r]
    Conv2D(padding_mode=...)         Pad (mode reflect / edge / wrap), then Conv without padding
    Conv1D                           Conv on (N, C, L): kernel (k, C/g, F) → W (F, C/g, k); pads [l, r]
    Conv2DTranspose                  ConvTranspose: kernel (kh, kw, F/g, C) → W (C, F/g, kh, kw),
                                     pads [t, l, b, r], output_padding as it is

Pad's "wrap" (circular) mode arrived in opset 19; for older opsets a circular pad is
spelled out: Slice the last `before` rows and the first `after` rows, Concat them
around the tensor, one axis at a time.
"""

from __future__ import annotations

from ..functional.shapes import resolve_padding
from .graph import Graph

PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
INT64_MAX = 2**63 - 1


def pads_attr(padding) -> list[int]:
    """((top, bottom), (left, right)) → ONNX's [top, left, bottom, right]."""
    (t, b), (l, r) = padding
    return [t, l, b, r]


def pad_by_mode(g: Graph, mode: str, pads, name) -> None:
    """Pad the spatial axes (2, 3, ... of a channels-first tensor) by [(before, after), ...]."""
    if not any(before or after for before, after in pads):
        return
    if mode == "circular" and g.opset < 19:
        for k, (before, after) in enumerate(pads):
            axis, source = 2 + k, g.current
            parts = [g.slice(source, f"{name}/wrap{k}.before", axis, -before, INT64_MAX)] if before else []
            parts.append(source)
            if after:
                parts.append(g.slice(source, f"{name}/wrap{k}.after", axis, 0, after))
            if len(parts) > 1:
                g.current = g.node("Concat", parts, f"{name}/wrap{k}", axis=axis)
        return
    begins, ends = [0, 0, *(b for b, _ in pads)], [0, 0, *(a for _, a in pads)]
    g.add("Pad", name, g.ints(f"{name}.pads", begins + ends), mode=PAD_MODES[mode])


def conv2d(g: Graph, layer, name):
    h, w, _ = layer.input_shape  # "same" resolves without the size; other paddings do not need it
    pad = resolve_padding(layer.padding, (h, w), layer.kernel_size, layer.stride, layer.dilation, layer.name)
    g.to("NCHW", name)
    if layer.padding_mode != "zeros":  # pad with the mode's values, then convolve without padding
        pad_by_mode(g, layer.padding_mode, pad, f"{name}/pad")
        pad = ((0, 0), (0, 0))
    inputs = [g.weight(f"{name}.kernel", layer.params["kernel"].transpose(3, 2, 0, 1))]
    if layer.use_bias:
        inputs.append(g.weight(f"{name}.bias", layer.params["bias"]))
    g.add("Conv", name, *inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
          pads=pads_attr(pad), dilations=list(layer.dilation), group=layer.groups)


def conv1d(g: Graph, layer, name):
    length, _ = layer.input_shape
    k, s, d = layer.kernel_size, layer.stride, layer.dilation
    pad = resolve_padding(layer.padding, (1, length), (1, k), (1, s), (1, d), layer.name)[1]  # (left, right)
    g.to("NCHW", name)  # (N, C, L)
    if layer.padding_mode != "zeros":
        pad_by_mode(g, layer.padding_mode, [pad], f"{name}/pad")
        pad = (0, 0)
    inputs = [g.weight(f"{name}.kernel", layer.params["kernel"].transpose(2, 1, 0))]
    if layer.use_bias:
        inputs.append(g.weight(f"{name}.bias", layer.params["bias"]))
    g.add("Conv", name, *inputs, kernel_shape=[k], strides=[s], pads=list(pad), dilations=[d], group=layer.groups)


def conv2d_transpose(g: Graph, layer, name):
    g.to("NCHW", name)
    inputs = [g.weight(f"{name}.kernel", layer.params["kernel"].transpose(3, 2, 0, 1))]
    if layer.use_bias:
        inputs.append(g.weight(f"{name}.bias", layer.params["bias"]))
    g.add("ConvTranspose", name, *inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
          pads=pads_attr(layer.padding), output_padding=list(layer.output_padding),
          dilations=list(layer.dilation), group=layer.groups)
