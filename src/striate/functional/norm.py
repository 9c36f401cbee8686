"""Batch normalisation over every axis but the last (the channels), forward and backward.

Training, for each channel over the m = N·H·W values of the batch (N values for (N, C)):

    μ = mean(x),  σ² = mean((x − μ)²)          (biased: divided by m)
    x̂ = (x − μ) / √(σ² + eps),   y = γ·x̂ + β

and the running statistics move towards the batch's, as in PyTorch:

    running_mean ← (1 − momentum)·running_mean + momentum·μ
    running_var  ← (1 − momentum)·running_var  + momentum·σ²·m/(m − 1)   (unbiased)

Evaluation uses the running statistics in place of μ and σ². The backward pass of the
training forward, with sums over the m values of each channel:

    dβ = Σ dy,   dγ = Σ dy·x̂
    dx = γ/√(σ² + eps) · (dy − dβ/m − x̂·dγ/m)

(the two subtracted terms are what flows back through μ and σ²). Channel sums are
products with a vector of ones: one BLAS call, no temporary array.

Each pass is written as partial sums, then a step that uses their totals, so that a
batch split into shards (striate.engine) can add the shards' sums in between and
normalise every shard with the whole batch's statistics::

    forward:   Σx                      (batch_norm_sum)        → μ = total / m
               x − μ, Σ(x − μ)²        (batch_norm_centre)     → σ² = total / m
               x̂, y                    (batch_norm_normalise)
    backward:  Σdy, Σdy·x̂              (batch_norm_grad_sums)  → dβ, dγ
               dx                      (batch_norm_input_grad)

Run whole, the totals are the sums themselves (batch_norm_train, batch_norm_backward).
"""

from __future__ import annotations

import numpy as np


def channel_sum(a2d):
    """Σ over the rows of a2d (m, C) → (C,), as a product with a vector of ones: one BLAS
    call, several times faster than a sum down the strided columns."""
    return np.ones(len(a2d), a2d.dtype) @ a2d


def channel_dot(a2d, b2d):
    """Σ over the rows of a·b, both (m, C) → (C,), without forming a·b."""
    return np.einsum("mc,mc->c", a2d, b2d)


def batch_norm_train(x, gamma, beta, eps: float):
    """Normalise with the batch's statistics. x (..., C) → (y, mean, var, (x̂, 1/√(σ²+eps)))."""
    m = x.size // x.shape[-1]
    mean = batch_norm_sum(x) / m
    centred, square_sum = batch_norm_centre(x, mean)
    var = square_sum / m
    y, cache = batch_norm_normalise(centred, var, gamma, beta, eps)
    return y, mean, var, cache


def batch_norm_sum(x):
    """Σx over every axis but the channels: x (..., C) → (C,)."""
    return channel_sum(x.reshape(-1, x.shape[-1]))


def batch_norm_centre(x, mean):
    """x − μ (a new array) and Σ(x − μ)² (C,), given the batch's mean μ (C,).

    Two passes (the mean first, then the squares about it), not Σx² − m·μ², whose
    difference of two large numbers loses the variance's digits in float32."""
    centred = x - mean
    c = x.shape[-1]
    return centred, channel_dot(centred.reshape(-1, c), centred.reshape(-1, c))


def batch_norm_normalise(centred, var, gamma, beta, eps: float):
    """x̂ = (x − μ)/√(σ² + eps) in place of `centred`, y = γ·x̂ + β → (y, (x̂, 1/√(σ²+eps)))."""
    inv_std = (1.0 / np.sqrt(var + eps)).astype(centred.dtype)
    xhat = centred
    xhat *= inv_std
    if gamma is None:
        return xhat.copy(), (xhat, inv_std)
    y = xhat * gamma
    y += beta
    return y, (xhat, inv_std)


def batch_norm_eval(x, gamma, beta, running_mean, running_var, eps: float):
    """Normalise with the running statistics: one scale and shift per channel."""
    scale = 1.0 / np.sqrt(running_var + eps)
    shift = -running_mean * scale
    if gamma is not None:
        scale, shift = scale * gamma, shift * gamma + beta
    y = x * scale.astype(x.dtype)
    y += shift.astype(x.dtype)
    return y


def update_running(running, batch_value, momentum: float) -> None:
    """running ← (1 − momentum)·running + momentum·batch_value, in place."""
    running *= 1 - momentum
    running += momentum * batch_value


def batch_norm_backward(dy, cache, gamma):
    """dy (..., C) → (dx, dgamma (C,), dbeta (C,)); dgamma and dbeta are None without gamma."""
    dbeta, dgamma = batch_norm_grad_sums(dy, cache)
    dx = batch_norm_input_grad(dy, cache, gamma, dbeta, dgamma, dy.size // dy.shape[-1])
    return (dx, None, None) if gamma is None else (dx, dgamma, dbeta)


def batch_norm_grad_sums(dy, cache):
    """dβ = Σdy and dγ = Σdy·x̂ over every axis but the channels, each (C,)."""
    xhat, _ = cache
    c = dy.shape[-1]
    return channel_sum(dy.reshape(-1, c)), channel_dot(dy.reshape(-1, c), xhat.reshape(-1, c))


def batch_norm_input_grad(dy, cache, gamma, dbeta, dgamma, m: int):
    """dx = γ/√(σ² + eps) · (dy − dβ/m − x̂·dγ/m), with dβ and dγ the sums over all m
    values of each channel (the whole batch's, when it runs in shards)."""
    xhat, inv_std = cache
    k = inv_std * gamma if gamma is not None else inv_std
    dx = xhat * (-k * dgamma / m)
    dx += dy * k
    dx -= k * dbeta / m
    return dx


def batch_norm_eval_backward(dy, cache, gamma):
    """The backward pass of evaluation, where μ and σ² are the running statistics, constants:
    y = γ·x̂ + β with x̂ = (x − μ)·inv_std gives dx = dy·γ·inv_std, dγ = Σ dy·x̂, dβ = Σ dy.
    cache (x̂, inv_std); dgamma and dbeta are None without gamma."""
    xhat, inv_std = cache
    c = dy.shape[-1]
    dbeta = channel_sum(dy.reshape(-1, c))
    dgamma = channel_dot(dy.reshape(-1, c), xhat.reshape(-1, c))
    dx = dy * (inv_std * gamma if gamma is not None else inv_std)
    return (dx, None, None) if gamma is None else (dx, dgamma, dbeta)
