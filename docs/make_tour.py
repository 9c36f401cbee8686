"""Make the pictures of the README's tour (docs/tour/) with the `striate` commands themselves.

    python docs/make_tour.py --data-dir path/to/mnist       # under a minute on a laptop CPU

Steps: draw a sunflower (its seeds on the golden angle, like the real thing); run classic
kernels over it (`striate convolve`); train LeNet-5 on 20,000 MNIST digits for 3 epochs
(`striate train --plots`); `striate evaluate --plots`; `striate filters`; `striate
features` on a test digit; four edge kernels on that digit. Without --data-dir, MNIST is
found the usual way ($STRIATE_DATA, the user cache, else downloaded).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

import striate
from striate.cli.main import main as striate_cli
from striate.viz import save_image

HERE = Path(__file__).resolve().parent


def sunflower(size: int = 256) -> np.ndarray:
    """An RGB sunflower (size, size, 3) in [0, 1]: sky, stem, two rings of petals, a disc of seeds.

    Drawn at twice the size and averaged down, so edges are smooth.
    """
    s = 2 * size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float64) + 0.5
    cy, cx = 0.42 * s, 0.5 * s
    dy, dx = yy - cy, xx - cx
    r, theta = np.hypot(dy, dx), np.arctan2(dy, dx)
    sky = np.linspace(0, 1, s)[:, None, None]
    img = (1 - sky) * np.array([0.55, 0.75, 0.95]) + sky * np.array([0.82, 0.91, 1.0])
    img = np.broadcast_to(img, (s, s, 3)).copy()
    stem = (np.abs(xx - cx - 0.03 * (yy - cy)) < 0.022 * s) & (yy > cy)
    leaf = (((xx - 0.63 * s) / (0.11 * s)) ** 2 + ((yy - 0.8 * s + 0.6 * (xx - 0.63 * s)) / (0.035 * s)) ** 2) < 1
    img[stem | leaf] = [0.22, 0.52, 0.16]
    disc = 0.16 * s
    for petals, shift, length, colour in ((21, np.pi / 21, 0.9, (0.93, 0.60, 0.05)), (21, 0.0, 1.0, (1.0, 0.80, 0.10))):
        phase = (theta - shift) * petals / (2 * np.pi)
        d = np.abs(phase - np.round(phase)) * 2  # 0 on a petal's axis, 1 halfway to the next
        t = (r - 0.8 * disc) / (length * 0.21 * s)  # 0 at the petal's base, 1 at its tip
        inside = (t >= 0) & (t <= 1) & (d < 0.85 * np.sin(np.pi * np.clip(t, 0, 1)) ** 0.6)
        shade = (0.75 + 0.25 * np.clip(t * 2, 0, 1))[..., None] * (1 - 0.15 * (d < 0.08))[..., None]
        img[inside] = (np.array(colour) * shade)[inside]
    in_disc = r < disc
    img[in_disc] = [0.30, 0.17, 0.06]
    n = 420
    k = np.arange(n)
    rho, phi = disc * np.sqrt((k + 0.5) / n), k * np.deg2rad(137.508)  # Vogel's spiral
    seeds = np.stack([cy + rho * np.sin(phi), cx + rho * np.cos(phi)], axis=1)
    py, px = yy[in_disc], xx[in_disc]
    nearest = np.min((py[:, None] - seeds[:, 0]) ** 2 + (px[:, None] - seeds[:, 1]) ** 2, axis=1)
    dot = np.sqrt(nearest) < 0.38 * disc / np.sqrt(n) * 2
    colours = img[in_disc]
    colours[dot] = [0.55, 0.36, 0.12]
    img[in_disc] = colours
    return img.reshape(size, 2, size, 2, 3).mean(axis=(1, 3))


def run(*args: str) -> None:
    print("$ striate " + " ".join(args), flush=True)
    if striate_cli(list(args)) != 0:
        sys.exit(f"striate {args[0]} failed")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files")
    parser.add_argument("--out", default=str(HERE / "tour"), help="where the pictures go (default docs/tour)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = ["--dataset", "mnist"] + (["--data-dir", args.data_dir] if args.data_dir else [])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        save_image(sunflower(), out / "sunflower.png")
        run("convolve", str(out / "sunflower.png"), "--gray", "--kernel", "sobel-x", "--kernel", "sobel-y",
            "--kernel", "laplace", "--kernel", "sharpen", "--kernel", "blur",
            "--out", str(work / "sunflower.png"), "--figure", str(out / "convolve.png"))
        model = work / "lenet.striate"
        run("train", *data, "--model", "lenet5", "--limit", "20000", "--epochs", "3", "--out", str(model),
            "--plots", str(out))
        run("evaluate", str(model), *data, "--plots", str(out), "--mistakes", "16")
        run("filters", str(model), "--out", str(out / "filters.png"))
        (_, _), (x_test, y_test) = striate.datasets.load("mnist", args.data_dir)
        seven = out / "seven.png"
        save_image(x_test[0], seven)  # the first test digit: a 7
        run("features", str(model), str(seven), "--out", str(out / "features"), "--classes", "mnist")
        run("convolve", str(seven), "--kernel", "sobel-x", "--kernel", "sobel-y", "--kernel", "laplace",
            "--kernel", "edge", "--out", str(work / "seven.png"), "--figure", str(out / "seven-edges.png"))


if __name__ == "__main__":
    main()
