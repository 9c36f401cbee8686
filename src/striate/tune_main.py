"""A worker process of striate.tune: `python -m striate.tune_main FOLDER` (see tune_workers.py).

Reads the training split and the folds from FOLDER once, then one JSON job per line on
stdin — {"index": i, "config": {...}, "fold": f} — and answers each on stdout with
{"index": i, "fold": f, "accuracy": a}, or {"error": "..."}; exits when stdin closes.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from . import tune
from .tune_workers import read_inputs


def main(folder: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops this process
    x, y, folds, settings = read_inputs(Path(folder))
    for line in sys.stdin:
        job = json.loads(line)
        train, val = folds[job["fold"]]
        try:
            accuracy = tune.train_and_score(job["config"], x[train], y[train], x[val], y[val], settings["classes"],
                                            settings["epochs"], settings["batch_size"],
                                            tune.fold_seed(settings["seed"], job["fold"]))
            answer = {"index": job["index"], "fold": job["fold"], "accuracy": accuracy}
        except Exception as e:  # reported to the parent, which raises it with the job's name
            answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
