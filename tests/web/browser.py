"""The page in a real browser: a small trained model, the real server, headless Chromium.

Shared by tests/web/test_browser.py and docs/make_screenshots.py:

    model = trained_lenet()                       # LeNet-5 after a few hundred steps on drawn digits
    with Served(model) as served, browser() as chromium:
        page = chromium.new_page(); page.goto(served.url)

The digits are drawn here (seven-segment strokes with random size, slant, thickness and
place), so no data set is needed; any model whose probabilities change with the image
would do, a trained one makes the pictures meaningful. The server serves a twin of the
model (its own arrays), so a test can run the original beside it as the oracle.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import shutil
import socket

import numpy as np

SEGMENTS = {0: "abcdef", 1: "bc", 2: "abdeg", 3: "abcdg", 4: "bcfg", 5: "acdfg", 6: "acdefg", 7: "abc",
            8: "abcdefg", 9: "abcdfg"}
# each segment's ends as (row, column) in a unit box: a top, b/c right, d bottom, e/f left, g middle
ENDS = {"a": ((0, 0), (0, 1)), "b": ((0, 1), (0.5, 1)), "c": ((0.5, 1), (1, 1)), "d": ((1, 0), (1, 1)),
        "e": ((0.5, 0), (1, 0)), "f": ((0, 0), (0.5, 0)), "g": ((0.5, 0), (0.5, 1))}
BROWSERS = ("chromium", "chromium-browser")
TIMEOUT = 20_000  # ms a step may wait for the page (a shared machine can be slow; passing steps take far less)
SEVEN = [(70, 60), (210, 60), (190, 110), (120, 230)]  # a stroke like a 7, in the drawing canvas's pixels


def digits(n: int, seed: int = 0, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """n seven-segment digits (n, size, size, 1) float32 in [0, 1], white on black, and their labels (n,)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = np.zeros((n, size, size), np.float32)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    for i in range(n):
        h = rng.uniform(0.5, 0.72) * size
        w = h * rng.uniform(0.45, 0.65)
        top, left = size / 2 - h / 2 + rng.uniform(-2, 2), size / 2 - w / 2 + rng.uniform(-2, 2)
        thickness, slant = rng.uniform(1.2, 2.2), rng.uniform(-0.2, 0.2)
        for s in SEGMENTS[int(labels[i])]:
            (r0, c0), (r1, c1) = ENDS[s]
            p0 = np.array([top + r0 * h, left + c0 * w + slant * (0.5 - r0) * h])
            d = np.array([top + r1 * h, left + c1 * w + slant * (0.5 - r1) * h]) - p0
            u = np.clip(((yy - p0[0]) * d[0] + (xx - p0[1]) * d[1]) / (d @ d), 0, 1)  # nearest point of the segment
            distance = np.hypot(yy - p0[0] - u * d[0], xx - p0[1] - u * d[1])
            x[i] = np.maximum(x[i], np.clip(thickness + 0.5 - distance, 0, 1))
    return x[..., None], labels


