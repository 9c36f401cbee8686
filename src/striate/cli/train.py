"""`striate train`: train a built-in model or a TOML-described network and report its test accuracy."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from .. import datasets, models, optim
from ..callbacks import Callback
from ..io import checkpoint, config
from .common import add_command, dims

EXAMPLE = """striate train --dataset mnist --model lenet5 --epochs 3 --out lenet.striate --plots runs/lenet
striate train --dataset fashion-mnist --config net.toml --augment --val-split 0.1
striate train --dataset cifar10 --model seed-table --checkpoint run.ckpt --resume"""


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


def fraction(text: str) -> float:
    """argparse type of --val-split: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, e.g. 0.1, got {text!r}")
    return value


def positive(text: str) -> int:
    """argparse type of counts: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def add_data_arguments(p) -> None:
    """--dataset and where to find it (shared with `striate evaluate`)."""
    p.add_argument("--dataset", required=True, type=dataset_name,
                   help=f"{', '.join(datasets.names())}, or folder:PATH (one sub-folder of images per class)")
    p.add_argument("--data-dir", help="folder holding the data set's files (default: $STRIATE_DATA, the user "
                                      "cache, system copies, else download)")
    p.add_argument("--image-size", type=image_size, help="folder: data sets: resize images to SIZE or HxW")
    p.add_argument("--color-mode", choices=["rgb", "grayscale"], default="rgb", help="folder: data sets")
    p.add_argument("--limit", type=positive, metavar="N", help="use only the first N images of each split")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights, shuffling, augmentation and the splits")


def add_parser(sub) -> None:
    p = add_command(sub, "train", "train a model and report its test accuracy", EXAMPLE)
    add_data_arguments(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--model", choices=list(models.CLASSIFIERS), help="a built-in model (default lenet5)")
    which.add_argument("--config", metavar="FILE.toml", help="a network described layer by layer in TOML")
    p.add_argument("--epochs", type=positive, default=3)
    p.add_argument("--batch-size", type=positive, default=64)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--lr", type=float, help="peak learning rate (default: 0.05 for sgd, 0.003 for adam)")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (Nesterov)")
    p.add_argument("--schedule", default="cosine", choices=["cosine", "constant"],
                   help="learning rate over the run: cosine decay to 0, or constant")
    p.add_argument("--augment", action="store_true",
                   help="new random shifts/rotations/flips of the training images every epoch (the data set's usual)")
    p.add_argument("--val-split", type=fraction, metavar="FRACTION",
                   help="hold out this share of the training images for validation (default: validate on test)")
    p.add_argument("--out", metavar="FILE.striate", help="save the trained model here")
    p.add_argument("--checkpoint", metavar="FILE", help="write a resumable checkpoint here after every epoch")
    p.add_argument("--checkpoint-every", type=positive, metavar="STEPS", help="also every STEPS optimizer steps")
    p.add_argument("--resume", action="store_true", help="carry on from --checkpoint if it exists")
    p.add_argument("--plots", metavar="DIR", help="write the training curves to DIR/curves.png")
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


class BatchRecorder(Callback):
    """(epoch position, loss, accuracy) of each batch, recovered from fit's running means."""

    def __init__(self, samples: int, batch_size: int, epoch: int = 0):
        self.samples, self.batch_size, self.epoch = samples, batch_size, epoch
        self.batches = -(-samples // batch_size)
        self.points: list[tuple[float, float, float]] = []
        self._previous = None  # (seen, loss sum, accuracy sum) after the last batch; None after a resume

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self._previous = epoch, (0, 0.0, 0.0)

    def on_batch_end(self, batch, logs=None):
        seen = min((batch + 1) * self.batch_size, self.samples)
        sums = (seen, logs["loss"] * seen, logs.get("accuracy", 0.0) * seen)
        if self._previous is not None:
            n = seen - self._previous[0]
            self.points.append((self.epoch + (batch + 1) / self.batches,
                                (sums[1] - self._previous[1]) / n, (sums[2] - self._previous[2]) / n))
        self._previous = sums


def load_data(args):
    """((x, y), (x_test, y_test)), class names, per --dataset and --limit."""
    data = datasets.load(args.dataset, args.data_dir, image_size=args.image_size, color_mode=args.color_mode,
                         seed=args.seed, progress=not getattr(args, "json", False))
    (x, y), (xt, yt) = data
    if args.limit:
        x, y, xt, yt = x[: args.limit], y[: args.limit], xt[: args.limit], yt[: args.limit]
    return ((x, y), (xt, yt)), data.class_names


def build_model(args, input_shape, classes: int):
    if not args.config:
        return models.get(args.model, input_shape=input_shape, classes=classes, seed=args.seed)
    spec = config.read(args.config)
    if spec.input_shape is not None and tuple(spec.input_shape) != tuple(input_shape):
        raise ValueError(f"{args.config}: input_shape is {dims(spec.input_shape)} but {args.dataset} images "
                         f"are {dims(input_shape)}")
    model = spec.build(input_shape, seed=args.seed)
    if tuple(model.output_shape) != (classes,):
        raise ValueError(f"{args.config}: the last layer outputs {dims(model.output_shape)} values but "
                         f"{args.dataset} has {classes} classes; end with a Dense layer of {classes} units")
    return model


def run(args) -> int:
    args.model = args.model or (None if args.config else "lenet5")
    if args.resume and not args.checkpoint:
        raise ValueError("--resume carries on from --checkpoint FILE; give the checkpoint's path")
    ((x, y), (x_test, y_test)), class_names = load_data(args)
    val = None
    if args.val_split:
        (x, y), val = datasets.validation_split(x, y, args.val_split, seed=args.seed, stratify=True)
    model = build_model(args, x.shape[1:], len(class_names))
    name = args.config or args.model
    total_steps = args.epochs * -(-len(x) // args.batch_size)
    model.compile(make_optimizer(args, total_steps), "cross_entropy", ["accuracy"])
    say = (lambda *a: None) if args.json else print  # noqa: E731 - quiet under --json
    split = f", {len(val[0])} validation" if val else ""
    say(f"{args.dataset}: {len(x)} training{split} and {len(x_test)} test images; "
        f"model {name}, {model.count_params():,} parameters")
    callbacks, x_fit = [], x
    if args.augment:
        augment = datasets.EpochAugment(x, datasets.standard(args.dataset).transforms, seed=args.seed)
        callbacks.append(augment)
        x_fit = augment.images
        say(f"augmenting every epoch: {', '.join(map(repr, augment.transforms))}")
    start_epoch = 0
    if args.resume and Path(args.checkpoint).exists():
        pos = checkpoint.read(args.checkpoint).position
        start_epoch = pos.epoch
        where = f"in epoch {pos.epoch + 1} after batch {pos.batch}" if pos.batch else f"after epoch {pos.epoch}"
        say(f"resuming from {args.checkpoint}, {where}")
    elif args.resume:
        say(f"no checkpoint at {args.checkpoint} yet: starting from the beginning")
    recorder = BatchRecorder(len(x), args.batch_size, start_epoch)
    start = time.perf_counter()
    history = model.fit(x_fit, y, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=val or (x_test, y_test), verbose=0 if args.json else 1,
                        callbacks=[*callbacks, recorder], checkpoint=args.checkpoint,
                        checkpoint_every=args.checkpoint_every or "epoch", resume=True if args.resume else None)
    seconds = time.perf_counter() - start
    result = model.evaluate(x_test, y_test)
    written = {}
    if args.out:
        model.save(args.out)
        written["model"] = args.out
    if args.plots:
        from .. import viz

        title = f"{name} on {args.dataset}" + (" (validation: held-out training images)" if val
                                                else " (validation: the test set)")
        written["curves"] = str(viz.training_curves(history.history, Path(args.plots) / "curves.png", title,
                                                    recorder.points))
    if args.json:
        print(json.dumps({"dataset": args.dataset, "model": name, "epochs": args.epochs,
                          "seconds": round(seconds, 2), "test_loss": result["loss"],
                          "test_accuracy": result["accuracy"], "history": history.history, "files": written}))
    else:
        print(f"test accuracy: {result['accuracy']:.4f} (loss {result['loss']:.4f}) "
              f"after {args.epochs} epochs in {seconds:.1f}s")
        for what, path in written.items():
            print(f"wrote {what}: {path}")
    return 0
