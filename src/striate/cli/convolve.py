"""`striate convolve`: apply a classic kernel (Sobel, Laplace, sharpen, blur, ...) to an image."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .. import image_filters, viz
from ..arithmetic import size_text
from . import images
from .common import add_command

EXAMPLE = """striate convolve sunflower.png --kernel sobel-x --out edges.png
striate convolve sunflower.png --kernel sobel-x --kernel laplace --kernel blur --figure filters.png
striate convolve photo.jpg --kernel my-kernel.txt --flip --stride 2 --padding 1"""


def add_parser(sub) -> None:
    p = add_command(sub, "convolve", "apply a classic image kernel and write the result", EXAMPLE,
                    description="Apply a classic kernel to an image, as the first layer of a CNN would. "
                                "Without --flip this is a cross-correlation (what CNN layers compute); with "
                                "--flip the kernel is rotated 180° first: a true convolution.")
    p.add_argument("image", metavar="IMAGE", help="a PNG or JPEG file, or - for standard input")
    p.add_argument("--kernel", action="append", metavar="NAME|FILE",
                   help=f"{', '.join(image_filters.KERNELS)}, or a text file with one row per line; "
                        "repeat for several (default sobel-x)")
    p.add_argument("--flip", action="store_true", help="rotate the kernel 180° first: true convolution")
    p.add_argument("--stride", type=int, default=1, help="step between output pixels (default 1)")
    p.add_argument("--padding", default="0", metavar="P|same", help="zeros added on each side, or 'same'")
    p.add_argument("--gray", action="store_true", help="convert a colour image to grayscale first")
    p.add_argument("--display", choices=["auto", "clip", "abs", "minmax"], default="auto",
                   help="how responses become pixels: auto = |response| for edge kernels, clipped to [0, 1] "
                        "otherwise")
    p.add_argument("--out", metavar="FILE.png", help="the result image (default IMAGE-KERNEL.png); with several "
                                                     "kernels, each kernel's name is added to it")
    p.add_argument("--figure", metavar="FILE.png", help="also draw input, kernels and results side by side")
    p.set_defaults(run=run)


def padding_value(text: str):
    if text == "same":
        return "same"
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"--padding must be a whole number ≥ 0 or 'same', got {text!r}")
    return value


def output_path(args, name: str, several: bool) -> Path:
    """IMAGE-KERNEL.png; with --out, that name, and OUT-KERNEL.png for each of several kernels."""
    stem = "stdin" if args.image == "-" else Path(args.image).stem
    if not args.out:
        return Path(f"{stem}-{Path(name).stem}.png")
    base = Path(args.out)
    return base.with_name(f"{base.stem}-{Path(name).stem}{base.suffix or '.png'}") if several else base


def output_paths(args, names) -> dict:
    """Each kernel's output path; two kernels whose names end alike (k.txt, ../other/k.txt) get -2, -3, ... added."""
    paths, taken = {}, {}
    for name in names:
        path = first = output_path(args, name, len(names) > 1)
        n = 1
        while path in taken.values():
            n += 1
            path = first.with_name(f"{first.stem}-{n}{first.suffix}")
        if n > 1:
            earlier = next(k for k, v in taken.items() if v == first)
            print(f"note: kernels {earlier} and {name} would both write {first}; {name}'s result goes to {path}",
                  file=sys.stderr)
        taken[name] = paths[name] = path
    return paths


def run(args) -> int:
    if args.stride < 1:
        raise ValueError(f"--stride must be ≥ 1, got {args.stride}")
    padding = padding_value(args.padding)
    image, _ = images.read(args.image, 1 if args.gray else None)
    names = args.kernel or ["sobel-x"]
    kernels = {name: image_filters.get(name) for name in names}
    paths = output_paths(args, list(kernels))
    results = {}
    what = "convolution (kernel rotated 180°)" if args.flip else "cross-correlation (kernel as given)"
    print(f"{args.image}: {image.shape[0]}×{image.shape[1]}×{image.shape[2]}; {what}, stride {args.stride}, "
          f"padding {padding}")
    for name, kernel in kernels.items():
        y = image_filters.apply(image, kernel, args.flip, args.stride, padding)
        shown = image_filters.to_display(y, args.display, kernel)
        path = viz.save_image(shown, paths[name])
        results[name] = shown
        size = f"{y.shape[0]}×{y.shape[1]}"
        if padding != "same":  # the arithmetic, e.g. rows (37 + 2·0 − 5)/2 + 1 = 17
            size += f" (rows {size_text(image.shape[0], kernel.shape[0], args.stride, (padding, padding))})"
        print(f"  {name}: {kernel.shape[0]}×{kernel.shape[1]} kernel, output {size}, responses "
              f"{float(np.min(y)):.3g} to {float(np.max(y)):.3g}; wrote {path}")
    if args.figure:
        title = f"Classic kernels on {Path(args.image).name if args.image != '-' else 'stdin'}: {what}"
        print(f"wrote {viz.convolutions(image, results, kernels, args.figure, title)}")
    return 0
