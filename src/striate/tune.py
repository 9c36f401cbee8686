"""Hyperparameter tuning by k-fold cross-validation, the trainings run in parallel processes.

    space = {"depth": [1, 2], "filters": [8, 16], "kernel_size": [3, 5], "pool_size": [2], "lr": [0.02, 0.05]}
    report = striate.tune.tune(space, x_train, y_train, x_test, y_test, k=3, epochs=2, seed=0)
    print(report.table())          # every candidate's validation accuracy, mean ± std over the folds
    report.best, report.test_accuracy

Each candidate (one combination of values) is trained k times, once per fold: on the
other k − 1 folds, scored on the held-out one. Candidates are ranked by their mean
accuracy over the folds; the best is then trained once more on the whole training split
and evaluated once on the test split, which takes no part in any choice.

The candidates are small CNNs (`build_cnn`): `depth` blocks of Conv(kernel_size, "same")
→ ReLU → MaxPool(pool_size), with filters, 2·filters, 4·filters, ...; then Dense(classes).
They train with SGD (Nesterov momentum 0.9) from `lr` with a cosine decay.

Parallel and deterministic: every (candidate, fold) pair is one job for a worker
process (striate.tune_workers: `python -m striate.tune_workers`, which imports nothing of
the caller, so a script that calls tune needs no `if __name__ == "__main__":` guard).
Only config dicts and fold numbers go to the workers and accuracies come back; each
worker reads the training images once, when it starts. A job's seed depends only on (seed, fold), the same for every candidate, so
candidates meet the same shuffles; results are gathered by index, so the table does
not depend on the number of workers or on the order in which jobs finish.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import layers as L
from . import optim, tune_workers
from .datasets.splits import kfold
from .model import Sequential

DEFAULTS = {"depth": 2, "filters": 16, "kernel_size": 3, "pool_size": 2, "lr": 0.05}


# ---- the search space ---------------------------------------------------------------
def _check_space(space) -> dict:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"tune: space must be a non-empty dict of name → list of values, got {space!r}")
    for key, values in space.items():
        if key not in DEFAULTS:
            raise ValueError(f"tune: unknown hyperparameter {key!r}; expected some of {', '.join(DEFAULTS)}")
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"tune: space[{key!r}] must be a non-empty list of values, got {values!r}")
    return space


def grid(space) -> list[dict]:
    """Every combination of the space's values, in order (the last key varies fastest)."""
    space = _check_space(space)
    keys = list(space)
    return [dict(zip(keys, values)) for values in itertools.product(*(space[k] for k in keys))]


