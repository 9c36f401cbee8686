"""Batch normalisation over every axis but the last (the channels), forward and backward.

Training, for each channel over the m = N·H·W values of the batch (N values for (N, C)):

    μ = mean(x),  σ² = mean((x − μ)²)          (biased: divided by m)
    x̂ = (x − μ) / √(σ² + eps),   y = γ·x̂ + β

and the running statistics move towards the batch's, as in PyTorch:

    running_mean ← (1 − momentum)·running_mean + momentum·μ
    running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)   (unbiased)

Evaluation uses the running statistics in place of μ and σ². The backward pass of the
training forward, with g = dy·γ (the gradient reaching x̂):

    dx = (1/√(σ² + eps)) · (g − mean(g) − x̂·mean(g·x̂))
    dγ = Σ dy·x̂,   dβ = Σ dy
"""

from __future__ import annotations

import numpy as np


def batch_norm_train(x, gamma, beta, eps: float):
    """Normalise with the batch's statistics. x (..., C) → (y, mean, var, (x̂, 1/√(σ²+eps)))."""
    flat = x.reshape(-1, x.shape[-1])  # (m, C)
    mean = flat.mean(axis=0)
    centred = x - mean
    var = np.square(centred).reshape(flat.shape).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = centred * inv_std
    y = xhat * gamma + beta if gamma is not None else xhat
    return y, mean, var, (xhat, inv_std)


def batch_norm_eval(x, gamma, beta, running_mean, running_var, eps: float):
    """Normalise with the running statistics: one scale and shift per channel."""
    scale = 1.0 / np.sqrt(running_var + eps)
    shift = -running_mean * scale
    if gamma is not None:
        scale, shift = scale * gamma, shift * gamma + beta
    return x * scale.astype(x.dtype) + shift.astype(x.dtype)


def update_running(running, batch_value, momentum: float) -> None:
    """running ← (1 − momentum)·running + momentum·batch_value, in place."""
    running *= 1 - momentum
    running += momentum * batch_value


def batch_norm_backward(dy, cache, gamma):
    """dy (..., C) → (dx, dgamma (C,), dbeta (C,)); dgamma and dbeta are None without gamma."""
    xhat, inv_std = cache
    c = dy.shape[-1]
    g = dy * gamma if gamma is not None else dy
    g_flat, xhat_flat = g.reshape(-1, c), xhat.reshape(-1, c)
    mean_g = g_flat.mean(axis=0)
    mean_gx = np.einsum("mc,mc->c", g_flat, xhat_flat) / len(g_flat)
    dx = (g - mean_g - xhat * mean_gx) * inv_std
    if gamma is None:
        return dx, None, None
    dy_flat = dy.reshape(-1, c)
    return dx, np.einsum("mc,mc->c", dy_flat, xhat_flat), dy_flat.sum(axis=0)
