"""The JSON API the page uses. Every error is {"error": message} with a 4xx status (503: too slow).

    GET  /api/model                 the model: input shape, classes, layers (name, type, output shape)
    POST /api/predict               body: PNG/JPEG bytes (Content-Type image/png or image/jpeg)
                                    → {"classes", "probabilities", "notes"}
    POST /api/forward               body: as predict → probabilities, every layer's output
                                    (maps: H×W×C, vectors: K; striate.web.encode), the softmax written out
    POST /api/pixel                 JSON {"image": base64 PNG/JPEG, "layer": 1-based,
                                    "row", "col", "channel"} (a map) or {"unit"} (a vector)
                                    → the arithmetic of that value (striate.web.pixel) and,
                                    for a map, its receptive field (striate.web.receptive)
    POST /api/backward              JSON {"image": ..., "class": k} → the loss, d loss / d output
                                    of every layer, each convolution's kernel gradient, the input
                                    gradient and the saliency map max_c |d loss / d x|
    GET  /api/filters               every Conv2D's kernel (kh, kw, C, F)
    GET  /api/samples               the data set's test images: {"dataset", "available", "count", "reason"}
    GET  /api/samples/{n}           test image n as PNG; its label in the X-Label header
    GET  /api/training              the training run's feed (--watch), 404 otherwise
    GET  /api/training/events       the same as Server-Sent Events, one event when it changes

Request bodies are read into memory up to a limit (413 past it, however they are sent,
with or without Content-Length) and never written anywhere. Reading a body, decoding its
image and running the model each have `timeout` seconds (408 / 503 past it); images are
decoded one at a time, off the event loop, and the last few are remembered (decode.Decoder).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json

import numpy as np
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..viz.backend import pillow
from . import decode, encode

IMAGE_TYPES = ("image/png", "image/jpeg")


class ApiError(Exception):
    """A request the API refuses: its HTTP status (4xx, 503) and the message the page shows."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Json(JSONResponse):
    """A JSON answer in which NaN and infinity are null (striate.web.encode.text)."""

    def render(self, content) -> bytes:
        return encode.text(content).encode("utf-8")


def error(status: int, message: str) -> JSONResponse:
    """The answer to a refused request: {"error": message} with `status`."""
    return Json({"error": message}, status_code=status)


async def body(request: Request, limit: int, timeout: float = 30.0) -> bytes:
    """The request body, refused with 413 once it passes `limit` bytes (read no further),
    with 408 when it takes over `timeout` seconds to arrive."""
    stated = whole(request.headers.get("content-length", ""))
    if stated is not None and stated > limit:
        raise ApiError(413, f"the request body is {stated:,} bytes, over the limit of {limit:,}")

    async def read() -> bytes:
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"the request body is over the limit of {limit:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    try:
        return await asyncio.wait_for(read(), timeout)
    except asyncio.TimeoutError:
        raise ApiError(408, f"the request body took over {timeout:g} s to arrive") from None


