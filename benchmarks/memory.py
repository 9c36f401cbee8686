"""Peak memory (RSS) of one training epoch, one library per fresh process.

    python -m benchmarks.memory --lib striate|pytorch [--model convnet4] [--images 10000] [--batch 64]

Prints one JSON line: {"lib", "model", "peak_rss_mib", "baseline_rss_mib", "workers_rss_mib"}.
The baseline is the peak after importing the library and making the data, before
training. striate's worker processes (striate.engine.workers) count too: peak_rss_mib adds
each worker's peak to this process's, an upper bound (the peaks need not coincide, and
the shared arena is counted on both sides).
"""

from __future__ import annotations

import argparse
import json
import resource

import numpy as np


def peak_rss_mib(pid="self") -> float:
    """A process's peak resident memory. VmHWM (Linux) is reset by exec, unlike
    getrusage's ru_maxrss, which a child inherits from its parent."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True, choices=["striate", "pytorch"])
    p.add_argument("--model", default="convnet4")
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.random((a.images, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, a.images)
    from .workloads import striate_model, torch_model

    if a.lib == "striate":
        from threadpoolctl import threadpool_limits

        import striate

        threadpool_limits(a.threads)
        model = striate_model(a.model)
        model.compile(striate.optim.SGD(0.01, momentum=0.9), "cross_entropy")
        base = peak_rss_mib()
        model.fit(x, y, epochs=1, batch_size=a.batch, verbose=0)
        workers = sum(peak_rss_mib(w.proc.pid) for w in striate.engine.workers.running())
    else:
        import torch

        torch.set_num_threads(a.threads)
        net = torch_model(a.model)
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        tx = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        ty = torch.from_numpy(y)
        base, workers = peak_rss_mib(), 0.0
        perm = torch.randperm(a.images)
        for start in range(0, a.images, a.batch):
            idx = perm[start : start + a.batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(tx[idx]), ty[idx]).backward()
            opt.step()
    print(json.dumps({"lib": a.lib, "model": a.model, "peak_rss_mib": round(peak_rss_mib() + workers, 1),
                      "baseline_rss_mib": round(base, 1), "workers_rss_mib": round(workers, 1)}))


if __name__ == "__main__":
    main()
