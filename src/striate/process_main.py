"""A worker process of striate.processes: `python -m striate.process_main`.

Reads messages on stdin and answers each on stdout (framing in arena.py)::

    {"op": "map", "path": p, "size": s}            map a new arena, drop the old     → {}
    {"op": "model", "model": arch, "loss": entry,  build the model; its params and
     "tensors": [[i, key, offset, shape], ...],    state are views of the arena      → {}
     "grads": [[i, key, offset, shape], ...]}
    {"op": "train", "x": [offset, shape, dtype],   forward, loss, backward of the loss
     "y": [offset, shape, dtype], "out": offset,   times weight; grads and output
     "weight": w}                                  into the arena                    → {"loss": v}
    {"op": "predict", "x": [...], "out": offset}   forward; output into the arena    → {}

A failure answers {"error": "..."} and the worker carries on; it exits when stdin closes.
"""

from __future__ import annotations

import signal
import sys

import numpy as np

from . import arena as A
from . import passes
from .io import registry
from .model import Sequential


class Worker:
    def __init__(self):
        self.mem = None
        self.model = self.loss = None
        self.grads = []

    def handle(self, msg: dict) -> dict:
        op = msg.get("op")
        if op == "map":
            self.mem, self.model = A.Arena(msg["size"], msg["path"]), None
            return {}
        if op == "model":
            return self.build(msg)
        if self.model is None:
            raise RuntimeError(f"{op!r} before a model was sent")
        x = self.mem.view(*msg["x"])
        if op == "predict":
            out = passes.forward(self.model.layers, x, False)
        elif op == "train":
            out = passes.forward(self.model.layers, x, True)
            value = self.loss.forward(out, self.mem.view(*msg["y"]))
            passes.backward(self.model.layers, self.loss.backward() * msg.get("weight", 1.0))
            for (i, key), view in self.grads:
                np.copyto(view, self.model.layers[i].grads[key])
        else:
            raise ValueError(f"unknown op {op!r}")
        np.copyto(self.mem.view(msg["out"], out.shape, out.dtype), out)
        return {"loss": float(value)} if op == "train" else {}

    def build(self, msg: dict) -> dict:
        arch = msg["model"]
        layers = [registry.create(e, registry.LAYERS, "layer", "worker") for e in arch["layers"]]
        model = Sequential(layers, input_shape=tuple(arch["input_shape"]), seed=0, dtype=np.dtype(arch["dtype"]))
        for layer, dtype in zip(model.layers, msg["dtypes"]):
            if layer.dtype != np.dtype(dtype):  # converted with layer.astype since the model was built
                layer.astype(np.dtype(dtype))
        for i, key, offset, shape, dtype in msg["tensors"]:
            layer = model.layers[i]
            store = layer.params if key in layer.params else layer.state
            store[key] = self.mem.view(offset, shape, dtype)
        self.grads = [((i, key), self.mem.view(offset, shape, dtype)) for i, key, offset, shape, dtype in msg["grads"]]
        self.model = model
        self.loss = registry.create(msg["loss"], registry.LOSSES, "loss", "worker") if msg["loss"] else None
        return {}


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it closes the pipe
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may go down the message pipe
    worker = Worker()
    while (msg := A.receive(stdin)) is not None:
        try:
            reply = worker.handle(msg)
        except Exception as e:  # noqa: BLE001 - reported to the parent, which raises it
            reply = {"error": f"{type(e).__name__}: {e}"}
        A.send(stdout, reply)


if __name__ == "__main__":
    main()
