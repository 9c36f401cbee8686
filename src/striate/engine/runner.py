"""Runner: how one model's layers run — its steps, and whole batches, threads or workers.

A Sequential owns one Runner and hands it every pass::

    forward / backward      the steps of the layers (steps.py), planned once and again
                            whenever the model's list of layers changes
    train(x, y)             the shard step (shard.py) of the batch: whole when small,
                            else shard 0 here and the others in worker processes
                            (workers.py) or, failing those, on threads (threads.py);
                            BatchNorm and Dropout compute the whole batch's numbers in
                            every shard through a shard group (shard_groups.py)
    infer(x)                inference in pieces (inference.py)
    input_gradient(x, y)    d loss / d x with the model's inference behaviour, on frozen
                            replicas of the layers: the model itself is left untouched

With a communicator (`distribute(comm)`, engine/mpi.py) train and infer take the global
batch and split it over the MPI ranks; train_local and infer_local are this rank's part.

Each pass (but the inference of a single image) runs with NumPy's default ufunc buffer
size even when the caller set another (ufunc_buffer.py); the caller's setting is back when
it returns.

`model` is a Sequential (anything with layers, loss, built, input_shape, output_shape,
dtype and seed): the engine never imports the model module.
"""

from __future__ import annotations

import copy
import os

import numpy as np

from . import inference, shard_groups, threads, ufunc_buffer, workers
from .shard import step
from .steps import Plan, backward, forward, plan

BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")  # a BLAS thread count given


class Runner:
    def __init__(self, model):
        self.model = model
        self.plan: Plan | None = None
        self.replicas: list[Plan] = []  # the thread replicas of the layers, one per extra shard
        self.comm = None  # an engine.mpi.Communicator when the batches are split over MPI ranks

    def distribute(self, comm) -> None:
        """Split every training and inference batch over the ranks of `comm` (None: run here).

        The ranks on one machine share its cores: each rank's own shards (threads or worker
        processes) get cores // ranks unless STRIATE_NUM_THREADS says otherwise, and its BLAS
        as many threads as its shards unless OMP_NUM_THREADS or OPENBLAS_NUM_THREADS is set.
        """
        self.comm = comm
        if comm is not None:
            comm.abort_on_error()
            if not os.environ.get("STRIATE_NUM_THREADS"):
                threads.set_threads(comm.threads_per_rank())
            if not any(os.environ.get(name) for name in BLAS_THREADS):
                threads.limit_blas(threads.get_threads())

    def steps(self) -> list:
        """The steps of the model's layers as they are now."""
        current = self.plan
        if current is None or not current.matches(self.model.layers):
            current = self.plan = Plan(self.model.layers)
        return current.steps

    def forward(self, x, training: bool):
        with ufunc_buffer.scope():
            return forward(self.steps(), x, training)

    def backward(self, dy, input_grad: bool = True):
        with ufunc_buffer.scope():
            return backward(self.steps(), dy, input_grad)

    def shards(self, n: int, training: bool):
        """The (start, stop) shards of a batch of n, or None when it runs whole."""
        return threads.shards_for(self.model.layers, n, training)

    def train(self, x, y):
        """The shard step of a batch (forward, loss, backward): fills the layers' grads
        with the batch's gradient and returns (loss, output). Over MPI ranks, x and y are
        the global batch, and every rank gets its gradient, loss and output."""
        if self.comm is not None:
            return self.comm.train(self, x, y)
        return self.train_local(x, y)

    def train_local(self, x, y):
        """train(x, y) in this process alone."""
        with ufunc_buffer.scope():
            return self._train_local(x, y)

    def _train_local(self, x, y):
        model = self.model
        ranges = self.shards(len(x), training=True)
        if ranges is None:
            with threads.small_batch(len(x)):
                return step(self.steps(), model.loss, x, y)
        drawn = shard_groups.draw(model.layers, len(x))  # once, whichever way the shards run
        if (done := workers.train(model, self.steps(), x, y, ranges, drawn)) is not None:
            return done
        reps = threads.replicas(model.layers, len(ranges) - 1, self.replicas)
        plans = [self.steps()] + [r.steps for r in reps]
        layers = [model.layers] + [r.layers for r in reps]
        losses = [model.loss] + [copy.copy(model.loss) for _ in reps]
        weights = [(e - s) / len(x) for s, e in ranges]
        rendezvous = shard_groups.Rendezvous(len(ranges))

        def shard(i):
            s, e = ranges[i]
            group = shard_groups.ThreadGroup(i, s, e, len(x), shard_groups.rows(drawn, s, e), rendezvous)
            with shard_groups.attached(layers[i], group):
                try:
                    return step(plans[i], losses[i], x[s:e], y[s:e], weights[i])
                except BaseException:
                    rendezvous.abort()  # nobody waits for this shard's sums
                    raise

        results = threads.run(shard, len(ranges), together=True)
        for r in reps:
            threads.add_grads(model.layers, r.layers)
        loss = sum(w * value for w, (value, _) in zip(weights, results))
        return loss, np.concatenate([out for _, out in results])

    def infer(self, x, piece: int | None = None):
        if self.comm is not None and len(x) > 1:
            return self.comm.infer(self, x)
        return self.infer_local(x, piece)

    def infer_local(self, x, piece: int | None = None):
        if len(x) == 1:  # one image's arrays are small; the scope (up to 3 µs) would be 5 % of its time
            return inference.infer(self, x, piece)
        with ufunc_buffer.scope():
            return inference.infer(self, x, piece)

    def input_gradient(self, x, y, loss):
        """d loss(model(x), y) / d x with inference behaviour (running statistics, no
        dropout), run whole on frozen replicas (Layer.replica(frozen=True)): the model's
        weights, grads, state, caches and generators are left as they were."""
        twins = plan([layer.replica(frozen=True) for layer in self.model.layers])
        loss = copy.copy(loss)
        with ufunc_buffer.scope():
            loss.forward(forward(twins, x, True), y)
            return backward(twins, loss.backward(), input_grad=True)
