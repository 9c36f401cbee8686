"""`striate train`: train a built-in model on a data set and report test accuracy."""

from __future__ import annotations

import argparse
import json
import time

from .. import datasets, models, optim


def dataset_name(text: str) -> str:
    """argparse type of --dataset: a built-in name or folder:PATH."""
    if text in datasets.names() or (text.startswith("folder:") and len(text) > len("folder:")):
        return text
    raise argparse.ArgumentTypeError(
        f"invalid choice: {text!r} (choose from {', '.join(datasets.names())}, folder:PATH)")


def image_size(text: str) -> tuple[int, int]:
    """argparse type of --image-size: "32" or "32x48" (height x width)."""
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2) or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected SIZE or HEIGHTxWIDTH in pixels, e.g. 32 or 32x48, got {text!r}")
    return (parts[0], parts[-1])


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a built-in model and report its test accuracy")
    p.add_argument("--dataset", required=True, type=dataset_name,
                   help=f"{', '.join(datasets.names())}, or folder:PATH (one sub-folder of images per class)")
    p.add_argument("--data-dir", help="folder holding the data set's files (default: $STRIATE_DATA, the user "
                                      "cache, system copies, else download)")
    p.add_argument("--image-size", type=image_size, help="folder: data sets: resize images to SIZE or HxW")
    p.add_argument("--color-mode", choices=["rgb", "grayscale"], default="rgb", help="folder: data sets")
    p.add_argument("--model", default="lenet5", choices=sorted(models.CLASSIFIERS))
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


def make_optimizer(args, total_steps: int):
    """The training recipe: SGD with Nesterov momentum (or Adam) and a cosine-decayed rate."""
    lr = args.lr if args.lr is not None else (0.05 if args.optimizer == "sgd" else 0.003)
    if args.schedule == "cosine":
        lr = optim.CosineDecay(lr, total_steps)
    if args.optimizer == "adam":
        return optim.Adam(lr=lr)
    return optim.SGD(lr=lr, momentum=args.momentum, nesterov=args.momentum > 0)


def run(args) -> int:
    data = datasets.load(args.dataset, args.data_dir, image_size=args.image_size,
                         color_mode=args.color_mode, seed=args.seed, progress=not args.json)
    (x_train, y_train), (x_test, y_test) = data
    model = models.get(args.model, input_shape=x_train.shape[1:], classes=len(data.class_names), seed=args.seed)
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
