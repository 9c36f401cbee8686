"""The worker processes of striate.tune, each `python -m striate.tune_main` (see tune_main.py).

Why not multiprocessing: its "spawn" and "forkserver" workers import the user's main
script again before they run anything, so `tune.tune(...)` in a script without an
`if __name__ == "__main__":` guard starts pools inside the workers, which die, and the
parent waited forever. These workers import striate and nothing of the caller:

    parent                                           worker (python -m striate.tune_main DIR)
    x.npy, y.npy, folds.npz, settings.json → DIR ──► loads them once (x memory-mapped)
    {"index": i, "config": {...}, "fold": f}\\n ────► trains, scores
                       ◄──── {"index": i, "fold": f, "accuracy": a}\\n  (or {"error": "..."})

Only JSON lines and NumPy's .npy files cross; nothing is pickled. Jobs go to whichever
worker is free; results are gathered by index, so they do not depend on the order.

Ctrl-C is the parent's to handle: the workers run in a session of their own (a terminal's
Ctrl-C reaches the parent alone) and ignore SIGINT. The parent then stops them, lets each
reader thread see its pipe end, and only then closes the pipes.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np


def _write_inputs(folder: Path, x, y, folds, settings) -> None:
    np.save(folder / "x.npy", np.ascontiguousarray(x))
    np.save(folder / "y.npy", np.ascontiguousarray(y))
    np.savez(folder / "folds.npz", **{f"{kind}{i}": part for i, (train, val) in enumerate(folds)
                                      for kind, part in (("train", train), ("val", val))})
    (folder / "settings.json").write_text(json.dumps(settings))


def read_inputs(folder: Path):
    x = np.load(folder / "x.npy", mmap_mode="r")
    y = np.load(folder / "y.npy")
    with np.load(folder / "folds.npz") as parts:
        folds = [(parts[f"train{i}"], parts[f"val{i}"]) for i in range(len(parts.files) // 2)]
    return x, y, folds, json.loads((folder / "settings.json").read_text())


def run(jobs, x, y, folds, settings: dict, workers: int, blas_threads: int) -> list[tuple[int, int, float]]:
    """Run every (index, config, fold) job in `workers` processes; [(index, fold, accuracy)] in job order.

    Raises RuntimeError naming the job when a worker reports an error or exits.
    """
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_parent, *sys.path]),
           **{k: str(blas_threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    todo: queue.Queue = queue.Queue()
    for position, job in enumerate(jobs):
        todo.put((position, job))
    results: list = [None] * len(jobs)
    errors: list[str] = []

    def serve(proc) -> None:
        while not errors:
            try:
                position, (index, config, fold) = todo.get_nowait()
            except queue.Empty:
                return
            try:
                proc.stdin.write(json.dumps({"index": index, "config": config, "fold": fold}) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (OSError, ValueError) as e:  # ValueError: a pipe closed under this thread
                line = ""
                errors.append(f"tune: worker process {proc.pid} is gone ({e})")
            if not line:
                errors.append(f"tune: worker process {proc.pid} exited (code {proc.poll()}) while training "
                              f"candidate {index + 1} on fold {fold + 1}")
                return
            answer = json.loads(line)
            if "error" in answer:
                errors.append(f"tune: candidate {index + 1} {config} on fold {fold + 1}: {answer['error']}")
                return
            results[position] = (answer["index"], answer["fold"], answer["accuracy"])

    with tempfile.TemporaryDirectory(prefix="striate-tune-") as folder:
        _write_inputs(Path(folder), x, y, folds, settings)
        procs = [subprocess.Popen([sys.executable, "-m", "striate.tune_main", folder], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env, start_new_session=True)
                 for _ in range(workers)]
        threads = [threading.Thread(target=serve, args=(proc,), daemon=True) for proc in procs]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        except BaseException:  # Ctrl-C: stop the workers; each thread then reads the end of its pipe and returns
            errors.append("tune: interrupted")
            for proc in procs:
                proc.terminate()
            for t in threads:
                if t.is_alive():
                    t.join()
            raise
        finally:
            for proc in procs:
                with contextlib.suppress(OSError):  # a stopped worker's pipe
                    proc.stdin.close()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if errors:
        raise RuntimeError(errors[0])
    return results
