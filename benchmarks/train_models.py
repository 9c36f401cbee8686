"""Train the built-in fashion, autoencoder and fcn networks with their recipes on the real data.

Prints each one's test accuracy (or reconstruction error) and wall time.

    python -m benchmarks.train_models                       # all three (about 35 minutes on 2 cores)
    python -m benchmarks.train_models fashion --minutes 15  # one of them
    python -m benchmarks.train_models --subset 300 --test-subset 300 --epochs 1   # a smoke run, seconds

The recipes are the product's (striate.recipes, what `striate train --model NAME` uses):
    fashion      Fashion-MNIST. Shifts of up to 2 pixels and left-right flips, labels
                 smoothed by 0.1; SGD with Nesterov momentum 0.9, weight decay 5e-4,
                 batch 128; the learning rate
                 warms up over the first epoch to 0.1, then follows a cosine to 0. The
                 number of epochs is fitted to the time budget (--minutes, default the
                 recipe's 15) by striate.budget before training; --epochs fixes it.
    autoencoder  MNIST, MSE loss, Adam from 2e-3 with a cosine decay, batch 64, 5 epochs;
                 test MSE against the mean-image baseline, and a picture of originals
                 (top row) over reconstructions (bottom row) in --out.
    fcn          MNIST, Adam from 3e-3 with a cosine decay, batch 64, 2 epochs; here each
                 batch is, with probability ½, bilinearly enlarged to 56×56 (the same
                 network takes both); test accuracy at 28×28 and at 56×56.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

import striate
from striate import budget, datasets, recipes
from striate.functional.upsample import upsample_bilinear

RECIPES = ("fashion", "autoencoder", "fcn")


def evaluate(model, x, y, batch=500) -> dict:
    return model.evaluate(x, y, batch_size=batch)


# ---- fashion ------------------------------------------------------------------------------
def train_fashion(args) -> dict:
    (x, y), (xt, yt) = datasets.load("fashion-mnist", args.fashion_dir, progress=False)
    x, y, xt, yt = x[: args.subset], y[: args.subset], xt[: args.test_subset], yt[: args.test_subset]
    recipe = recipes.get("fashion")
    model = striate.models.fashion(seed=args.seed)
    augment = datasets.Augment(recipe.transforms("fashion-mnist"), seed=args.seed)
    batch = recipe.batch_size
    batches = datasets.Batches(x, y, batch_size=batch, seed=args.seed, drop_last=len(x) >= batch, transform=augment)
    steps = len(batches)
    epochs = args.epochs
    if not epochs:  # as many as the budget holds, planned before training (striate.budget)
        minutes = args.minutes if args.minutes is not None else recipe.time_budget / 60
        plan = budget.plan_epochs(model, recipe.optimizer_for(steps, 1), recipe.loss_for(), x, y, batch, minutes * 60,
                                  args.max_epochs or recipe.max_epochs)
        epochs = plan.epochs
        print(f"fashion: {plan} in {minutes:g} minutes", flush=True)
    model.compile(recipe.optimizer_for(steps, epochs), recipe.loss_for(), ["accuracy"])
    start = time.perf_counter()
    for epoch in range(epochs):
        loss = sum(model.train_step(xb, yb)[0] for xb, yb in batches) / steps
        print(f"fashion: epoch {epoch + 1}/{epochs} loss {loss:.4f} ({time.perf_counter() - start:.0f}s)", flush=True)
    seconds = time.perf_counter() - start
    result = evaluate(model, xt, yt)
    return {"model": "fashion", "dataset": "fashion-mnist", "epochs": epochs, "train_seconds": round(seconds, 1),
            "test_accuracy": result["accuracy"], "test_loss": result["loss"], "params": model.count_params()}


# ---- autoencoder ----------------------------------------------------------------------------
def save_grid(path: Path, images) -> Path:
    """Images (rows, cols, H, W) in [0, 1] → one picture: a PNG (×3) with Pillow, else a PGM."""
    rows, cols, h, w = images.shape
    grid = np.clip(images, 0, 1).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
    try:
        from striate.viz.backend import save_image

        return save_image(grid, path.with_suffix(".png"), scale=3)
    except ImportError:  # no Pillow: binary PGM needs no library
        path = path.with_suffix(".pgm")
        path.write_bytes(f"P5 {cols * w} {rows * h} 255\n".encode() + (grid * 255).astype(np.uint8).tobytes())
        return path


def train_autoencoder(args) -> dict:
    (x, _), (xt, _) = datasets.load("mnist", args.mnist_dir, progress=False)
    x, xt = x[: args.subset], xt[: args.test_subset]
    recipe = recipes.get("autoencoder")
    epochs, batch = args.epochs or recipe.epochs, recipe.batch_size
    model = striate.models.autoencoder(seed=args.seed)
    model.compile(recipe.optimizer_for(math.ceil(len(x) / batch), epochs), recipe.loss_for())
    start = time.perf_counter()
    model.fit(x, x, epochs=epochs, batch_size=batch, verbose=2)
    seconds = time.perf_counter() - start
    mse = evaluate(model, xt, xt)["loss"]
    baseline = float(np.mean((xt - x.mean(axis=0)) ** 2))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    picture = save_grid(out / "autoencoder_reconstructions", np.stack([xt[:12, ..., 0], model.predict(xt[:12])[..., 0]]))
    return {"model": "autoencoder", "dataset": "mnist", "epochs": epochs, "train_seconds": round(seconds, 1),
            "test_mse": mse, "mean_image_mse": baseline, "picture": str(picture), "params": model.count_params()}


# ---- fcn ----------------------------------------------------------------------------------------
def train_fcn(args) -> dict:
    (x, y), (xt, yt) = datasets.load("mnist", args.mnist_dir, progress=False)
    x, y, xt, yt = x[: args.subset], y[: args.subset], xt[: args.test_subset], yt[: args.test_subset]
    recipe = recipes.get("fcn")
    epochs, batch = args.epochs or recipe.epochs, recipe.batch_size
    model = striate.models.fcn(seed=args.seed)  # input_shape (None, None, 1)
    model.compile(recipe.optimizer_for(math.ceil(len(x) / batch), epochs), recipe.loss_for(), ["accuracy"])
    scale_rng = np.random.default_rng(args.seed)
    batches = datasets.Batches(x, y, batch_size=batch, seed=args.seed)
    start = time.perf_counter()
    for epoch in range(epochs):
        losses = []
        for xb, yb in batches:
            if scale_rng.random() < 0.5:
                xb = upsample_bilinear(xb, (2, 2))  # the same digits at 56×56
            losses.append(model.train_step(xb, yb)[0])
        print(f"fcn: epoch {epoch + 1}/{epochs} loss {np.mean(losses):.4f} ({time.perf_counter() - start:.0f}s)",
              flush=True)
    seconds = time.perf_counter() - start
    at28 = evaluate(model, xt, yt)["accuracy"]
    at56 = evaluate(model, upsample_bilinear(xt, (2, 2)), yt, batch=250)["accuracy"]
    return {"model": "fcn", "dataset": "mnist", "epochs": epochs, "train_seconds": round(seconds, 1),
            "test_accuracy_28": at28, "test_accuracy_56": at56, "params": model.count_params()}


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", metavar="MODEL", help=f"some of {', '.join(RECIPES)} (default: all)")
    p.add_argument("--mnist-dir", help="MNIST IDX files (default: $STRIATE_DATA, the cache, ..., as datasets.load)")
    p.add_argument("--fashion-dir", help="Fashion-MNIST IDX files")
    p.add_argument("--subset", type=int, help="train on the first N images only (smoke runs)")
    p.add_argument("--test-subset", type=int, help="evaluate on the first N test images only (smoke runs)")
    p.add_argument("--epochs", type=int, help="fix the number of epochs (default: each recipe's)")
    p.add_argument("--minutes", type=float, help="fashion's training time budget (default: the recipe's, 15)")
    p.add_argument("--max-epochs", type=int, help="fashion: at most this many epochs (default: the recipe's, 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs", help="folder for the autoencoder's picture")
    p.add_argument("--json", action="store_true", help="print one JSON line per model")
    args = p.parse_args(argv)
    unknown = set(args.models) - set(RECIPES)
    if unknown:
        p.error(f"unknown model(s) {', '.join(sorted(unknown))}; choose from {', '.join(RECIPES)}")
    results = []
    for name in args.models or RECIPES:
        start = time.perf_counter()
        result = {"fashion": train_fashion, "autoencoder": train_autoencoder, "fcn": train_fcn}[name](args)
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        results.append(result)
        print(json.dumps(result) if args.json else "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                                                             for k, v in result.items()), flush=True)
    return results


if __name__ == "__main__":
    main()
