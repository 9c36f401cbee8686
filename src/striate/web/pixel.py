"""One output value of one layer written out with the real numbers of an image.

    explain(model, acts, layer, (row, col, channel))   # a map's pixel
    explain(model, acts, layer, (unit,))               # a vector's value

Returns a dict the page shows as a table; every kind carries "value", the layer's own
activation at that place (acts[layer]), and "computed", the same value recomputed here in
float64 from the numbers shown, so that anyone can check the two agree:

    conv     y[i,j,f] = Σ_r Σ_c Σ_ch x[i·s+r·d−p, j·s+c·d−p, ch] · k[r,c,ch,f] + b[f]
    max      y[i,j,c] = max of the window (the winner: its place)
    avg      y[i,j,c] = Σ window / (kh·kw)   (padded zeros count, as in PyTorch)
    dense    y[u] = Σ_i x[i] · W[i,u] + b[u]  (the largest products listed, all of them summed)
    act      y = f(x), value by value (ReLU: max(x, 0))
    norm     y = γ·(x − running mean)/√(running var + ε) + β   (BatchNorm as it predicts)
    global   y[c] = the mean (or max) of map c
    softmax  p[k] = e^(z[k] − max z) / Σ e^(z − max z)
Any other layer gives its input values at that place and its output ("other").
"""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from .. import layers as L
from ..functional import padding as P

TOP_TERMS = 16  # products a dense unit lists (largest |x·w| first); the sum uses them all
ELEMENTWISE = {L.ReLU: "max(x, 0)", L.LeakyReLU: "x if x > 0 else slope·x", L.ELU: "x if x > 0 else α·(eᶻ − 1)",
               L.GELU: "x·Φ(x)", L.Sigmoid: "1 / (1 + e^(−x))", L.Tanh: "tanh(x)"}


def _list(a) -> list:
    return np.asarray(a, np.float64).tolist()


def explain(model, acts, layer_index: int, where: tuple) -> dict:
    """The arithmetic of acts[layer_index][where] (layer_index 1-based, as in `striate summary`)."""
    layer = model.layers[layer_index - 1]
    x, y = acts[layer_index - 1], acts[layer_index]
    out = {"layer": layer_index, "name": layer.name, "where": list(where), "value": float(y[where])}
    if isinstance(layer, L.Conv2D):
        out.update(_conv(layer, x, *where))
    elif isinstance(layer, (L.MaxPool2D, L.AvgPool2D)):
        out.update(_pool(layer, x, *where))
    elif isinstance(layer, L.Dense):
        out.update(_dense(layer, x, *where))
    elif type(layer) in ELEMENTWISE and x.shape == y.shape:
        v = float(x[where])
        out.update(kind="activation", formula=ELEMENTWISE[type(layer)], x=v, computed=_activation(layer, v))
    elif isinstance(layer, L.Softmax) and y.ndim == 1:
        out.update(softmax(x, where[0]))
    elif isinstance(layer, (L.BatchNorm1D, L.BatchNorm2D)):
        out.update(_batch_norm(layer, x, where))
    elif isinstance(layer, (L.GlobalAvgPool2D, L.GlobalMaxPool2D)) and x.ndim == 3:
        plane = x[:, :, where[-1]].astype(np.float64)
        is_max = isinstance(layer, L.GlobalMaxPool2D)
        out.update(kind="global", mode="max" if is_max else "mean", channel=int(where[-1]), count=int(plane.size),
                   sum=float(plane.sum()), computed=float(plane.max() if is_max else plane.mean()))
    elif isinstance(layer, L.Flatten):
        source = np.unravel_index(where[0], x.shape)
        out.update(kind="flatten", source=[int(s) for s in source], computed=float(x[source]))
    else:
        out.update(kind="other", note=f"{type(layer).__name__}: the output value, without its arithmetic written out")
    return out


def _activation(layer, v: float) -> float:
    """f(v) for one value, in float64, by the formula the layer's docstring gives."""
    if isinstance(layer, L.ReLU):
        return max(v, 0.0)
    if isinstance(layer, L.LeakyReLU):
        return v if v > 0 else layer.negative_slope * v
    if isinstance(layer, L.ELU):
        return v if v > 0 else layer.alpha * math.expm1(v)
    if isinstance(layer, L.Sigmoid):
        return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
    if isinstance(layer, L.Tanh):
        return math.tanh(v)
    if layer.approximate == "tanh":  # GELU
        return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))
    return 0.5 * v * (1 + math.erf(v / math.sqrt(2)))