def random_search(space, n: int, seed=None) -> list[dict]:
    """n distinct combinations drawn at random (seeded) from the grid; all of it if n ≥ its size."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"random_search: n must be a positive int, got {n!r}")
    candidates = grid(space)
    picked = np.random.default_rng(seed).permutation(len(candidates))[:n]
    return [candidates[i] for i in picked]


def build_cnn(config: dict, input_shape, classes: int, seed=None) -> Sequential:
    """The candidate network for a config (missing keys take DEFAULTS)."""
    c = {**DEFAULTS, **config}
    h, w = input_shape[:2]
    layers = []
    for i in range(int(c["depth"])):
        layers += [L.Conv2D(int(c["filters"]) * 2**i, int(c["kernel_size"]), padding="same"), L.ReLU()]
        pool = int(c["pool_size"])
        if pool > 1 and h >= pool and w >= pool:  # pool only while the maps are large enough
            layers.append(L.MaxPool2D(pool))
            h, w = h // pool, w // pool
    layers += [L.Flatten(), L.Dense(classes)]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def train(config, x, y, classes, epochs, batch_size, seed) -> Sequential:
    """build_cnn(config) trained on (x, y) with SGD (Nesterov momentum 0.9) and a cosine decay."""
    model = build_cnn(config, x.shape[1:], classes, seed)
    steps = epochs * math.ceil(len(x) / batch_size)
    lr = optim.CosineDecay(float({**DEFAULTS, **config}["lr"]), steps)
    model.compile(optim.SGD(lr=lr, momentum=0.9, nesterov=True), "cross_entropy", ["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


def train_and_score(config, x, y, x_val, y_val, classes, epochs, batch_size, seed) -> float:
    """Train build_cnn(config) on (x, y); its accuracy on (x_val, y_val)."""
    model = train(config, x, y, classes, epochs, batch_size, seed)
    return float(model.evaluate(x_val, y_val)["accuracy"])


def fold_seed(seed: int, fold: int) -> int:
    """The seed of every training on `fold` (k = the refit on the whole training split)."""
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


# ---- the report -----------------------------------------------------------------------------
@dataclass
class Candidate:
    config: dict
    scores: list  # validation accuracy on each fold
    params: int

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))

    @property
    def std(self) -> float:
        """Standard deviation over the folds (divided by k, as scikit-learn reports it)."""
        return float(np.std(self.scores))


@dataclass
class TuneReport:
    candidates: list  # ranked, best first
    k: int
    test_accuracy: float | None = None
    seconds: float = 0.0
    keys: list = field(default_factory=list)
    model: Sequential | None = None  # the best candidate refitted on the whole training split: report.model.save(...)

    @property
    def best(self) -> dict:
        return self.candidates[0].config

    def table(self) -> str:
        """One row per candidate, best first: its values, mean ± std accuracy over the k folds, params."""
        head = ["rank", *self.keys, f"val accuracy ({self.k}-fold)", "params"]
        rows = [[str(r), *(str(c.config.get(k, DEFAULTS[k])) for k in self.keys),
                 f"{c.mean:.4f} ± {c.std:.4f}", f"{c.params:,}"] for r, c in enumerate(self.candidates, 1)]
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        fmt = lambda row: "  ".join(v.rjust(wd) for v, wd in zip(row, widths))  # noqa: E731
        lines = [fmt(head), "  ".join("-" * wd for wd in widths), *map(fmt, rows)]
        if self.test_accuracy is not None:
            lines.append(f"best {self.best}: test accuracy {self.test_accuracy:.4f} (refitted on the whole "
                         f"training split, evaluated once)")
        return "\n".join(lines)


# ---- the search ------------------------------------------------------------------------------
def tune(space, x, y, x_test=None, y_test=None, *, k: int = 3, search: str = "grid", n_iter: int | None = None,
         epochs: int = 1, batch_size: int = 64, workers: int | None = None, seed: int = 0,
         stratify: bool = True, verbose: bool = False) -> TuneReport:
    """Cross-validate every candidate of `space`, refit the best, test it once.

    Args:
        space: {name: [values]} over depth, filters, kernel_size, pool_size, lr.
        x, y: the training split (N, H, W, C) and its labels; folds are cut from it.
        x_test, y_test: evaluated once, with the refitted best candidate (optional).
        k: folds. search: "grid" (every combination) or "random" (n_iter of them).
        epochs, batch_size: of every training.
        workers: processes; default min(CPU count, jobs). 1 runs in this process.
    Returns:
        TuneReport: .table(), .best, .test_accuracy, and .model, the best candidate
        refitted on the whole training split (save it with report.model.save(path)).
        seed: fixes the folds, the random search, every initialisation and shuffle.
        stratify: folds keep the class proportions.
    """
    if search == "grid":
        configs = grid(space)
    elif search == "random":
        if n_iter is None:
            raise ValueError("tune: search='random' needs n_iter, the number of candidates to draw")
        configs = random_search(space, n_iter, seed)
    else:
        raise ValueError(f"tune: search must be 'grid' or 'random', got {search!r}")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4 or len(x) != len(y):
        raise ValueError(f"tune: expected images (N, H, W, C) and labels (N,), got {x.shape} and {y.shape}")
    start = time.perf_counter()
    folds = kfold(len(x), k, seed=seed, labels=y if stratify else None)
    settings = {"classes": int(y.max()) + 1, "epochs": epochs, "batch_size": batch_size, "seed": seed}
    jobs = [(i, config, fold) for i, config in enumerate(configs) for fold in range(k)]
    workers = min(os.cpu_count() or 1, len(jobs)) if workers is None else workers
    scores = np.zeros((len(configs), k))
    if workers <= 1:
        results = [(i, fold, train_and_score(config, x[folds[fold][0]], y[folds[fold][0]], x[folds[fold][1]],
                                             y[folds[fold][1]], settings["classes"], epochs, batch_size,
                                             fold_seed(seed, fold))) for i, config, fold in jobs]
    else:  # the workers together use the cores once instead of oversubscribing them
        results = tune_workers.run(jobs, x, y, folds, settings, workers, max(1, (os.cpu_count() or 1) // workers))
    for i, fold, acc in results:
        scores[i, fold] = acc
        if verbose:
            print(f"candidate {i + 1}/{len(configs)} fold {fold + 1}/{k}: {acc:.4f} {configs[i]}", flush=True)
    candidates = [Candidate(c, scores[i].tolist(), build_cnn(c, x.shape[1:], settings["classes"]).count_params())
                  for i, c in enumerate(configs)]
    order = sorted(range(len(candidates)), key=lambda i: -candidates[i].mean)  # stable: ties keep grid order
    report = TuneReport([candidates[i] for i in order], k, keys=list(space))
    report.model = train(report.best, x, y, settings["classes"], epochs, batch_size, fold_seed(seed, k))
    if x_test is not None:
        report.test_accuracy = float(report.model.evaluate(np.asarray(x_test), np.asarray(y_test))["accuracy"])
    report.seconds = time.perf_counter() - start
    return report