def trained_lenet(images: int = 3000, epochs: int = 1, seed: int = 0):
    """LeNet-5 trained with Adam on `images` drawn digits (about 100 steps: a few seconds)."""
    from striate import models

    x, y = digits(images, seed)
    model = models.get("lenet5", seed=seed)
    model.compile("adam", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    model.class_names = [str(k) for k in range(10)]
    return model


class Training:
    """`striate train … --watch` in one process: LeNet-5 learning drawn digits on a thread, its Feed
    published every `every` seconds, and the server (Served) showing the page with the training panel.

        with Training() as run: page.goto(run.served.url); ...; run.join()
    """

    def __init__(self, images: int = 1500, epochs: int = 2, every: float = 0.3, seed: int = 0, fixed: int = 8,
                 data=None):
        """data: (x, y, x_test, y_test) to learn instead of `images` drawn digits."""
        from striate import models
        from striate.web.watch import Feed, Watch

        self.x, self.y = digits(images, seed) if data is None else data[:2]
        self.x_test, self.y_test = digits(fixed, seed + 1) if data is None else (data[2][:fixed], data[3][:fixed])
        images = len(self.x)
        self.model = models.get("lenet5", seed=seed)
        self.model.compile("adam", metrics=["accuracy"])
        self.model.class_names = [str(k) for k in range(10)]
        self.feed, self.epochs = Feed(), epochs
        self.watch = Watch(self.feed, self.x_test, self.y_test, every=every, batches=-(-images // 32))
        self.served = Served(self.model, feed=self.feed)
        self.thread = None

    def start(self) -> None:
        """Begin training (the page, once opened, follows it)."""
        import threading

        self.thread = threading.Thread(target=self.model.fit, args=(self.x, self.y), daemon=True,
                                       kwargs={"epochs": self.epochs, "batch_size": 32, "verbose": 0,
                                               "callbacks": [self.watch]})
        self.thread.start()

    def join(self, timeout: float = 120) -> None:
        self.thread.join(timeout)

    def __enter__(self):
        self.served.__enter__()
        return self

    def __exit__(self, *exc):
        if self.thread is not None:
            self.join()
        self.served.__exit__(*exc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The real server (uvicorn, striate.web.server.start) on 127.0.0.1 and a free port, serving a twin of model.

    feed: a striate.web.watch.Feed for the training panel (then `model` is the one training).
    """

    def __init__(self, model, feed=None):
        from striate.web import create_app

        self.model, self.port = model, free_port()
        self.app = create_app(model.twin(), feed=feed)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.running = None

    def __enter__(self):
        from striate.web import server

        self.running = server.start(self.app, "127.0.0.1", self.port)
        return self

    def __exit__(self, *exc):
        self.running.stop()


def chromium_path() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def missing() -> str | None:
    """Why the page cannot be driven here (None when it can)."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install playwright; its own browser download is not needed)"
    if chromium_path() is None:
        return f"no Chromium found on PATH ({' or '.join(BROWSERS)}; Debian: apt-get install chromium)"
    return None


@contextlib.contextmanager
def browser():
    """Headless Chromium (the system's, driven by Playwright), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """One page opened on the server, with every request it made and every error it logged."""

    def __init__(self, chromium, url: str, width: int = 1100, height: int = 900):
        self.url = url
        self.context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))

    def open(self):
        """Load the page and wait until the blank image's prediction is shown."""
        with self.page.expect_response(lambda r: r.url.endswith("/api/backward")):
            self.page.goto(self.url)
        self.page.wait_for_selector("[data-testid=prob-bar-0]")
        return self.page

    def close(self):
        self.context.close()

    def outside(self) -> list[str]:
        """Requests to anywhere but the server (data: and blob: URLs stay in the page)."""
        return [u for u in self.requests if not u.startswith((self.url, "data:", "blob:"))]

    def probabilities(self) -> np.ndarray:
        bars = self.page.locator("[data-testid^=prob-bar-]")
        return np.array([float(bars.nth(k).get_attribute("data-probability")) for k in range(bars.count())])

    def draw(self, stroke, steps: int = 6) -> bytes:
        """Draw one stroke with the mouse, a polyline in the drawing canvas's own 280×280 pixels;
        returns the PNG the page then shows (sent with POST /api/forward once the button was released)."""
        box = self.page.locator("[data-testid=draw-canvas]").bounding_box()
        sx, sy = box["width"] / 280, box["height"] / 280
        before = self.shown()
        with self.page.expect_response(lambda r: r.url.endswith("/api/forward")):
            self.page.mouse.move(box["x"] + stroke[0][0] * sx, box["y"] + stroke[0][1] * sy)
            self.page.mouse.down()
            for x, y in stroke[1:]:
                self.page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=steps)
            self.page.mouse.up()
        # a request's body made from a Blob is not visible to Playwright: read the page's own copy
        self.page.wait_for_function("(before) => S.current && S.current.base64 !== before", arg=before)
        return self.shown_bytes()

    def shown(self) -> str | None:
        """The base64 of the image the page shows (the PNG or JPEG it sent)."""
        return self.page.evaluate("() => S.current && S.current.base64")

    def shown_bytes(self) -> bytes:
        return base64.b64decode(self.shown())

    def wait_for_probabilities(self, expected, tolerance: float = 1e-5, timeout: float = TIMEOUT):
        """Wait until the bars show `expected` (the page may still be answering an earlier request)."""
        self.page.wait_for_function(
            """([expected, tolerance]) => expected.every((p, k) => {
                 const bar = document.querySelector(`[data-testid=prob-bar-${k}]`);
                 return bar && Math.abs(Number(bar.dataset.probability) - p) <= tolerance;
               })""", arg=[list(map(float, expected)), tolerance], timeout=timeout)
