"""`striate train`: train a built-in model or a TOML-described network and report its test accuracy."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
import sys

from .. import datasets, models, recipes
from ..engine import mpi
from ..io import config
from . import preflight, train_run, train_watch
from .common import add_command, dims

EXAMPLE = """striate train --dataset mnist --model lenet5 --epochs 3 --out lenet.striate --plots runs/lenet
striate train --dataset fashion-mnist --model fashion --time-budget 5m --out fashion.striate
striate train --dataset fashion-mnist --config net.toml --augment --val-split 0.1
striate train --dataset cifar10 --model seed-table --checkpoint run.ckpt --resume
mpiexec -n 4 striate train --dataset mnist --model lenet5 --batch-size 256 --out lenet.striate
striate train --dataset mnist --epochs 2 --watch"""


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


def unit_interval(text: str) -> float:
    """argparse type of --label-smoothing: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, e.g. 0.1, got {text!r}")
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
    p = add_command(sub, "train", "train a model and report its test accuracy", EXAMPLE,
                    description="Train a model and report its test accuracy. A built-in model trains with its "
                                "recipe (striate.recipes: optimizer, schedule, augmentation, batch size, epochs "
                                "or a time budget), printed at the start; every option below overrides one part "
                                "of it. Under `mpiexec -n P` the P processes train one model together, each on "
                                "its part of every batch (--batch-size is the global batch); rank 0 prints and "
                                "writes the files.")
    add_data_arguments(p)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--model", choices=list(models.CLASSIFIERS), help="a built-in model (default lenet5)")
    which.add_argument("--config", metavar="FILE.toml", help="a network described layer by layer in TOML")
    p.add_argument("--epochs", type=positive, help="passes over the training images (default: the recipe's)")
    p.add_argument("--time-budget", type=duration, metavar="TIME",
                   help="fit the number of epochs to a time budget, e.g. 15m, 90s or 1h: a few steps are timed "
                        "first, then the run is planned (the fashion recipe's default: 15m)")
    p.add_argument("--batch-size", type=positive, help="images per optimizer step (default: the recipe's)")
    p.add_argument("--optimizer", choices=["sgd", "adam"])
    p.add_argument("--lr", type=float, help="peak learning rate (default: the recipe's; 0.05 for sgd, 0.003 for adam)")
    p.add_argument("--momentum", type=float, help="SGD momentum (Nesterov)")
    p.add_argument("--weight-decay", type=float, help="SGD's L2 penalty, Adam's decoupled decay")
    p.add_argument("--schedule", choices=["cosine", "constant"],
                   help="learning rate over the run: cosine decay to 0, or constant")
    p.add_argument("--warmup-epochs", type=int, metavar="N", help="cosine: rise linearly to --lr over N epochs")
    p.add_argument("--label-smoothing", type=unit_interval, metavar="EPS",
                   help="cross-entropy against (1 − EPS)·one-hot + EPS/classes instead of one-hot (PyTorch's "
                        "label_smoothing); 0 turns a recipe's off")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction,
                   help="new random shifts/rotations/flips of the training images every epoch (the recipe's, else "
                        "the data set's usual); --no-augment turns a recipe's off")
    p.add_argument("--val-split", type=fraction, metavar="FRACTION",
                   help="hold out this share of the training images for validation (default: validate on test)")
    p.add_argument("--out", metavar="FILE.striate", help="save the trained model here (checked before training)")
    p.add_argument("--checkpoint", metavar="FILE", help="write a resumable checkpoint here after every epoch")
    p.add_argument("--checkpoint-every", type=positive, metavar="STEPS", help="also every STEPS optimizer steps")
    p.add_argument("--resume", action="store_true",
                   help="carry on from --checkpoint if it exists; with more --epochs a finished run goes on, its "
                        "learning-rate schedule re-planned over the new total")
    p.add_argument("--plots", metavar="DIR", help="write the training curves to DIR/curves.png")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    train_watch.add_arguments(p)
    p.set_defaults(run=run)


