"""The one shard step: forward, loss, backward of part of a batch.

Every training path runs it — a batch run whole (weight 1), each thread's shard
(engine/threads.py), each worker process's shard (engine/worker_main.py)::

    x_i, y_i ──forward──► out_i ──loss──► L_i
                                           │ dL_i/dout_i · w_i,  w_i = n_i / n
    grads_i ◄──────────backward────────────┘

The batch's loss is the mean over its n samples, L = Σ (n_i / n) · L_i, so its gradient
is Σ (n_i / n) · ∂L_i: with each shard's loss gradient weighted by its share w_i before
the backward pass, the shards' gradients simply add up to the whole batch's.
"""

from __future__ import annotations

from .steps import backward, forward


def step(steps, loss, x, y, weight: float = 1.0):
    """Forward x through `steps`, the loss against y, backward of the loss gradient times
    `weight` (the first layer's input gradient is skipped). Fills the layers' grads;
    returns (the shard's unweighted loss, its output)."""
    out = forward(steps, x, True)
    value = loss.forward(out, y)
    dy = loss.backward()
    backward(steps, dy if weight == 1.0 else dy * weight, input_grad=False)
    return value, out
