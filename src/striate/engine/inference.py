"""Inference in pieces: a large batch runs a few MB of activations at a time.

A batch of 1000 through a wide layer makes activations of 100 MB: fresh memory that the
system must map page by page, on every call, and far out of cache. In pieces, the same
few MB are reused (4-conv net: 3,300 → 4,100 images/s)::

    x (n images) ──split into equal pieces of about piece_size()──► piece 1, piece 2, ...
    each piece   ──shards (worker processes, else threads), or whole──► its outputs
    outputs      ──concatenated──► y

A piece holds about INFER_BYTES of the largest activation per thread; pieces are of
equal size, so no small remainder is left to run on its own.
"""

from __future__ import annotations

import math

import numpy as np

from . import threads, workers
from .steps import forward

INFER_BYTES = 8 << 20  # largest activation of one inference piece, per thread


def piece_size(layers, dtype, max_bytes: int = INFER_BYTES) -> int:
    """Images per inference piece: about max_bytes of the largest activation per thread
    (at least MIN_SHARD images per thread); unbounded when a size is not fixed."""
    shapes = [layer.output_shape for layer in layers if layer.output_shape]
    if not shapes or any(None in shape for shape in shapes):
        return 1 << 62  # variable-size input: one piece
    per_image = max(math.prod(shape) for shape in shapes) * np.dtype(dtype).itemsize
    return max(max_bytes // per_image, threads.MIN_SHARD) * threads.get_threads()


def infer(runner, x, piece: int | None = None):
    """The model's output for x (inference), a piece of `piece` images at a time (default
    piece_size), each piece split into shards when it is large. `runner` is the model's
    engine.runner.Runner."""
    if len(x) < 2 * threads.MIN_SHARD:
        return infer_piece(runner, x)
    if piece is None:
        piece = piece_size(runner.model.layers, runner.model.dtype)
    pieces = -(-len(x) // piece)
    if pieces <= 1:
        return infer_piece(runner, x)
    return np.concatenate([infer_piece(runner, part) for part in np.array_split(x, pieces)])


def infer_piece(runner, x):
    """One piece: whole, or shard 0 here and the others in worker processes or threads."""
    model = runner.model
    ranges = threads.shards_for(model.layers, len(x), training=False)
    if ranges is None:
        with threads.small_batch(len(x)):
            return forward(runner.steps(), x, False)
    own = runner.steps()
    if (out := workers.predict(model, own, x, ranges)) is not None:
        return out
    plans = [own] + [r.steps for r in threads.replicas(model.layers, len(ranges) - 1, runner.replicas)]
    parts = threads.run(lambda i: forward(plans[i], x[ranges[i][0] : ranges[i][1]], False), len(ranges))
    return np.concatenate(parts)
