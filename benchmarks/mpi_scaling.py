"""Data-parallel training over MPI ranks on this machine: images/s against the number of ranks.

    python -m benchmarks.mpi_scaling [--rounds 3] [--json out.json]

It starts every configuration as its own job (`mpiexec -n P python -m
benchmarks.mpi_scaling --rank-run ...`, or one plain process), taking turns over the
rounds, and prints the medians. Every configuration trains on the same global batch
(LeNet-5 256 images, the 4-conv net 128), so the ranks split one batch:

    1 process, 1 thread       the baseline (one core)
    1 process, 2 threads      striate's own shards (worker processes) on both cores, no MPI
    2 ranks × 1 thread        one rank per core
    2 ranks × 2 threads       ranks × striate's shards: 4 busy processes on 2 cores
    4 ranks × 1 thread        4 ranks on 2 cores (oversubscribed)
    PyTorch, 2 threads        the reference, the same batch and network, one process

"Allreduce" is the time rank 0 spends in the gradient Allreduce per step (its wait for
the slowest rank included); "alone" is one Allreduce of the gradient's size with the
ranks lined up first (the message's own cost). The ratio is images/s over PyTorch's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCH = {"lenet5": 256, "convnet4": 128}
STEPS = {"lenet5": 30, "convnet4": 8}
CONFIGS = [  # (name, ranks (0: no MPI), threads per rank)
    ("1 process, 1 thread", 0, 1),
    ("1 process, 2 threads", 0, 2),
    ("2 ranks × 1 thread", 2, 1),
    ("2 ranks × 2 threads", 2, 2),
    ("4 ranks × 1 thread (oversubscribed)", 4, 1),
    ("PyTorch, 2 threads", -1, 2),
]


def rank_run(name: str, distributed: bool) -> dict:
    """Time training steps on one global batch; rank 0's figures (every rank's, alone)."""
    import striate

    model = striate.models.get(name, seed=0)
    model.compile(striate.optim.SGD(lr=0.01, momentum=0.9), "cross_entropy")
    rng = np.random.default_rng(0)
    batch, steps = BATCH[name], STEPS[name]
    x = rng.normal(size=(batch, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=batch)
    comm = None
    if distributed:
        from striate.engine import mpi

        comm = mpi.world()
        model.distribute(comm)
        comm.synchronize(model)  # as fit does first
    for _ in range(2):
        model.train_step(x, y)
    if comm is not None:
        comm.barrier()
        reduce_before, calls_before = comm.allreduce_seconds, comm.allreduce_calls
    began = time.perf_counter()
    for _ in range(steps):
        model.train_step(x, y)
    seconds = time.perf_counter() - began
    result = {"images_per_s": batch * steps / seconds, "step_ms": 1000 * seconds / steps, "allreduce_ms": 0.0}
    result["allreduce_alone_ms"] = 0.0
    if comm is not None:
        calls = comm.allreduce_calls - calls_before
        result["allreduce_ms"] = 1000 * (comm.allreduce_seconds - reduce_before) / calls
        result["allreduce_alone_ms"] = 1000 * allreduce_alone(comm, model.count_params())
    return result


def allreduce_alone(comm, count: int, repeats: int = 20) -> float:
    """The median seconds of an Allreduce of `count` float32 values, the ranks lined up first:
    the cost of the message itself, without waiting for a slower rank."""
    buf, times = np.ones(count, np.float32), []
    for _ in range(repeats):
        comm.barrier()
        began = time.perf_counter()
        comm.comm.Allreduce(comm.MPI.IN_PLACE, buf, op=comm.MPI.SUM)
        times.append(time.perf_counter() - began)
    return float(np.median(times))


def torch_run(name: str, threads: int) -> dict:
    import torch

    from .workloads import torch_model

    torch.set_num_threads(threads)
    net = torch_model(name)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    batch, steps = BATCH[name], STEPS[name]
    x = torch.from_numpy(rng.normal(size=(batch, 1, 28, 28)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 10, size=batch))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    began = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - began
    return {"images_per_s": batch * steps / seconds, "step_ms": 1000 * seconds / steps, "allreduce_ms": 0.0,
            "allreduce_alone_ms": 0.0}


def mpiexec() -> str:
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else "mpiexec"


def launch(name: str, ranks: int, threads: int) -> dict:
    env = {**os.environ, "STRIATE_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "OPENBLAS_NUM_THREADS": str(threads)}
    command = [sys.executable, "-m", "benchmarks.mpi_scaling", "--rank-run", name, "--threads", str(threads)]
    if ranks == -1:
        command.append("--torch")
    elif ranks > 0:
        command = [mpiexec(), "-n", str(ranks), *command, "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--models", nargs="+", default=list(BATCH), choices=list(BATCH))
    p.add_argument("--json", help="write the medians here (benchmarks/mpi_cost_model.py --measured reads them)")
    p.add_argument("--rank-run", choices=list(BATCH), help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.rank_run:
        result = (torch_run(args.rank_run, args.threads) if args.torch
                  else rank_run(args.rank_run, args.distributed))
        from striate.engine import launcher

        if not args.distributed or launcher.launched_rank() == 0:
            print(json.dumps(result), flush=True)
        return
    runs: dict = {(m, c[0]): [] for m in args.models for c in CONFIGS}
    for _ in range(args.rounds):  # interleaved: every configuration once per round
        for name in args.models:
            for label, ranks, threads in CONFIGS:
                try:
                    runs[name, label].append(launch(name, ranks, threads))
                except RuntimeError as e:
                    if ranks != -1:
                        raise
                    print(f"(PyTorch skipped: {str(e).splitlines()[-1]})", file=sys.stderr)
    table = {}
    print("| model, global batch | configuration | images/s | vs 1 thread | vs PyTorch | step ms "
          "| Allreduce ms/step | alone ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.models:
        medians = {label: {k: statistics.median(r[k] for r in runs[name, label]) for k in runs[name, label][0]}
                   for label, _, _ in CONFIGS if runs[name, label]}
        base, ref = medians["1 process, 1 thread"], medians.get("PyTorch, 2 threads")
        for label, m in medians.items():
            versus = f"{m['images_per_s'] / ref['images_per_s']:.2f}×" if ref else "–"
            print(f"| {name}, {BATCH[name]} | {label} | {m['images_per_s']:,.0f} | "
                  f"{m['images_per_s'] / base['images_per_s']:.2f}× | {versus} | {m['step_ms']:.1f} | "
                  f"{m['allreduce_ms']:.2f} | {m['allreduce_alone_ms']:.2f} |")
        table[name] = {"batch": BATCH[name], **medians}
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
