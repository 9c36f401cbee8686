"""`striate tune`: k-fold cross-validation over a grid (or random sample) of small CNNs."""

from __future__ import annotations

import json

from .. import datasets
from .. import tune as tuning
from . import preflight
from .common import add_command
from .train import dataset_name

EXAMPLE = "striate tune --dataset mnist --subset 5000 --depth 1 2 --kernel-size 3 5 --k 3 --out best.striate"


def add_parser(sub) -> None:
    p = add_command(sub, "tune", "cross-validate a grid of hyperparameters, test the best once", EXAMPLE)
    p.add_argument("--dataset", required=True, type=dataset_name)
    p.add_argument("--data-dir", help="folder holding the data set's files")
    p.add_argument("--subset", type=int, help="use only the first N training images (a quick search)")
    p.add_argument("--depth", type=int, nargs="+", default=[1, 2], help="conv blocks (default: 1 2)")
    p.add_argument("--filters", type=int, nargs="+", default=[16], help="filters of the first block")
    p.add_argument("--kernel-size", type=int, nargs="+", default=[3, 5])
    p.add_argument("--pool-size", type=int, nargs="+", default=[2])
    p.add_argument("--lr", type=float, nargs="+", default=[0.05])
    p.add_argument("--search", choices=["grid", "random"], default="grid")
    p.add_argument("--n-iter", type=int, help="candidates drawn by --search random")
    p.add_argument("--k", type=int, default=3, help="folds (default 3)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--workers", type=int, help="processes (default: one per CPU)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="FILE.striate", help="save the best candidate, refitted on the whole training "
                                                        "split, here")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.out:
        preflight.writable_file(args.out, "--out")
    data = datasets.load(args.dataset, args.data_dir, seed=args.seed, progress=not args.json)
    (x, y), (xt, yt) = data
    if args.subset:
        x, y = x[: args.subset], y[: args.subset]
    space = {"depth": args.depth, "filters": args.filters, "kernel_size": args.kernel_size,
             "pool_size": args.pool_size, "lr": args.lr}
    report = tuning.tune(space, x, y, xt, yt, k=args.k, search=args.search, n_iter=args.n_iter, epochs=args.epochs,
                         batch_size=args.batch_size, workers=args.workers, seed=args.seed, verbose=not args.json)
    written = {}
    if args.out:
        report.model.class_names = list(data.class_names)
        report.model.save(args.out)
        written["model"] = args.out
    if args.json:
        print(json.dumps({"files": written, "candidates": [{"config": c.config, "scores": c.scores, "mean": c.mean, "std": c.std,
                                          "params": c.params} for c in report.candidates],
                          "best": report.best, "test_accuracy": report.test_accuracy, "seconds": report.seconds}))
    else:
        print(report.table())
        print(f"{len(report.candidates)} candidates × {args.k} folds in {report.seconds:.1f}s")
        for what, path in written.items():
            print(f"wrote {what}: {path} (the best candidate, refitted on the whole training split)")
    return 0
