"""The ASGI app: the page (HTML, CSS, JavaScript read once from the package) and the API.

    app = create_app(model)                  # any ASGI server runs it; striate.web.server does
    app = create_app(model, samples=Samples(model, "mnist"), feed=feed)

The page's files are read into memory when the app is made: a request never reaches the
file system. Unknown paths and methods answer JSON errors like the API's; so does a failure
of the server itself (500, its type named, never a traceback). Every request passes
striate.web.guard first: by default only requests addressed to this machine by name are
answered (hosts=None takes any: for a server listening on a network).
"""

from __future__ import annotations

from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import decode, guard
from .api import Api, ApiError, error
from .explorer import Explorer

ASSETS = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8"}
MAX_BODY = 8 << 20  # bytes of an uploaded image
TIMEOUT = 30.0  # seconds a request may keep the model


def assets() -> dict[str, tuple[bytes, str]]:
    """name → (bytes, media type) of every file of the page in striate/web/static."""
    folder = resources.files(__package__) / "static"
    return {f.name: (f.read_bytes(), ASSETS[suffix]) for f in folder.iterdir()
            if (suffix := "." + f.name.rsplit(".", 1)[-1]) in ASSETS}


def create_app(model, samples=None, feed=None, max_body: int = MAX_BODY, timeout: float = TIMEOUT,
               max_pixels: int = decode.MAX_PIXELS, hosts=guard.LOCAL, **explorer):
    """An ASGI app serving the page about `model` (a classifier of fixed-size images).

    samples: striate.web.samples.Samples (test images of its data set), or None.
    feed: striate.web.watch.Feed of a training run (the model is then a twin of it).
    max_body: bytes a request body may have; timeout: seconds a request may take (reading
    its body, decoding its image, running the model); max_pixels: pixels an uploaded image
    may state; hosts: the names requests may be addressed to (None: any).
    explorer: cache, cache_bytes of striate.web.explorer.Explorer.
    """
    api = Api(Explorer(model, feed, **explorer), samples, feed, max_body, timeout, max_pixels)
    files = assets()
    if "index.html" not in files:
        raise RuntimeError("striate's web page is missing from the package (striate/web/static/index.html)")

    def guarded(handler):
        async def endpoint(request):
            try:
                return await handler(request)
            except ApiError as e:
                return error(e.status, e.message)
        return endpoint

    async def page(request):
        name = request.path_params.get("name", "index.html")
        if name not in files:
            return error(404, f"no such file: {name}")
        data, media_type = files[name]
        return Response(data, media_type=media_type, headers={"Cache-Control": "no-cache"})

    async def no_icon(request):  # browsers ask for one; the page has none
        return Response(status_code=204)

    routes = [Route("/", page), Route("/static/{name}", page), Route("/favicon.ico", no_icon),
              Route("/api/model", guarded(api.model)),
              Route("/api/predict", guarded(api.predict), methods=["POST"]),
              Route("/api/forward", guarded(api.forward), methods=["POST"]),
              Route("/api/pixel", guarded(api.pixel), methods=["POST"]),
              Route("/api/backward", guarded(api.backward), methods=["POST"]),
              Route("/api/filters", guarded(api.filters)),
              Route("/api/samples", guarded(api.samples_info)),
              Route("/api/samples/{n}", guarded(api.sample)),
              Route("/api/training", guarded(api.training)),
              Route("/api/training/events", guarded(api.training_events))]

    async def http_error(request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def server_error(request, exc: Exception):  # a bug, or out of memory: said, not shown
        return error(500, f"the server failed to answer ({type(exc).__name__}); its log says more")

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    return guard.Guard(app, hosts)