def duration(text: str) -> float:
    """argparse type of --time-budget: seconds."""
    try:
        return recipes.parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def recipe_for(args) -> recipes.Recipe:
    """The model's recipe, with every option given on the command line in place of its setting."""
    recipe = recipes.get(None if args.config else args.model)
    if args.epochs and args.time_budget:
        raise ValueError("--epochs fixes the number of epochs and --time-budget fits it to a budget; give one")
    changes = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "momentum": args.momentum,
               "weight_decay": args.weight_decay, "schedule": args.schedule, "warmup_epochs": args.warmup_epochs,
               "time_budget": args.time_budget, "label_smoothing": args.label_smoothing}
    if args.label_smoothing and recipe.loss != "cross_entropy":
        raise ValueError(f"--label-smoothing smooths the labels of cross-entropy; this model trains with {recipe.loss}")
    if args.epochs:
        changes["time_budget"] = 0.0  # no budget: the epochs given
    if args.optimizer and args.optimizer != recipe.optimizer:  # another optimizer: its own default rate
        changes.update(optimizer=args.optimizer, lr=args.lr or (0.05 if args.optimizer == "sgd" else 0.003),
                       weight_decay=args.weight_decay or 0.0)
    if args.augment is not None:
        changes["augment"] = (recipe.augment or "standard") if args.augment else "none"
    recipe = recipe.replace(**changes)
    return dataclasses.replace(recipe, augment=None) if recipe.augment == "none" else recipe


def load_data(args):
    """((x, y), (x_test, y_test)), class names, per --dataset and --limit."""
    data = datasets.load(args.dataset, args.data_dir, image_size=args.image_size, color_mode=args.color_mode,
                         seed=args.seed, progress=not getattr(args, "json", False))
    (x, y), (xt, yt) = data
    if args.limit:
        x, y, xt, yt = x[: args.limit], y[: args.limit], xt[: args.limit], yt[: args.limit]
    return ((x, y), (xt, yt)), data.class_names


def build_model(args, input_shape, classes: int):
    """The built-in model or the TOML network for these images; a model for any image size stays one."""
    if not args.config:
        default = inspect.signature(models.MODELS[args.model]).parameters["input_shape"].default
        if None in default[:2]:  # fcn: saved for any size, so that predict and ONNX take any size too
            input_shape = (None, None, input_shape[-1])
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


def check_outputs(args) -> None:
    """Every file the run will write can be written: found in the first second, not after training."""
    if args.out:
        preflight.writable_file(args.out, "--out")
    if args.checkpoint:
        preflight.writable_file(args.checkpoint, "--checkpoint")
    if args.plots:
        preflight.matplotlib("--plots")
        preflight.writable_dir(args.plots, "--plots")
    train_watch.check(args)


def ranks():
    """The MPI ranks when started by mpiexec with more than one process (else None): the
    others keep quiet, and rank 0 speaks and writes for the job."""
    if mpi.launched_size() < 2:
        return None
    comm = mpi.world()
    if comm.rank > 0:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process
    return comm


def run(args) -> int:
    comm = ranks()
    first = comm is None or comm.rank == 0
    with mpi.together(comm):  # a mistake or an unwritable path stops every rank at once, with one message
        args.model = args.model or (None if args.config else "lenet5")
        if args.resume and not args.checkpoint:
            raise ValueError("--resume carries on from --checkpoint FILE; give the checkpoint's path")
        if first:
            check_outputs(args)
        recipe = recipe_for(args)
    with mpi.together(comm, watched=False):  # rank 0 first: one download, however long it takes ...
        data = load_data(args) if first else None
    with mpi.together(comm, watched=False):  # ... then every other rank reads the files
        ((x, y), test), class_names = data or load_data(args)
    return train_run.run(args, recipe, x, y, test, class_names, build_model, comm)