def whole(text: str, digits: int = 18) -> int | None:
    """A whole number written in at most `digits` ASCII digits, else None ("²", "1e3" and 5,000 digits are not)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def content_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ("image/png")."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class Api:
    """The endpoints, around an Explorer (the model) and optional Samples and Feed."""

    def __init__(self, explorer, samples=None, feed=None, max_body: int = 8 << 20, timeout: float = 30.0,
                 max_pixels: int = decode.MAX_PIXELS):
        self.explorer, self.samples, self.feed = explorer, samples, feed
        self.max_body, self.timeout = max_body, timeout
        self.decoder = decode.Decoder(explorer.model.input_shape, max_pixels)

    async def _compute(self, fn, *args, status: int = 422, what: str = "the model"):
        """fn(*args) on a worker thread, within the timeout; its ValueError becomes `status`."""
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args), self.timeout)
        except asyncio.TimeoutError:
            raise ApiError(503, f"{what} took over {self.timeout:g} s to answer; try again") from None
        except ValueError as e:
            raise ApiError(status, str(e)) from None

    async def _decode(self, data: bytes):
        return await self._compute(self.decoder, data, status=400, what="decoding the image")

    async def _image(self, request: Request):
        if content_type(request) not in IMAGE_TYPES:
            raise ApiError(415, f"send the image's bytes with Content-Type image/png or image/jpeg, "
                                f"got {content_type(request) or 'none'!r}")
        return await self._decode(await body(request, self.max_body, self.timeout))

    async def _json(self, request: Request) -> dict:
        if content_type(request) != "application/json":
            raise ApiError(415, f"send a JSON object with Content-Type application/json, "
                                f"got {content_type(request) or 'none'!r}")
        data = await body(request, self.max_body * 4 // 3 + 4096, self.timeout)  # the image in base64, and a little
        try:
            value = json.loads(data)
        except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, a number of 5,000 digits, nested too deep
            raise ApiError(400, f"the body is not valid JSON ({str(e)[:200]})") from None
        if not isinstance(value, dict):
            raise ApiError(400, f"expected a JSON object, got {type(value).__name__}")
        return value

    async def _field_image(self, value: dict):
        text = value.get("image")
        if not isinstance(text, str):
            raise ApiError(400, '"image" must be the image\'s bytes in base64 (a string)')
        if text.startswith("data:"):  # a data URL from a canvas: "data:image/png;base64,...."
            text = text.split(",", 1)[-1]
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, '"image" is not valid base64') from None
        return await self._decode(data)

    @staticmethod
    def _int(value: dict, key: str) -> int:
        v = value.get(key)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ApiError(400, f'"{key}" must be a whole number, got {json.dumps(v)}')
        return v

    # ---- endpoints -------------------------------------------------------------
    async def model(self, request):
        return Json(self.explorer.describe())

    async def predict(self, request):
        x, notes = await self._image(request)
        return Json({**await self._compute(self.explorer.predict, x), "notes": notes})

    async def forward(self, request):
        x, notes = await self._image(request)
        return Json({**await self._compute(self.explorer.forward, x), "notes": notes})

    async def pixel(self, request):
        value = await self._json(request)
        x, _ = await self._field_image(value)
        layer = self._int(value, "layer")
        keys = ("unit",) if "unit" in value else ("row", "col", "channel")
        where = tuple(self._int(value, k) for k in keys)
        return Json(await self._compute(self.explorer.pixel, x, layer, where))

    async def backward(self, request):
        value = await self._json(request)
        x, _ = await self._field_image(value)
        return Json(await self._compute(self.explorer.backward, x, self._int(value, "class")))

    async def filters(self, request):
        return Json(await self._compute(self.explorer.filters))

    async def samples_info(self, request):
        if self.samples is None:
            return Json({"dataset": None, "available": False, "count": 0,
                                 "reason": "no data set was given for this model"})
        return Json(await run_in_threadpool(self.samples.describe))

    async def sample(self, request):
        text = request.path_params["n"]
        if self.samples is None or not await run_in_threadpool(self.samples.load):
            raise ApiError(404, self.samples.reason if self.samples else "no data set was given for this model")
        count, n = len(self.samples.images), whole(text)
        if n is None or not n < count:
            raise ApiError(404, f"test images are numbered 0..{count - 1}, got {text[:20]!r}")
        image = self.samples.images[n]
        pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        pillow().fromarray(pixels[:, :, 0] if pixels.shape[-1] == 1 else pixels).save(buffer, "PNG")
        label = int(self.samples.labels[n])
        return Response(buffer.getvalue(), media_type="image/png", headers={"X-Label": str(label)})

    async def training(self, request):
        if self.feed is None:
            raise ApiError(404, "no training run is being watched (start one with striate train … --watch)")
        return Json(self.feed.snapshot())

    async def training_events(self, request):
        if self.feed is None:
            raise ApiError(404, "no training run is being watched (start one with striate train … --watch)")

        async def events():  # ends when the run does (finished), or the page is closed
            seen = -1
            while not await request.is_disconnected():
                if self.feed.current() != seen:
                    snap = self.feed.snapshot()
                    seen = snap["version"]
                    yield f"data: {encode.text(snap)}\n\n"
                    if snap["finished"]:
                        return
                await asyncio.sleep(0.5)
        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
