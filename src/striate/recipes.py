"""How each built-in model is trained to its published figure: `striate.recipes.get("fashion")`.

A recipe is what `striate train --model NAME` uses by default — the optimizer and its
settings, the learning-rate schedule, augmentation, batch size, epochs or a time
budget — and every flag overrides one part of it. benchmarks/train_models.py trains
with the same recipes.

| model | recipe | published figure |
| --- | --- | --- |
| lenet5, convnet4, seed-table | SGD, Nesterov 0.9, lr 0.05 → cosine, batch 64, 3 epochs | lenet5: 99.0 % on MNIST |
| keras-mnist | Adam 1e-3 (constant), batch 128, 15 epochs (Keras's example) | 99.2 % on MNIST (11 min on 2 cores) |
| fashion | shifts of 2 pixels and flips, label smoothing 0.1; SGD Nesterov 0.9, weight | 94.2 % on Fashion-MNIST |
|         | decay 5e-4, batch 128; one warm-up epoch to lr 0.1, then cosine; epochs fitted | |
|         | to a 15-minute budget | |
| fcn | Adam 3e-3 → cosine, batch 64, 2 epochs | 98.1 % on MNIST |
| autoencoder | Adam 2e-3 → cosine, MSE, batch 64, 5 epochs | test MSE 0.0052 |
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from . import losses, optim
from .datasets import augment as A
from .progress import plural

TRANSFORMS = {"RandomShift": A.RandomShift, "RandomFlip": A.RandomFlip, "RandomRotation": A.RandomRotation,
              "RandomCrop": A.RandomCrop}


@dataclass(frozen=True)
class Recipe:
    """The settings one training run uses.

    Args:
        optimizer: "sgd" or "adam". lr: the peak learning rate.
        momentum: SGD's momentum, Nesterov's when > 0. weight_decay: SGD's L2 (Adam's decoupled).
        schedule: "cosine" (decay to 0 over the run) or "constant". warmup_epochs: a linear
            rise to lr over the first epochs of a cosine schedule.
        batch_size, epochs: of the run; time_budget (seconds) replaces epochs by as many
            as fit in it (striate.budget), at most max_epochs.
        augment: None (no augmentation), "standard" (the data set's usual,
            datasets.standard), or transforms as ((name, kwargs), ...).
        loss: "cross_entropy" or "mse". label_smoothing: cross-entropy's ε (losses.CrossEntropy).
    """

    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup_epochs: int = 0
    batch_size: int = 64
    epochs: int = 3
    time_budget: float | None = None
    max_epochs: int = 40
    augment: object = None
    loss: str = "cross_entropy"
    label_smoothing: float = 0.0

    def replace(self, **changes) -> Recipe:
        """This recipe with the given settings changed; None values leave a setting as it is."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def transforms(self, dataset: str) -> list:
        """The augmentation transforms for a data set ([] when the recipe augments nothing)."""
        if self.augment is None:
            return []
        if self.augment == "standard":
            return A.standard(dataset).transforms
        return [TRANSFORMS[name](**kwargs) for name, kwargs in self.augment]

    def optimizer_for(self, steps_per_epoch: int, epochs: int):
        """The optimizer, its learning rate scheduled over epochs × steps_per_epoch steps."""
        total = max(1, epochs * steps_per_epoch)
        lr = self.lr
        if self.schedule == "cosine":
            warmup = min(self.warmup_epochs * steps_per_epoch, total - 1) if epochs > 1 else 0
            lr = optim.CosineDecay(self.lr, total, warmup_steps=warmup)
        if self.optimizer == "adam":
            return optim.Adam(lr=lr, weight_decay=self.weight_decay)
        return optim.SGD(lr=lr, momentum=self.momentum, nesterov=self.momentum > 0, weight_decay=self.weight_decay)

    def loss_for(self):
        """The loss to compile with: a name, or CrossEntropy with the recipe's label smoothing."""
        if self.loss == "cross_entropy" and self.label_smoothing:
            return losses.CrossEntropy(label_smoothing=self.label_smoothing)
        return self.loss

    def describe(self, steps_per_epoch: int | None = None) -> str:
        """One line: "SGD (Nesterov 0.9), lr 0.05 → cosine, batch 64, 3 epochs"."""
        if self.optimizer == "adam":
            opt = "Adam" + (f" (weight decay {self.weight_decay:g})" if self.weight_decay else "")
        else:
            extras = [f"Nesterov {self.momentum:g}"] if self.momentum > 0 else []
            extras += [f"weight decay {self.weight_decay:g}"] if self.weight_decay else []
            opt = "SGD" + (f" ({', '.join(extras)})" if extras else "")
        if self.schedule == "cosine":
            warm = f"{plural(self.warmup_epochs, 'warm-up epoch')} to " if self.warmup_epochs else ""
            lr = f"{warm}lr {self.lr:g} → cosine"
        else:
            lr = f"lr {self.lr:g} constant"
        length = (f"epochs fitted to {duration_text(self.time_budget)} (at most {self.max_epochs})"
                  if self.time_budget else plural(self.epochs, "epoch"))
        smoothing = f", label smoothing {self.label_smoothing:g}" if self.label_smoothing else ""
        return f"{opt}, {lr}, batch {self.batch_size}{smoothing}, {length}"


def duration_text(seconds: float) -> str:
    """900 → "15 min", 90 → "90 s", 5400 → "1.5 h"."""
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def parse_duration(text: str) -> float:
    """"15m", "90s", "1.5h", "1h30m" or a plain number of minutes → seconds; ValueError otherwise."""
    import re

    units = {"h": 3600, "m": 60, "min": 60, "s": 1}
    t = text.strip().lower().replace(" ", "")
    try:
        seconds = float(t) * 60
    except ValueError:
        parts = re.findall(r"(\d+(?:\.\d+)?)(h|min|m|s)", t)
        seconds = sum(float(n) * units[u] for n, u in parts) if "".join(n + u for n, u in parts) == t else -1.0
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"expected a duration such as 15m, 90s, 1h or 1h30m, got {text!r}")
    return seconds


DEFAULT = Recipe()  # the classic LeNet-5 recipe; also for networks described in TOML
RECIPES = {
    "lenet5": DEFAULT,
    "convnet4": DEFAULT,
    "seed-table": DEFAULT,
    "keras-mnist": Recipe(optimizer="adam", lr=1e-3, schedule="constant", batch_size=128, epochs=15),
    "fashion": Recipe(lr=0.1, weight_decay=5e-4, warmup_epochs=1, batch_size=128, epochs=20, time_budget=15 * 60,
                      label_smoothing=0.1, augment=(("RandomShift", {"max_shift": 2}), ("RandomFlip", {}))),
    "fcn": Recipe(optimizer="adam", lr=3e-3, epochs=2),
    "autoencoder": Recipe(optimizer="adam", lr=2e-3, epochs=5, loss="mse"),
}


def get(name: str | None) -> Recipe:
    """The recipe of a built-in model; DEFAULT for None (a TOML network)."""
    if name is None:
        return DEFAULT
    if name not in RECIPES:
        raise ValueError(f"no recipe for {name!r}; recipes: {', '.join(RECIPES)}")
    return RECIPES[name]
