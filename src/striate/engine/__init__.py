"""How a stack of layers runs: steps, the shard step, threads, worker processes, inference.

    steps.py        the layers as steps; two fused steps (ReLU in place, ReLU after pooling)
    shard.py        the one shard step: forward, loss, backward weighted by the shard's share
    threads.py      shards on threads, replicas of the layers, BLAS kept single-threaded
    workers.py      shards in worker processes; worker_main.py is the worker's side
    arena.py        the shared memory and the JSON messages between the two
    inference.py    inference in pieces of a few MB of activations
    mpi.py          data-parallel training over MPI ranks: broadcast, the gradient Allreduce
    launcher.py     what mpiexec tells a process (job size, rank, ranks on this machine)
    runner.py       Runner: one model's steps, and the choice between whole, threads, workers

What each imports, one way only (the model sits above all of it)::

    runner       ──► inference, threads, workers, shard, steps
    mpi          ──► threads, launcher (and mpi4py, imported on first use)
    inference    ──► threads, workers, steps
    workers      ──► threads, shard, steps, arena, striate.registry, functional.switch
    worker_main  ──► shard, steps, arena, striate.registry, functional.switch  (its own process)
    threads      ──► steps
    shard        ──► steps
    steps        ──► layers (ReLU, Conv2D, Dense, MaxPool2D), functional.activation
    arena        ──► numpy only
    launcher     ──► os only

Never the model or io, not even inside a function: a model reaches the engine as an
argument (anything with layers, loss, dtype, input_shape, ...), and a worker rebuilds its
layers and loss from the registry's JSON descriptions.
"""

from . import arena, inference, runner, shard, steps, threads, workers
from .runner import Runner

__all__ = ["Runner", "arena", "inference", "runner", "shard", "steps", "threads", "workers"]
