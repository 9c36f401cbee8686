"""`striate train`: train a built-in model on an IDX data set and report test accuracy."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .. import models, optim
from ..datasets import load_folder

SYSTEM_DIRS = {"fashion-mnist": [Path("/usr/share/datasets/fashion-mnist")]}


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a built-in model and report its test accuracy")
    p.add_argument("--dataset", required=True, choices=["mnist", "fashion-mnist"])
    p.add_argument("--data-dir", help="folder holding the four IDX files (raw or .gz)")
    p.add_argument("--model", default="lenet5", choices=sorted(models.MODELS))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--lr", type=float, help="peak learning rate (default: 0.05 for sgd, 0.003 for adam)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (Nesterov)")
    p.add_argument("--schedule", default="cosine", choices=["cosine", "constant"],
                   help="learning rate over the run: cosine decay to 0, or constant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.set_defaults(run=run)


def find_data(dataset: str, data_dir: str | None) -> Path:
    """The user's folder, else $STRIATE_DATA/<dataset>, else a system copy."""
    if data_dir:
        return Path(data_dir)
    candidates = []
    if os.environ.get("STRIATE_DATA"):
        candidates.append(Path(os.environ["STRIATE_DATA"]) / dataset)
    candidates += SYSTEM_DIRS.get(dataset, [])
    for folder in candidates:
        if folder.is_dir():
            return folder
    tried = ", ".join(map(str, candidates)) or "nowhere"
    raise FileNotFoundError(f"no {dataset} data found (tried {tried}); pass --data-dir DIR with the four IDX files")


def make_optimizer(args, total_steps: int):
    """The training recipe: SGD with Nesterov momentum (or Adam) and a cosine-decayed rate."""
    lr = args.lr if args.lr is not None else (0.05 if args.optimizer == "sgd" else 0.003)
    if args.schedule == "cosine":
        lr = optim.CosineDecay(lr, total_steps)
    if args.optimizer == "adam":
        return optim.Adam(lr=lr)
    return optim.SGD(lr=lr, momentum=args.momentum, nesterov=args.momentum > 0)


def run(args) -> int:
    (x_train, y_train), (x_test, y_test) = load_folder(find_data(args.dataset, args.data_dir))
    model = models.get(args.model, input_shape=x_train.shape[1:], seed=args.seed)
    total_steps = args.epochs * -(-len(x_train) // args.batch_size)
    model.compile(make_optimizer(args, total_steps), "cross_entropy", ["accuracy"])
    if not args.json:
        print(f"{args.dataset}: {len(x_train)} training and {len(x_test)} test images; "
              f"model {args.model}, {model.count_params():,} parameters")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_test, y_test), verbose=0 if args.json else 1)
    seconds = time.perf_counter() - start
    result = model.evaluate(x_test, y_test)
    if args.json:
        print(json.dumps({"dataset": args.dataset, "model": args.model, "epochs": args.epochs,
                          "seconds": round(seconds, 2), "test_loss": result["loss"],
                          "test_accuracy": result["accuracy"], "history": history.history}))
    else:
        print(f"test accuracy: {result['accuracy']:.4f} (loss {result['loss']:.4f}) "
              f"after {args.epochs} epochs in {seconds:.1f}s")
    return 0
