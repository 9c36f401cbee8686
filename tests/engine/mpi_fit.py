"""A small training run for tests/engine/test_mpi.py, started under `mpiexec -n P` (or alone).

Each rank writes its final weights and state, and its predictions for 7 samples, to
OUT/rank<r>.npz (no pickle), and the training history and evaluation to OUT/history<r>.json.

    python mpi_fit.py OUT [--distributed] [--model plain|bn] [--dtype float32|float64] [--samples N]
                          [--checkpoint FILE] [--resume] [--talk] [--nudge]
                          [--fail-at STEP --fail-rank R --fail-how raise|kill|hang]

--checkpoint may hold {rank} (the launcher's rank), to give each rank a file of its own;
--talk adds a verbose LearningRateScheduler and an EarlyStopping that stops after epoch 2;
--nudge a callback that changes a weight on rank 1 alone at the end of epoch 1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

import striate
from striate import layers as L
from striate import optim
from striate.callbacks import Callback, EarlyStopping, LearningRateScheduler
from striate.engine import mpi


def build(kind: str, dtype: str = "float32"):
    if kind == "plain":
        stack = [L.Conv2D(4, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(16), L.ReLU(), L.Dense(5)]
    else:  # per-rank batch statistics and per-rank dropout masks
        stack = [L.Conv2D(4, 3), L.BatchNorm2D(), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dropout(0.3),
                 L.Dense(5)]
    model = striate.Sequential(stack, input_shape=(10, 10, 1), seed=3, dtype=dtype)
    model.compile(optim.SGD(lr=0.1, momentum=0.9), "cross_entropy", ["accuracy"])
    return model


class Nudge(Callback):
    """A callback that acts on one rank only: rank 1 adds 1e-3 to a weight after epoch 1."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0 and self.model.rank == 1:
            self.model.layers[0].params["kernel"][0, 0, 0, 0] += 1e-3


class FailAt(Callback):
    """Make rank `rank` raise, die (SIGKILL) or hang after optimizer step `step`."""

    def __init__(self, step: int, rank: int, how: str):
        self.step, self.rank, self.how, self.done = step, rank, how, 0

    def on_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done == self.step and self.model.rank == self.rank:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "hang":
                time.sleep(600)
            raise RuntimeError(f"a test failure on purpose after step {self.step}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out", type=Path)
    p.add_argument("--distributed", action="store_true")
    p.add_argument("--model", choices=["plain", "bn"], default="plain")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--samples", type=int, default=90)
    p.add_argument("--talk", action="store_true")
    p.add_argument("--nudge", action="store_true")
    p.add_argument("--checkpoint")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--fail-at", type=int)
    p.add_argument("--fail-rank", type=int, default=1)
    p.add_argument("--fail-how", choices=["raise", "kill", "hang"], default="raise")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, 10, 10, 1)).astype(args.dtype)
    y = rng.integers(0, 5, size=args.samples)
    model = build(args.model, args.dtype)
    callbacks = [FailAt(args.fail_at, args.fail_rank, args.fail_how)] if args.fail_at else []
    if args.talk:  # min_delta: no epoch counts as better, so the second one stops the run
        callbacks += [LearningRateScheduler(lambda epoch, lr: lr / 2, verbose=1),
                      EarlyStopping(monitor="val_loss", min_delta=100.0, verbose=1)]
    if args.nudge:
        callbacks.append(Nudge())
    checkpoint = args.checkpoint and args.checkpoint.format(rank=mpi.launched_rank())
    history = model.fit(x, y, epochs=3, batch_size=30, validation_data=(x[:25], y[:25]), verbose=0,
                        callbacks=callbacks, checkpoint=checkpoint, checkpoint_every=2,
                        resume=True if args.resume else None, distributed=args.distributed)
    rank = model.rank
    arrays = {f"{i}.{k}": v for i, layer in enumerate(model.layers)
              for k, v in {**layer.params, **layer.state}.items()}
    arrays["predict"] = model.predict(x[:7], batch_size=3)  # pieces of 3, 3 and 1: split, some ranks empty, whole
    np.savez(args.out / f"rank{rank}.npz", **arrays)
    evaluation = model.evaluate(x, y, batch_size=40)
    (args.out / f"history{rank}.json").write_text(json.dumps({"history": history.history, "evaluate": evaluation}))
    print(f"rank {rank} done", file=sys.stderr)


if __name__ == "__main__":
    main()
