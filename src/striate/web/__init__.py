"""Look inside a network in the browser: `striate serve MODEL` and `striate train … --watch`.

A small local web page about one model, forward and backward, served by Starlette:

    decode     image bytes (PNG/JPEG) → one input of the model, with what was done to it
    trace      the model run layer by layer on one image: every activation, every gradient
    pixel      one output value written out: its window, kernel, products, sum, bias, ReLU
    receptive  where an output pixel looks in the input and in the layer before
    samples    test images of the model's data set, when a copy is found locally
    encode     arrays as base64 float32 for the page
    watch      a training run's snapshots (curves, first filters, predictions) for --watch
    api        the JSON endpoints; app: create_app(model, ...) → an ASGI app; server: run it
    guard      whose requests are answered (this machine's names only, by default) and the
               headers every answer carries (a content security policy)

The page (static/) is plain HTML, CSS and JavaScript shipped in the package: no build step,
nothing fetched from elsewhere, it works offline.

Starlette, uvicorn and Pillow are optional (`pip install -e '.[web]'` in a clone); `require()` says so.
"""

from __future__ import annotations

INSTALL = "pip install starlette uvicorn Pillow (in a clone of striate: pip install -e '.[web]')"


def require(what: str = "the web page") -> None:
    """ImportError naming the install command unless Starlette, uvicorn and Pillow can be imported."""
    missing = []
    for module, name in (("starlette", "starlette"), ("uvicorn", "uvicorn"), ("PIL", "Pillow")):
        try:
            __import__(module)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f"{what} needs {' and '.join(missing)}, not installed: {INSTALL}")


def create_app(model, **kwargs):
    """The ASGI app serving the page about `model` (see striate.web.app.create_app)."""
    require()
    from .app import create_app as make

    return make(model, **kwargs)


__all__ = ["create_app", "require", "INSTALL"]
