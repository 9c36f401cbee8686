"""Loss kernels: value and gradient with respect to the prediction.

Cross-entropy is fused with softmax: from logits z and integer labels t,

    loss = mean_n( −log softmax(z_n)[t_n] )      dz = (softmax(z) − onehot(t)) / N

which is both cheaper and more stable than a softmax layer followed by a log.
"""

from __future__ import annotations

import numpy as np

from .activation import log_softmax


def softmax_cross_entropy(logits, target):
    """logits (N, K); target int labels (N,) or probabilities (N, K). → (loss, grad)."""
    n = logits.shape[0]
    logp = log_softmax(logits)
    if target.ndim == 1:
        loss = -logp[np.arange(n), target].mean()
        grad = np.exp(logp)
        grad[np.arange(n), target] -= 1
    else:
        loss = -(target * logp).sum(axis=1).mean()
        grad = np.exp(logp) - target
    grad /= n
    return float(loss), grad.astype(logits.dtype, copy=False)


def mse(pred, target):
    """Mean of (pred − target)² over every element. → (loss, grad)."""
    diff = pred - target
    return float(np.mean(diff * diff)), (2.0 / diff.size) * diff
