"""How a stack of layers runs: steps, the shard step, threads, worker processes, inference.

    steps.py        the layers as steps; two fused steps (ReLU in place, ReLU after pooling)
    shard.py        the one shard step: forward, loss, backward weighted by the shard's share
    threads.py      shards on threads, replicas of the layers, BLAS kept single-threaded
    workers.py      shards in worker processes; worker_main.py is the worker's side
    arena.py        the shared memory and the JSON messages between the two
    inference.py    inference in pieces of a few MB of activations
    runner.py       Runner: one model's steps, and the choice between whole, threads, workers

    model (Sequential) ──► runner ──► inference ──► workers ──► shard ──► steps ──► layers
                                  └──► threads ───┘           arena    registry, losses

The engine imports layers, losses, the registry and functional's switch; never the model
or io (a model reaches it as an argument).
"""

from . import arena, inference, runner, shard, steps, threads, workers
from .runner import Runner

__all__ = ["Runner", "arena", "inference", "runner", "shard", "steps", "threads", "workers"]
