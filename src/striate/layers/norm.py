"""Batch normalisation: BatchNorm2D for feature maps, BatchNorm1D for feature vectors.

Where the numbers live:
    params["gamma"], params["beta"]          (C,) trained: scale and shift (affine=True)
    state["running_mean"], state["running_var"]  (C,) not trained: updated by every
        training forward, used by evaluation; optimizers never touch layer.state, and a
        model file keeps it next to the params.

A frozen replica (Layer.replica(frozen=True)) normalises with the running statistics, as
inference does, and keeps x̂ for a backward pass in which they are constants.

A training batch split into shards (self.shard_group, layers/sharding.py) is normalised
with the whole batch's statistics, as PyTorch's SyncBatchNorm does across devices: each
shard adds its partial sums to the others' (three all-reduces per step of (C,) or (2C,)
values), so the output, every gradient and the running statistics are the whole
batch's, up to float rounding::

    forward:   Σx ─all-reduce─► μ;   Σ(x − μ)² ─all-reduce─► σ²;   y from μ, σ² (each shard)
    backward:  [Σdy, Σdy·x̂] ─all-reduce─► dx (each shard);  grads: the shard's own sums,
               which the engine adds up like every other layer's
    running statistics: updated once, by shard 0 (the model's own layer), from μ and σ²
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import init
from ..functional import norm as F
from .base import Layer


class _BatchNorm(Layer):
    """Normalise each channel (the last axis) over every other axis; see functional/norm.py."""

    ranks: tuple[int, ...] = ()  # accepted lengths of input_shape
    shape_text = ""

    def __init__(self, momentum=0.1, eps=1e-5, affine=True):
        super().__init__()
        owner = type(self).__name__
        if not isinstance(momentum, numbers.Real) or isinstance(momentum, bool) or not 0 <= momentum <= 1:
            raise ValueError(f"{owner}: momentum must be a number in [0, 1] (PyTorch's convention: the weight "
                             f"of the new batch), got {momentum!r}")
        if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not eps > 0:
            raise ValueError(f"{owner}: eps must be a positive number, got {eps!r}")
        if not isinstance(affine, bool):
            raise ValueError(f"{owner}: affine must be True or False, got {affine!r}")
        self.momentum, self.eps, self.affine = float(momentum), float(eps), affine
        # Every array comes from an initialiser, as Conv2D's kernel does, so that whoever
        # builds the layer (a model file being loaded) can hand in arrays of its own.
        self.gamma_init, self.beta_init = init.ones, init.zeros  # the identity map of x̂
        self.running_mean_init, self.running_var_init = init.zeros, init.ones
        self._remember(momentum=momentum, eps=eps, affine=affine)

    def _build(self, input_shape, rng):
        if len(input_shape) not in self.ranks or input_shape[-1] is None:
            raise ValueError(f"{self.name} expected input_shape {self.shape_text} with C known, got {input_shape}")
        c = input_shape[-1]
        if self.affine:
            self.params["gamma"] = self.gamma_init((c,), rng)
            self.params["beta"] = self.beta_init((c,), rng)
        self.state["running_mean"] = self.running_mean_init((c,), rng)
        self.state["running_var"] = self.running_var_init((c,), rng)
        return input_shape

    def forward(self, x, training=False):
        x = self._check_input(x)  # (N, ..., C)
        gamma, beta = self.params.get("gamma"), self.params.get("beta")
        if not training or self.frozen:
            running_mean, running_var = self.state["running_mean"], self.state["running_var"]
            y = F.batch_norm_eval(x, gamma, beta, running_mean, running_var, self.eps)
            if not training:
                return self._keep(False, y, None)
            # frozen: the running statistics are constants, so x̂ = (x − μ)/√(σ²+eps) is
            # all the backward pass needs (see F.batch_norm_eval_backward)
            inv_std = (1.0 / np.sqrt(running_var + self.eps)).astype(x.dtype)
            return self._keep(True, y, ((x - running_mean) * inv_std, inv_std))
        m = x.size // x.shape[-1]  # values per channel
        if m < 2:
            raise ValueError(f"{self.name}: training needs more than one value per channel, got input of "
                             f"shape {x.shape}")
        group = self.shard_group
        if group is None:
            y, mean, var, cache = F.batch_norm_train(x, gamma, beta, self.eps)
        else:  # one shard of the batch: the statistics of all of them
            m = m // len(x) * group.total
            (total,) = group.allreduce_sum([F.batch_norm_sum(x)])
            mean = total / m
            centred, square_sum = F.batch_norm_centre(x, mean)
            (total,) = group.allreduce_sum([square_sum])
            var = total / m
            y, cache = F.batch_norm_normalise(centred, var, gamma, beta, self.eps)
            if group.index != 0:  # the model's own layer (shard 0) keeps the running statistics
                return self._keep(True, y, cache)
        F.update_running(self.state["running_mean"], mean, self.momentum)
        F.update_running(self.state["running_var"], var * (m / (m - 1)), self.momentum)  # unbiased
        return self._keep(True, y, cache)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        gamma, group = self.params.get("gamma"), self.shard_group
        if self.frozen:
            dx, dgamma, dbeta = F.batch_norm_eval_backward(dy, self._cache, gamma)
        elif group is None:
            dx, dgamma, dbeta = F.batch_norm_backward(dy, self._cache, gamma)
        else:  # dx needs the whole batch's sums; the grads are this shard's part of them
            dbeta, dgamma = F.batch_norm_grad_sums(dy, self._cache)
            totals = group.allreduce_sum([dbeta, dgamma])
            m = dy.size // dy.shape[-1] // len(dy) * group.total
            dx = F.batch_norm_input_grad(dy, self._cache, gamma, *totals, m)
        if self.affine:
            self.grads["gamma"], self.grads["beta"] = dgamma, dbeta
        return dx


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of feature maps (Ioffe & Szegedy 2015), as torch.nn.BatchNorm2d.

    Training normalises each channel with the mean and variance of its N·H·W values in
    the batch, then scales by gamma and shifts by beta; evaluation uses running averages
    of those statistics instead (see functional/norm.py for the formulas).

    Args:
        momentum: weight of the new batch in the running averages (PyTorch's convention;
            Keras's momentum 0.99 is this 0.01).
        eps: added to the variance before the square root.
        affine: learn gamma and beta.

    Shape: input (N, H, W, C) → output of the same shape.
    Parameters: gamma (C,), beta (C,). State: running_mean (C,), running_var (C,).
    """

    ranks = (3,)
    shape_text = "(H, W, C)"


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of feature vectors (after Dense) or of 1-D signals, as torch.nn.BatchNorm1d.

    Channels come last: (N, C) after a Dense layer, (N, L, C) after a Conv1D (PyTorch's
    (N, C, L) transposed). Args, parameters and state as BatchNorm2D.
    """

    ranks = (1, 2)
    shape_text = "(C,) or (L, C)"
