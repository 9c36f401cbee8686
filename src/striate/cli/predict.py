"""`striate predict`: the top classes, with probabilities, for image files or standard input."""

from __future__ import annotations

import json
import sys

import numpy as np

from .. import classifier
from ..datasets import catalog
from . import images
from .common import add_command, load_model, printable, probabilities

EXAMPLE = """striate predict lenet.striate digit.png --classes mnist
cat photo.jpg | striate predict cifar.striate - --classes cifar10 --top 3"""


def add_parser(sub) -> None:
    p = add_command(sub, "predict", "classify images with a trained model", EXAMPLE)
    p.add_argument("model", metavar="MODEL.striate", help="a model file written by `striate train --out`")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="PNG or JPEG files; - reads one from standard input")
    p.add_argument("--top", type=int, default=3, metavar="K", help="how many classes to list (default 3)")
    p.add_argument("--classes", metavar="NAMES",
                   help=f"class names: a data set ({', '.join(catalog.SPECS)}) or a comma-separated list (default: "
                        "the names saved in the model file by `striate train`)")
    p.add_argument("--invert", action="store_true",
                   help="use 1 − pixel: dark strokes on white paper → light on black, as in MNIST")
    p.add_argument("--no-resize", dest="resize", action="store_false",
                   help="refuse images whose size differs from the model's input instead of resizing them")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def class_names(spec: str | None, k: int, model=None) -> list[str]:
    """Names for k outputs: from --classes, else the model file's, else "0" .. "k−1"."""
    if spec is None:
        return classifier.class_names(model, k)
    names = list(catalog.SPECS[spec].class_names) if spec in catalog.SPECS else [n.strip() for n in spec.split(",")]
    if len(names) != k:
        raise ValueError(f"--classes gives {len(names)} names but the model has {k} outputs")
    return names


def run(args) -> int:
    if args.images.count("-") > 1:
        raise ValueError("standard input (-) can be read once")
    model = load_model(args.model)
    x = []
    for src in args.images:
        notes = []
        x.append(images.for_model(src, model.input_shape, args.resize, args.invert, notes))
        images.say_notes(src, notes)
        images.check_fits(model, x[-1], src)
    if model.input_shape[-1] == 1 and not args.invert:
        light = [src for src, xi in zip(args.images, x) if images.light_background(xi)]
        if light:
            print(f"note: {', '.join(light)} look{'s' if len(light) == 1 else ''} like dark strokes on a light "
                  "background; models trained on MNIST expect light on black: try --invert", file=sys.stderr)
    if len({xi.shape for xi in x}) == 1:
        probs = probabilities(model, np.stack(x))
    else:  # a model for any size, images of several sizes: one at a time
        probs = np.concatenate([probabilities(model, xi[None]) for xi in x])
    names = class_names(args.classes, probs.shape[1], model)
    k = max(1, min(args.top, probs.shape[1]))
    results = []
    for src, p in zip(args.images, probs):
        top = np.argsort(-p, kind="stable")[:k]
        results.append({"image": src, "top": [{"class": names[i], "index": int(i), "probability": float(p[i])}
                                              for i in top]})
    if args.json:
        print(json.dumps({"model": args.model, "predictions": results}))
        return 0
    for r in results:
        ranked = ", ".join(f"{printable(t['class'])} ({t['probability']:.1%})" for t in r["top"])
        print(f"{'stdin' if r['image'] == '-' else r['image']}: {ranked}")
    return 0
