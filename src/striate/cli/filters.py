"""`striate filters`: a convolution's learned kernels as a grid of small images."""

from __future__ import annotations

from pathlib import Path

from .. import viz
from .common import add_command, first_conv, load_model, model_argument

EXAMPLE = """striate filters lenet.striate --out filters.png
striate filters lenet.striate --layer 4 --out conv2.png"""


def add_parser(sub) -> None:
    p = add_command(sub, "filters", "draw a convolution layer's kernels as an image grid", EXAMPLE)
    model_argument(p, "a model file (a built-in name shows its untrained, random kernels)")
    p.add_argument("--layer", type=int, metavar="N", help="the Conv2D's position, as in `striate summary` "
                                                          "(default: the first convolution)")
    p.add_argument("--out", default="filters.png", metavar="FILE.png", help="where to write the picture")
    p.set_defaults(run=run)


def run(args) -> int:
    model = load_model(args.model)
    conv = first_conv(model, args.layer)
    title = f"{Path(args.model).name}: layer {conv.index}, {conv!r}"
    path = viz.filters(conv.params["kernel"], args.out, title)
    kh, kw, c, f = conv.params["kernel"].shape
    print(f"{conv.name}: {f} kernels of {kh}×{kw}×{c}; wrote {path}")
    return 0
