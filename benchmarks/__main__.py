"""striate against PyTorch on this machine: training and inference speed, peak memory.

    python -m benchmarks [--threads 2] [--repeats 5] [--json results.json] [--quick]

Every row runs striate and PyTorch side by side in this one process, taking turns
(interleaved repeats) so that a noisy machine slows both alike; the figures are
medians. The ratio is striate ÷ PyTorch for throughput (higher is better) and for
latency and memory (lower is better). "% peak" is the FLOP rate reached as a fraction
of this machine's float32 matrix-product rate, measured first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

from . import runners
from .workloads import flops_per_image, gemm_peak, striate_model

SETTLE = 0.3  # seconds between timed jobs, for spinning worker threads to go to sleep

# (label, kind, model, batch, images per timed repeat)
ROWS = [
    ("LeNet-5 train, batch 64", "train", "lenet5", 64, 64 * 30),
    ("LeNet-5 train, batch 256", "train", "lenet5", 256, 256 * 10),
    ("4-conv train, batch 64", "train", "convnet4", 64, 64 * 4),
    ("4-conv train, batch 256", "train", "convnet4", 256, 256 * 2),
    ("fashion train, batch 64", "train", "fashion", 64, 64 * 4),  # BatchNorm and Dropout
    ("fashion train, batch 128", "train", "fashion", 128, 128 * 2),
    ("LeNet-5 predict, batch 1", "latency", "lenet5", 1, 300),
    ("LeNet-5 predict, batch 1000", "predict", "lenet5", 1000, 5000),
    ("4-conv predict, batch 1000", "predict", "convnet4", 1000, 1000),
]


def set_threads(n: int):
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    try:
        import torch

        torch.set_num_threads(n)
        return torch
    except ImportError:
        print("note: PyTorch is not installed: striate is timed alone (pip install torch==2.13.0)")
        return None


def make_jobs(kind, model, batch, n, have_torch, rng):
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n)
    jobs = {}
    if kind == "train":
        jobs["striate"] = runners.striate_train(model, batch, x, y)
        if have_torch:
            jobs["pytorch"] = runners.torch_train(model, batch, x, y)
    else:
        jobs["striate"] = runners.striate_predict(model, batch, x)
        if have_torch:
            jobs["pytorch"] = runners.torch_predict(model, batch, x)
    return jobs


def time_row(jobs, n, repeats):
    """Images per second of each job: one warm-up, then `repeats` interleaved timings.

    Between jobs the process sleeps a moment: both libraries' thread pools spin-wait
    after their work, and a pool still spinning would steal a core from the other.
    """
    for job in jobs.values():
        job()
    rates = {k: [] for k in jobs}
    for _ in range(repeats):
        for key, job in jobs.items():
            time.sleep(SETTLE)
            t = time.perf_counter()
            job()
            rates[key].append(n / (time.perf_counter() - t))
    return {k: statistics.median(v) for k, v in rates.items()}


def memory_row(threads, images):
    out = {}
    for lib in ("striate", "pytorch"):
        cmd = [sys.executable, "-m", "benchmarks.memory", "--lib", lib, "--images", str(images),
               "--threads", str(threads)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode == 0:
            out[lib] = json.loads(res.stdout.strip().splitlines()[-1])["peak_rss_mib"]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--memory-images", type=int, default=10000)
    p.add_argument("--only", help="run only rows whose label contains this text")
    p.add_argument("--json", help="write the table as JSON to this file")
    a = p.parse_args(argv)
    torch = set_threads(a.threads)
    peak = gemm_peak(a.threads)
    print(f"float32 GEMM peak, {a.threads} threads: {peak:.0f} GFLOP/s")
    header = f"{'workload':<30}{'striate':>12}{'PyTorch':>12}{'ratio':>8}{'% peak':>9}{'PT % peak':>10}"
    print(header + "\n" + "-" * len(header))
    rng = np.random.default_rng(0)
    rows = []
    for label, kind, model, batch, n in ROWS:
        if a.only and a.only not in label:
            continue
        med = time_row(make_jobs(kind, model, batch, n, torch is not None, rng), n, a.repeats)
        flops = flops_per_image(striate_model(model), training=kind == "train")
        row = {"workload": label, "kind": kind, "model": model, "batch": batch}
        for lib, rate in med.items():
            row[lib] = 1e6 / rate if kind == "latency" else rate
            row[f"{lib}_pct_peak"] = 100 * flops * rate / (peak * 1e9)
        unit = "µs" if kind == "latency" else "img/s"
        if "pytorch" in row:
            row["ratio"] = row["striate"] / row["pytorch"]
        rows.append(row)
        fmt = lambda v: f"{v:>10,.0f} " if v is not None else f"{'-':>11}"  # noqa: E731
        ratio = f"{row['ratio']:>7.2f}x" if "ratio" in row else f"{'-':>8}"
        pt_pct = f"{row.get('pytorch_pct_peak', 0):>9.1f}%" if "pytorch" in row else f"{'-':>10}"
        print(f"{label + ' (' + unit + ')':<30}{fmt(row['striate'])}{fmt(row.get('pytorch'))}{ratio}"
              f"{row['striate_pct_peak']:>8.1f}%{pt_pct}", flush=True)
    if not a.only or "memory" in a.only:
        mem = memory_row(a.threads, a.memory_images)
        row = {"workload": f"4-conv train epoch peak RSS ({a.memory_images} images)", "kind": "memory", **mem}
        if len(mem) == 2:
            row["ratio"] = mem["striate"] / mem["pytorch"]
        rows.append(row)
        ratio = f"{row['ratio']:>7.2f}x" if "ratio" in row else f"{'-':>8}"
        print(f"{'4-conv epoch peak RSS (MiB)':<30}{mem.get('striate', 0):>11,.0f} "
              f"{mem.get('pytorch', 0):>11,.0f} {ratio}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "repeats": a.repeats, "gemm_peak_gflops": peak, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
