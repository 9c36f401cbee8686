"""`striate evaluate`: accuracy, loss, per-class precision and recall, the confusion matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import metrics, models
from . import preflight
from .common import add_command, check_images, load_model, printable, probabilities
from .train import add_data_arguments, load_data

EXAMPLE = "striate evaluate lenet.striate --dataset mnist --plots eval/"


def add_parser(sub) -> None:
    p = add_command(sub, "evaluate", "measure a trained model on a data set's test images", EXAMPLE)
    p.add_argument("model", metavar="MODEL.striate", help="a model file written by `striate train --out`")
    add_data_arguments(p)
    p.add_argument("--split", choices=["test", "train"], default="test", help="which images to evaluate on")
    p.add_argument("--plots", metavar="DIR", help="write DIR/confusion.png and DIR/mistakes.png")
    p.add_argument("--mistakes", type=int, default=24, metavar="N",
                   help="how many of the most confidently wrong images to show (default 24)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def labels(class_names) -> list[str]:
    """"3 cat" for named classes; just "3" when the name is the number (MNIST)."""
    return [str(n) if str(n) == str(i) else f"{i} {printable(n)}" for i, n in enumerate(class_names)]


def confusion_text(cm, class_names) -> list[str]:
    """The confusion matrix as text: rows are true classes, columns predicted class numbers."""
    k = len(cm)
    width = max(len(str(int(cm.max()))), len(str(k - 1)))
    names = labels(class_names)
    label = max(len(n) for n in names)
    lines = [" " * label + "  " + " ".join(str(j).rjust(width) for j in range(k)) + "   ← predicted"]
    for i, name in enumerate(names):
        lines.append(name.ljust(label) + "  " + " ".join(str(int(v)).rjust(width) for v in cm[i]))
    return lines


def check_classes(model, class_names, args) -> None:
    """ValueError when the model file names other classes than the data set has (another data set)."""
    saved = getattr(model, "class_names", None)
    if saved and list(saved) != [str(n) for n in class_names]:
        def show(names):
            return ", ".join(map(printable, names[:4])) + (", ..." if len(names) > 4 else "")

        raise ValueError(f"{args.model} was trained on the classes {show(list(saved))}, but {args.dataset} has "
                         f"{show([str(n) for n in class_names])}: evaluate it on the data set it was trained for")


def run(args) -> int:
    if args.model in models.MODELS:
        raise ValueError(f"{args.model!r} is an untrained built-in model; evaluate a file from "
                         "`striate train --out FILE.striate`")
    if args.plots:  # before the evaluation, not after it
        preflight.matplotlib("--plots", "evaluated")
        preflight.writable_dir(args.plots, "--plots", work="evaluated")
    model = load_model(args.model)
    ((x, y), (x_test, y_test)), class_names = load_data(args)
    if args.split == "test":
        x, y = x_test, y_test
    check_images(model, x.shape[1:], f"{args.dataset} images")
    check_classes(model, class_names, args)
    probs = probabilities(model, x)
    k = len(class_names)
    if probs.shape[1] != k:
        raise ValueError(f"the model has {probs.shape[1]} outputs but {args.dataset} has {k} classes")
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    loss = float(np.mean(-np.log(np.maximum(probs[np.arange(len(y)), y], 1e-12))))
    accuracy = float(np.mean(predicted == y))
    cm = metrics.confusion_matrix(y, predicted, k)
    precision, recall = metrics.precision_recall(cm)
    wrong = np.flatnonzero(predicted != y)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][: max(args.mistakes, 0)]
    written = {}
    if args.plots:
        from .. import viz

        folder = Path(args.plots)
        title = f"{Path(args.model).name} on {args.dataset} {args.split}: accuracy {accuracy:.1%}"
        written["confusion"] = str(viz.confusion(cm, class_names, folder / "confusion.png", title))
        written["mistakes"] = str(viz.mistakes(
            x[wrong], y[wrong], predicted[wrong], confidence[wrong], class_names, folder / "mistakes.png",
            f"The {len(wrong)} most confident of {int((predicted != y).sum())} mistakes (true → predicted)"))
    if args.json:
        print(json.dumps({"dataset": args.dataset, "split": args.split, "images": len(y), "accuracy": accuracy,
                          "loss": loss, "classes": list(map(str, class_names)),
                          "precision": precision.tolist(), "recall": recall.tolist(),
                          "confusion": cm.tolist(), "files": written}))
        return 0
    print(f"{args.dataset} {args.split}: {len(y)} images")
    print(f"accuracy {accuracy:.4f}, loss {loss:.4f}")
    print()
    names = labels(class_names)
    name_width = max(len("class"), *map(len, names))
    print(f"{'class'.ljust(name_width)}  precision  recall  images")
    for i, name in enumerate(names):
        print(f"{name.ljust(name_width)}  {precision[i]:9.4f}  {recall[i]:6.4f}  {int(cm[i].sum()):6d}")
    print()
    print("confusion matrix (rows: true class, columns: predicted class)")
    print("\n".join(confusion_text(cm, class_names)))
    for what, path in written.items():
        print(f"wrote {what}: {path}")
    return 0
