"""Loss kernels: value and gradient with respect to the prediction.

Cross-entropy is fused with softmax: from logits z and integer labels t,

    loss = mean_n( −log softmax(z_n)[t_n] )      dz = (softmax(z) − onehot(t)) / N

which is both cheaper and more stable than a softmax layer followed by a log.

Label smoothing ε (Szegedy et al. 2016, PyTorch's `label_smoothing`) trains towards
q = (1 − ε)·onehot(t) + ε/K instead of the one-hot row: loss = mean_n(−Σ_k q_nk log p_nk),
dz = (p − q) / N. The model is no longer pushed to ever larger logits for the right class.
"""

from __future__ import annotations

import numpy as np

from .activation import log_softmax


def softmax_cross_entropy(logits, target, label_smoothing: float = 0.0):
    """logits (N, K); target int labels (N,) or probabilities (N, K); label_smoothing ε in
    [0, 1] mixes ε/K into every target row. → (loss, grad)."""
    n, k = logits.shape
    eps = label_smoothing
    logp = log_softmax(logits)
    if target.ndim == 1:
        picked = logp[np.arange(n), target]
        # −Σ_k q_k log p_k with q = (1 − ε)·onehot + ε/K
        loss = -((1 - eps) * picked + (eps / k) * logp.sum(axis=1)).mean() if eps else -picked.mean()
        grad = np.exp(logp)
        if eps:
            grad -= eps / k
        grad[np.arange(n), target] -= 1 - eps
    else:
        if eps:
            target = (1 - eps) * target + eps / k
        loss = -(target * logp).sum(axis=1).mean()
        grad = np.exp(logp) - target
    grad /= n
    return float(loss), grad.astype(logits.dtype, copy=False)


def mse(pred, target):
    """Mean of (pred − target)² over every element. → (loss, grad)."""
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff
