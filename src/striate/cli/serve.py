"""`striate serve`: a local web page about one model: draw or upload an image, see every layer's
maps, the arithmetic of any pixel, the gradients back to the image, the filters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..datasets import catalog
from .common import add_command, at_fixed_size, load_model, model_argument, shape

EXAMPLE = """striate serve lenet.striate
striate serve lenet.striate --port 8080 --no-browser
striate serve cifar.striate --dataset cifar10 --data-dir ~/data/cifar10"""


def port(text: str) -> int:
    """argparse type of --port: 1..65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return value


def add_server_arguments(p, default_port: int) -> None:
    """--host, --port, --no-browser (shared with `striate train --watch`)."""
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only). 0.0.0.0 listens on every "
                        "network: anyone who can reach the port can then use the page, read the model's weights "
                        "and make it compute (there is no login)")
    p.add_argument("--port", type=port, default=default_port, help=f"port to listen on (default {default_port})")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="do not open the page in a browser")


def add_parser(sub) -> None:
    p = add_command(sub, "serve", "look inside a model in the browser, forward and backward", EXAMPLE,
                    description="Serve a local web page about a model: draw a digit or upload an image, see the "
                                "probabilities, every layer's feature maps, the arithmetic of any pixel with your "
                                "image's numbers, the gradient flowing back to a saliency map, and the filters. "
                                "Needs the web extra: pip install -e '.[web]' in a clone of striate.")
    model_argument(p)
    add_server_arguments(p, 8000)
    p.add_argument("--dataset", choices=list(catalog.SPECS),
                   help="the data set whose test images the page offers (default: the one whose class names the "
                        "model file carries); never downloaded")
    p.add_argument("--data-dir", help="folder holding the data set's files (default: where striate looks for it)")
    p.add_argument("--input-shape", type=shape, metavar="HxWxC",
                   help="for a built-in model, or a model that takes any size: the image size to show it at "
                        "(default: a built-in model's own, 28x28 for any size)")
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import web

    web.require("striate serve")  # before the model is read: the missing extra is said at once
    if args.data_dir is not None and not Path(args.data_dir).is_dir():  # the images are read later, by the page
        raise FileNotFoundError(f"--data-dir {args.data_dir}: no such folder")
    from ..web import server
    from ..web.samples import Samples

    model, note = at_fixed_size(load_model(args.model, args.input_shape), args.input_shape)
    if note:
        print(f"note: {note}", file=sys.stderr)
    samples = Samples(model, args.dataset, args.data_dir)
    app = web.create_app(model, samples=samples, hosts=server.hosts(args.host))
    server.check_port(args.host, args.port)
    if warning := server.exposed(args.host, args.port):
        print(warning, file=sys.stderr)
    print(f"striate serve: {server.url(args.host, args.port)} (Ctrl-C stops it)", flush=True)
    server.serve(app, args.host, args.port, open_browser=args.browser)
    return 0
