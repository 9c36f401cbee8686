"""`striate features`: what every layer makes of one image, as PNG grids and an HTML page."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import functional as F
from .. import layers as L
from .. import viz
from . import images
from .common import add_command, dims, load_model, model_argument
from .predict import class_names

EXAMPLE = """striate features lenet.striate digit.png --out features/
  (then open features/index.html)"""


def add_parser(sub) -> None:
    p = add_command(sub, "features", "draw the feature maps of every layer for one image", EXAMPLE)
    model_argument(p, "a model file (a built-in name uses untrained, random weights)")
    p.add_argument("image", metavar="IMAGE", help="a PNG or JPEG file, or - for standard input")
    p.add_argument("--out", default="features", metavar="DIR", help="folder for the PNGs and index.html")
    p.add_argument("--classes", metavar="NAMES", help="class names for the last layer (default: the model file's; see `striate predict`)")
    p.add_argument("--invert", action="store_true", help="use 1 − pixel (dark strokes on white → light on black)")
    p.add_argument("--no-resize", dest="resize", action="store_false",
                   help="refuse an image whose size differs from the model's input")
    p.set_defaults(run=run)


def file_name(layer) -> str:
    return f"layer-{layer.index:02d}-{type(layer).__name__.lower()}.png"


def run(args) -> int:
    model = load_model(args.model)
    notes = []
    x = images.for_model(args.image, model.input_shape, args.resize, args.invert, notes)
    images.say_notes(args.image, notes)
    images.check_fits(model, x, args.image)
    out = Path(args.out)
    source = "stdin" if args.image == "-" else Path(args.image).name
    viz.save_image(x, out / "input.png", scale=max(1, 112 // max(x.shape[0], 1)))
    cards = [("input", f"{source}, {dims(x.shape)}", "input.png")]
    a = x[None]
    for layer in model.layers:
        a = layer.forward(a)
        y = a[0]
        heading = f"{layer.index}. {layer!r}"
        title = f"layer {layer.index}: {layer!r}"
        if y.ndim == 3:
            viz.feature_maps(y, out / file_name(layer), title)
            cards.append((heading, f"{dims(y.shape)}: {y.shape[2]} maps", file_name(layer)))
        elif isinstance(layer, L.Flatten):
            cards.append((heading, f"the previous layer's {y.size} values in one row: nothing new to draw", None))
        elif layer is model.layers[-1]:
            probs = y if isinstance(layer, L.Softmax) else F.softmax(y.astype(np.float64))
            names = class_names(args.classes, len(probs), model)
            best = int(np.argmax(probs))
            viz.vector(probs, out / file_name(layer), f"{title}\nas probabilities: {names[best]} ({probs[best]:.1%})",
                       labels=names, highlight=best, ylabel="probability")
            cards.append((heading, f"{len(y)} outputs → softmax: {names[best]} ({probs[best]:.1%})", file_name(layer)))
        else:
            viz.vector(y, out / file_name(layer), title)
            cards.append((heading, f"{len(y)} values", file_name(layer)))
    page = viz.features_page(out / "index.html", f"What {Path(args.model).name} sees in {source}", cards,
                             "Each grid shows one layer's output for this image, one small map per channel "
                             "(bright: strong response). Early layers respond to edges and strokes; later, "
                             "smaller maps to larger shapes.")
    print(f"wrote {len(cards)} pictures and {page}")
    return 0