def _batch_norm(layer, x, where) -> dict:
    """y = γ·(x − running mean)/√(running var + ε) + β: the model as it predicts."""
    c = where[-1]
    mean, var = float(layer.state["running_mean"][c]), float(layer.state["running_var"][c])
    gamma = float(layer.params["gamma"][c]) if layer.affine else 1.0
    beta = float(layer.params["beta"][c]) if layer.affine else 0.0
    v = float(x[where])
    return {"kind": "batchnorm", "x": v, "mean": mean, "var": var, "eps": layer.eps, "gamma": gamma, "beta": beta,
            "computed": gamma * (v - mean) / math.sqrt(var + layer.eps) + beta}


def _padded(layer, x) -> tuple[np.ndarray, int, int]:
    """x (H, W, C) padded as the layer pads it, and the top/left padding."""
    (pt, pb), (pl, pr) = layer.resolved_padding
    if layer.padding_mode == "zeros":
        return np.pad(x, ((pt, pb), (pl, pr), (0, 0))), pt, pl
    return P.pad2d(x[None], ((pt, pb), (pl, pr)), layer.padding_mode)[0], pt, pl


def _conv(layer, x, i: int, j: int, f: int) -> dict:
    """y[i,j,f]: the window of x (H, W, C) the filter reads (its group's channels), × the kernel, Σ, + bias."""
    xp, pt, pl = _padded(layer, x)
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel_size, layer.stride, layer.dilation
    per_group = layer.filters // layer.groups
    cg = layer.params["kernel"].shape[2]
    first = (f // per_group) * cg  # the input channels this filter's group reads
    rows = i * sh + dh * np.arange(kh)
    cols = j * sw + dw * np.arange(kw)
    window = xp[np.ix_(rows, cols, np.arange(first, first + cg))].astype(np.float64)  # (kh, kw, Cg)
    kernel = layer.params["kernel"][:, :, :, f].astype(np.float64)  # (kh, kw, Cg)
    products = window * kernel
    bias = float(layer.params["bias"][f]) if layer.use_bias else 0.0
    total = float(products.sum())
    return {"kind": "conv", "rows": (rows - pt).tolist(), "cols": (cols - pl).tolist(),
            "channels": list(range(first, first + cg)), "padding_mode": layer.padding_mode,
            "window": _list(window), "kernel": _list(kernel), "products": _list(products),
            "channel_sums": _list(products.sum(axis=(0, 1))), "sum": total, "bias": bias,
            "computed": total + bias}


def _pool(layer, x, i: int, j: int, c: int) -> dict:
    """y[i,j,c]: the window of channel c (padding shown as None), its max and the winner's place, or its mean."""
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    (pt, pb), (pl, pr) = layer.padding
    is_max = isinstance(layer, L.MaxPool2D)
    fill = -np.inf if is_max else 0.0
    xp = np.pad(x[:, :, c].astype(np.float64), ((pt, pb), (pl, pr)), constant_values=fill)
    window = xp[i * sh : i * sh + kh, j * sw : j * sw + kw]
    rows = list(range(i * sh - pt, i * sh - pt + kh))
    cols = list(range(j * sw - pl, j * sw - pl + kw))
    shown = np.where(np.isfinite(window), window, np.nan)
    out = {"kind": "max" if is_max else "avg", "rows": rows, "cols": cols, "channel": c,
           "window": [[None if np.isnan(v) else v for v in row] for row in shown.tolist()]}
    if is_max:
        r, s = np.unravel_index(int(np.argmax(window)), window.shape)
        out.update(winner=[rows[r], cols[s]], computed=float(window[r, s]))
    else:
        out.update(sum=float(window.sum()), count=kh * kw, computed=float(window.sum() / (kh * kw)))
    return out


def _dense(layer, x, u: int) -> dict:
    """y[u] = Σ_i x[i]·W[i,u] + b[u]: the TOP_TERMS largest products listed, the rest summed."""
    v = np.asarray(x, np.float64).ravel()
    w = layer.params["kernel"][:, u].astype(np.float64)
    products = v * w
    top = np.argsort(-np.abs(products), kind="stable")[:TOP_TERMS]
    bias = float(layer.params["bias"][u]) if layer.use_bias else 0.0
    total = float(products.sum())
    return {"kind": "dense", "inputs": int(v.size), "terms": [{"i": int(k), "x": float(v[k]), "w": float(w[k]),
                                                               "product": float(products[k])} for k in top],
            "rest": float(total - products[top].sum()), "sum": total, "bias": bias, "computed": total + bias}


def softmax(z, k: int) -> dict:
    """p[k] of softmax(z), written out: the shift by the max, the exponentials, their sum."""
    z = np.asarray(z, np.float64).ravel()
    e = np.exp(z - z.max())
    return {"kind": "softmax", "logits": _list(z), "max": float(z.max()), "exps": _list(e),
            "total": float(e.sum()), "index": int(k), "computed": float(e[k] / e.sum()),
            "probabilities": _list(F.softmax(z))}
