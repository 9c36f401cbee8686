"""A worker process of engine/workers.py: `python -m striate.engine.worker_main`.

Reads messages on stdin and answers each on stdout (framing in arena.py)::

    {"op": "map", "path": p, "size": s}            map a new arena, drop the old     → {}
    {"op": "model", "model": arch, "loss": entry,  build the layers (registry); their
     "dtypes": [...],                              params and state are views of the
     "tensors": [[i, key, offset, shape], ...],    arena                             → {}
     "grads": [[i, key, offset, shape], ...]}
    {"op": "train", "x": [offset, shape, dtype],   the shard step (shard.py) with its
     "y": [offset, shape, dtype], "out": offset,   loss gradient times weight; grads
     "weight": w, "reference": r,                  and output into the arena         → {"loss": v}
     "shard": [index, start, stop, n],             its layers meet the parent's shard 0
     "sync": [offset, bytes],                      through a WorkerGroup (shard_groups.py):
     "drawn": [[layer position, offset, shape,       at each all-reduce, sums into the sync
                dtype], ...]}                      room, then                         → {"sync": shapes}
                                                   and wait for the totals there:
    {"op": "totals"}                               (read only inside a train step)    → the step goes on
    {"op": "predict", "x": [...], "out": offset,   forward; output into the arena    → {}
     "reference": r}
    {"op": "status"}                               what the worker runs on           → {"reference": r}

"reference" is the parent's striate.functional.switch setting, applied before the shard
runs: the worker computes on the reference ops exactly when the parent does.

A failure answers {"error": "..."} and the worker carries on; it exits when stdin closes,
also while it waits for totals (the parent gave up on the step).
The worker never imports the model or io: it builds its layers from the registry.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

from .. import registry
from ..functional.switch import reference_path, set_reference
from . import arena as A
from . import shard_groups as G
from . import ufunc_buffer
from .shard import step
from .steps import Plan, forward


class Worker:
    def __init__(self, stdin=None, stdout=None):
        self.stdin, self.stdout = stdin, stdout  # the pipes, for the all-reduces of a train step
        self.mem = None
        self.plan = self.loss = None
        self.grads = []

    def handle(self, msg: dict) -> dict:
        op = msg.get("op")
        if op == "map":
            self.mem, self.plan = A.Arena(msg["size"], msg["path"]), None
            return {}
        if op == "model":
            return self.build(msg)
        if op == "status":
            return {"reference": reference_path()}
        if self.plan is None:
            raise RuntimeError(f"{op!r} before a model was sent")
        if "reference" in msg:
            set_reference(bool(msg["reference"]))
        x = self.mem.view(*msg["x"])
        if op not in ("predict", "train"):
            raise ValueError(f"unknown op {op!r}")
        with ufunc_buffer.scope():  # as in the parent's own shard
            if op == "predict":
                out = forward(self.plan.steps, x, False)
            else:
                with G.attached(self.plan.layers, self.group(msg)):
                    value, out = step(self.plan.steps, self.loss, x, self.mem.view(*msg["y"]), msg.get("weight", 1.0))
                for (i, key), view in self.grads:
                    np.copyto(view, self.plan.layers[i].grads[key])
        np.copyto(self.mem.view(msg["out"], out.shape, out.dtype), out)
        return {"loss": float(value)} if op == "train" else {}

    def group(self, msg: dict) -> G.WorkerGroup | None:
        """The shard group of a train message's shard; None for a batch of its own."""
        if "shard" not in msg:
            return None
        drawn = {position: self.mem.view(offset, shape, dtype) for position, offset, shape, dtype in msg["drawn"]}
        return G.WorkerGroup(*msg["shard"], drawn, self.mem, tuple(msg["sync"]), self.stdin, self.stdout)

    def build(self, msg: dict) -> dict:
        """The layers of the architecture, built in order as Sequential builds them."""
        arch = msg["model"]
        layers = [registry.create(e, registry.LAYERS, "layer", "worker") for e in arch["layers"]]
        shape, rng, dtype = tuple(arch["input_shape"]), np.random.default_rng(0), np.dtype(arch["dtype"])
        for index, (layer, layer_dtype) in enumerate(zip(layers, msg["dtypes"]), 1):
            layer.index = index
            shape = layer.build(shape, rng, dtype)
            if layer.dtype != np.dtype(layer_dtype):  # converted with layer.astype since the model was built
                layer.astype(np.dtype(layer_dtype))
        for i, key, offset, shape, dtype in msg["tensors"]:
            layer = layers[i]
            store = layer.params if key in layer.params else layer.state
            store[key] = self.mem.view(offset, shape, dtype)
        self.grads = [((i, key), self.mem.view(offset, shape, dtype)) for i, key, offset, shape, dtype in msg["grads"]]
        self.plan = Plan(layers)
        self.loss = registry.create(msg["loss"], registry.LOSSES, "loss", "worker") if msg["loss"] else None
        return {}


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes the pipe
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may go down the message pipe
    worker = Worker(stdin, stdout)
    while (msg := A.receive(stdin)) is not None:
        try:
            reply = worker.handle(msg)
        except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
            reply = {"error": f"{type(e).__name__}: {e}"}
        try:
            A.send(stdout, reply)
        except OSError:  # the parent is gone (Ctrl-C, a kill): nobody is left to answer
            os._exit(0)  # at once and quietly, without flushing into the broken pipe again


if __name__ == "__main__":
    main()
