"""`striate train … --watch`: the training panel of the web page, served while the model trains.

The server runs on its own thread; the training thread publishes to a Feed only every
--watch-every seconds (striate.web.watch), so the run is slowed by little (see
benchmarks/watch_overhead.py). The page's other panels run on a twin of the model that
takes the latest published weights.
"""

from __future__ import annotations

import sys


FIXED_IMAGES = 8  # test images whose predictions the page follows
# --watch's own options: (flag, argparse name, default)
OWN = (("--watch-host", "watch_host", "127.0.0.1"), ("--watch-port", "watch_port", 8000),
       ("--watch-every", "watch_every", 2.0), ("--no-browser", "browser", True))
OPTIONS = ("--watch-host", "--watch-port")  # what an error tells the user to change


def add_arguments(p) -> None:
    from .serve import port

    p.add_argument("--watch", action="store_true",
                   help="serve a web page with the loss and accuracy curves, the first layer's filters and "
                        "predictions on a few test images while training (needs the web extra: "
                        "pip install -e '.[web]')")
    p.add_argument("--watch-host", default=OWN[0][2],
                   help="--watch: address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 lets anyone "
                        "who can reach the port see the run and use the model: there is no login)")
    p.add_argument("--watch-port", type=port, default=OWN[1][2], help="--watch: port to listen on (default 8000)")
    p.add_argument("--watch-every", type=float, default=OWN[2][2], metavar="SECONDS",
                   help="--watch: seconds between snapshots of the model (default 2)")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="--watch: do not open a browser")


def check(args) -> None:
    """Before the data is read: the extra is installed, the port is free, the interval is sane;
    without --watch, none of its options is set (it would be ignored)."""
    if not getattr(args, "watch", False):
        if given := [flag for flag, name, default in OWN if getattr(args, name, default) != default]:
            raise ValueError(f"{', '.join(given)} {'is an option' if len(given) == 1 else 'are options'} of --watch, "
                             "which is not given")
        return
    from .. import web

    web.require("--watch")
    if not args.watch_every > 0:
        raise ValueError(f"--watch-every must be a positive number of seconds, got {args.watch_every}")
    from ..web import server

    server.check_port(args.watch_host, args.watch_port, OPTIONS)


def start(args, model, x_test, y_test, batches: int):
    """Start the server on a thread: (the callbacks that feed it, a function that stops it);
    ([], a function doing nothing) without --watch."""
    if not getattr(args, "watch", False):
        return [], lambda: None
    from .. import web
    from ..web import server
    from ..web.watch import Feed, Watch

    feed = Feed()
    # the page runs a twin; a model for any image size (fcn) is shown at the data set's size
    page_model = model.twin(x_test.shape[1:] if None in model.input_shape else None)
    app = web.create_app(page_model, feed=feed, hosts=server.hosts(args.watch_host))
    if warning := server.exposed(args.watch_host, args.watch_port):
        print(warning, file=sys.stderr)
    running = server.start(app, args.watch_host, args.watch_port, open_browser=args.browser, options=OPTIONS)
    print(f"watching the run at {server.url(args.watch_host, args.watch_port)} (the page stops with the run)",
          file=sys.stderr if args.json else sys.stdout, flush=True)
    n = min(FIXED_IMAGES, len(x_test))

    def stop() -> None:  # also when the run was interrupted: the page's event stream ends, then the server
        feed.publish(finished=True)
        running.stop()

    return [Watch(feed, x_test[:n], y_test[:n], every=args.watch_every, batches=batches)], stop
