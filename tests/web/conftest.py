"""Models, images and clients for the web page's tests; all skip when Starlette or Pillow is absent."""

import io
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra (pip install -e '.[web]') is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")
pytest.importorskip("PIL", reason="decoding images needs Pillow")

with warnings.catch_warnings():  # newer Starlette suggests another HTTP client for its TestClient
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient as StarletteClient  # noqa: E402

from striate import layers as L  # noqa: E402
from striate import models  # noqa: E402
from striate.model import Sequential  # noqa: E402
from striate.web import create_app  # noqa: E402


class TestClient(StarletteClient):
    """Starlette's test client, addressed to 127.0.0.1 as a browser on this machine would be
    (the page answers only requests addressed to this machine: striate.web.guard)."""

    def __init__(self, app, base_url: str = "http://127.0.0.1:8000", **kwargs):
        super().__init__(app, base_url=base_url, **kwargs)


def png(array) -> bytes:
    """An (H, W), (H, W, 1) or (H, W, 3/4) array of values in [0, 1] as PNG bytes."""
    from PIL import Image

    a = np.round(np.clip(np.asarray(array, np.float64), 0, 1) * 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[:, :, 0]
    buffer = io.BytesIO()
    Image.fromarray(a).save(buffer, "PNG")
    return buffer.getvalue()


def snapshot(model) -> list:
    """Copies of every parameter, state array and gradient, to show a model unchanged."""
    return [a.copy() for layer in model.layers for group in (layer.params, layer.state, layer.grads)
            for a in group.values()]


def assert_unchanged(model, before) -> None:
    after = snapshot(model)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def colour_model():
    """3 channels, 20×24, with what makes the arithmetic harder: stride, dilation, groups,
    reflect padding, "same" padding, BatchNorm with running statistics, Dropout, average pooling."""
    model = Sequential([
        L.Conv2D(4, 3, stride=2, padding=1, padding_mode="reflect"), L.BatchNorm2D(), L.LeakyReLU(0.1),
        L.Conv2D(6, 3, dilation=2, groups=2, padding="same"), L.ReLU(), L.AvgPool2D(2),
        L.Dropout(0.5), L.Flatten(), L.Dense(5), L.Softmax(),
    ], input_shape=(20, 24, 3), seed=3)
    bn = model.layers[1]
    rng = np.random.default_rng(1)
    bn.state["running_mean"][...] = rng.normal(0, 0.3, bn.state["running_mean"].shape)
    bn.state["running_var"][...] = rng.uniform(0.5, 2.0, bn.state["running_var"].shape)
    model.class_names = ["a", "b", "c", "d", "e"]
    return model


@pytest.fixture
def lenet():
    return models.get("lenet5", seed=0)


@pytest.fixture
def digit():
    """A 28×28 grey image with a stroke (not noise: distinct values, some zeros)."""
    rng = np.random.default_rng(5)
    x = np.zeros((28, 28))
    x[6:22, 12:16] = rng.uniform(0.5, 1.0, (16, 4))
    x[6:9, 8:20] = rng.uniform(0.5, 1.0, (3, 12))
    return x


@pytest.fixture
def client(lenet):
    return TestClient(create_app(lenet))


# ---- the page in a real browser (tests/web/test_browser.py) -------------------------------------
def need_browser():
    """Skip without Playwright or Chromium; fail instead when STRIATE_REQUIRE_BROWSER is set (CI)."""
    import os

    from .browser import missing

    reason = missing()
    if reason and os.environ.get("STRIATE_REQUIRE_BROWSER"):
        pytest.fail(f"STRIATE_REQUIRE_BROWSER is set but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """One headless Chromium per test module."""
    need_browser()
    from .browser import browser

    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def trained():
    """LeNet-5 trained a few seconds on drawn seven-segment digits (tests/web/browser.py)."""
    from .browser import trained_lenet

    return trained_lenet()


@pytest.fixture(scope="module")
def served(trained):
    """The real server on 127.0.0.1 serving a twin of `trained`."""
    from .browser import Served

    with Served(trained) as s:
        yield s


@pytest.fixture
def visit(chromium, served):
    """The page opened in a fresh browser context, recording its requests and errors."""
    from .browser import Visit

    v = Visit(chromium, served.url)
    v.open()
    yield v
    v.close()
