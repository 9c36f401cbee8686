"""The JSON API against the model itself: predictions, every layer's output, gradients."""

import base64
import threading

import numpy as np
import pytest

from striate.web import create_app, encode

from .conftest import TestClient, assert_unchanged, colour_model, png, snapshot

PNG = {"content-type": "image/png"}


def as_input(image, channels=1):
    """What an 8-bit PNG of `image` decodes to: float32 (H, W, C) = byte / 255."""
    a = np.round(np.clip(np.asarray(image, np.float64), 0, 1) * 255).astype(np.uint8).astype(np.float32) / 255
    return a.reshape(a.shape[0], a.shape[1], channels)


def twin_upto(model, k):
    """The model's first k layers as a model of their own (same weights): an independent way to
    get the output of layer k through the engine (fused steps and all)."""
    from striate.web.watch import load
    from striate.model import Sequential

    part = Sequential([type(layer)(**layer.get_config()) for layer in model.layers[:k]],
                      input_shape=model.input_shape, seed=0, dtype=model.dtype)
    load(part, [a for layer in model.layers[:k] for g in (layer.params, layer.state) for a in g.values()])
    return part


def test_predict_equals_model_predict_on_the_decoded_image(client, lenet, digit):
    r = client.post("/api/predict", content=png(digit), headers=PNG)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["classes"] == [str(i) for i in range(10)] and body["notes"] == []
    expected = lenet.predict_proba(as_input(digit)[None])[0]
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-5, atol=1e-7)


def test_forward_gives_every_layer_output_as_the_model_computes_it(client, lenet, digit):
    body = client.post("/api/forward", content=png(digit), headers=PNG).json()
    x = as_input(digit)[None]
    np.testing.assert_array_equal(encode.decode(body["input"]), x[0])
    assert [layer["name"] for layer in body["layers"]] == [layer.name for layer in lenet.layers]
    for k, layer in enumerate(body["layers"], start=1):
        expected = twin_upto(lenet, k).predict(x)[0]
        np.testing.assert_allclose(encode.decode(layer["output"]), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(body["softmax"]["probabilities"], lenet.predict_proba(x)[0], rtol=1e-6)


@pytest.mark.parametrize("where", [(1, (0, 0, 0)), (1, (13, 14, 5)), (1, (27, 27, 3)), (4, (0, 9, 15)), (4, (5, 5, 7))])
def test_the_arithmetic_of_a_conv_pixel_equals_the_models_activation(client, lenet, digit, where):
    layer, (i, j, f) = where
    image = base64.b64encode(png(digit)).decode()
    body = client.post("/api/pixel", json={"image": image, "layer": layer, "row": i, "col": j, "channel": f}).json()
    expected = float(twin_upto(lenet, layer).predict(as_input(digit)[None])[0, i, j, f])
    assert body["kind"] == "conv"
    assert body["value"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    products = np.array(body["window"]) * np.array(body["kernel"])
    np.testing.assert_allclose(body["products"], products)
    assert sum(body["channel_sums"]) == pytest.approx(body["sum"])
    assert body["sum"] + body["bias"] == pytest.approx(body["computed"])
    assert body["computed"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert len(body["rows"]) == 5 and len(body["channels"]) == lenet.layers[layer - 1].input_shape[-1]


def test_pooling_shows_the_window_and_its_winner(client, lenet, digit):
    image = base64.b64encode(png(digit)).decode()
    body = client.post("/api/pixel", json={"image": image, "layer": 3, "row": 4, "col": 6, "channel": 1}).json()
    relu = twin_upto(lenet, 2).predict(as_input(digit)[None])[0, :, :, 1]
    assert body["kind"] == "max" and body["rows"] == [8, 9] and body["cols"] == [12, 13]
    np.testing.assert_allclose(body["window"], relu[8:10, 12:14], rtol=1e-6)
    r, c = body["winner"]
    assert relu[r, c] == relu[8:10, 12:14].max() == pytest.approx(body["value"])
    assert body["field"]["previous"] == [8, 12, 9, 13] and body["field"]["input"] == [6, 10, 11, 15]


def test_dense_relu_and_flatten_values(client, lenet, digit):
    image = base64.b64encode(png(digit)).decode()
    x = as_input(digit)[None]
    for layer, where, kind in [(8, {"unit": 17}, "dense"), (9, {"unit": 17}, "activation"),
                               (7, {"unit": 123}, "flatten"), (12, {"unit": 4}, "dense")]:
        body = client.post("/api/pixel", json={"image": image, "layer": layer, **where}).json()
        expected = float(twin_upto(lenet, layer).predict(x)[0, list(where.values())[0]])
        assert body["kind"] == kind
        assert body["value"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
        assert body["computed"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_backward_ends_in_the_input_gradient_and_leaves_the_model_unchanged(client, lenet, digit):
    before = snapshot(lenet)
    image = base64.b64encode(png(digit)).decode()
    x = as_input(digit)[None]
    for label in (3, 7):
        body = client.post("/api/backward", json={"image": image, "class": label}).json()
        expected = lenet.input_gradient(x, np.array([label]), loss="cross_entropy")[0]
        grad = encode.decode(body["input_grad"])
        np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(encode.decode(body["saliency"]), np.abs(expected).max(axis=-1), rtol=1e-4, atol=1e-7)
        p = lenet.predict_proba(x)[0]
        assert body["loss"] == pytest.approx(-np.log(p[label]), rel=1e-5)
    assert_unchanged(lenet, before)


def test_the_gradient_goes_through_max_pooling_to_the_winners_only(client, lenet, digit):
    image = base64.b64encode(png(digit)).decode()
    body = client.post("/api/backward", json={"image": image, "class": 2}).json()
    into_pool = encode.decode(body["layers"][1]["grad"])   # d loss / d output of ReLU #2 (the pool's input)
    out_of_pool = encode.decode(body["layers"][2]["grad"])  # d loss / d output of MaxPool2D #3
    relu = twin_upto(lenet, 2).predict(as_input(digit)[None])[0]
    expected = np.zeros_like(relu)
    for i in range(14):
        for j in range(14):
            for c in range(6):
                window = relu[2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c]
                r, s = np.unravel_index(np.argmax(window), window.shape)
                expected[2 * i + r, 2 * j + s, c] = out_of_pool[i, j, c]
    np.testing.assert_allclose(into_pool, expected, rtol=1e-6)


def test_a_convolutions_kernel_gradient_is_its_input_correlated_with_its_output_gradient(client, lenet, digit):
    from striate import functional as F

    image = base64.b64encode(png(digit)).decode()
    body = client.post("/api/backward", json={"image": image, "class": 5}).json()
    x = as_input(digit)[None].astype(np.float64)
    dy = encode.decode(body["layers"][0]["grad"]).astype(np.float64)[None]  # d loss / d output of Conv2D #1
    kernel = lenet.layers[0].params["kernel"].astype(np.float64)
    _, cache = F.conv2d(x, kernel, None, (1, 1), ((2, 2), (2, 2)))
    _, dk, _ = F.conv2d_backward(dy, cache, kernel, (1, 1), ((2, 2), (2, 2)))
    np.testing.assert_allclose(encode.decode(body["layers"][0]["kernel_grad"]), dk, rtol=1e-4, atol=1e-6)


def test_a_colour_model_with_batchnorm_dropout_groups_and_dilation():
    model = colour_model()
    before = snapshot(model)
    client = TestClient(create_app(model))
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 1, (20, 24, 3))
    x = as_input(image, 3)[None]
    body = client.post("/api/predict", content=png(image), headers=PNG).json()
    np.testing.assert_allclose(body["probabilities"], model.predict(x)[0], rtol=1e-5)
    assert body["classes"] == ["a", "b", "c", "d", "e"]
    b64 = base64.b64encode(png(image)).decode()
    for layer, where in [(1, (0, 0, 2)), (1, (9, 11, 3)), (2, (4, 5, 1)), (3, (9, 0, 0)), (4, (0, 5, 5)),
                         (4, (7, 11, 1)), (6, (2, 3, 4))]:
        answer = client.post("/api/pixel", json={"image": b64, "layer": layer, "row": where[0], "col": where[1],
                                                 "channel": where[2]}).json()
        expected = float(twin_upto(model, layer).predict(x)[(0, *where)])
        assert answer["value"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
        assert answer["computed"] == pytest.approx(expected, rel=1e-5, abs=1e-6), answer["kind"]
    answer = client.post("/api/pixel", json={"image": b64, "layer": 10, "unit": 2}).json()
    assert answer["kind"] == "softmax" and answer["computed"] == pytest.approx(answer["value"], rel=1e-5)
    back = client.post("/api/backward", json={"image": b64, "class": 1}).json()
    # the model ends in Softmax: the loss is −ln p[1], whose gradient the input_gradient of
    # the model without its Softmax layer, with cross-entropy, gives too
    logits = twin_upto(model, 9)
    expected = logits.input_gradient(x, np.array([1]), loss="cross_entropy")[0]
    np.testing.assert_allclose(encode.decode(back["input_grad"]), expected, rtol=1e-3, atol=1e-6)
    assert back["loss"] == pytest.approx(-np.log(model.predict(x)[0, 1]), rel=1e-5)
    assert client.get("/api/filters").json()["layers"][0]["kernel"]["shape"] == [3, 3, 3, 4]
    assert_unchanged(model, before)


def test_global_pooling_of_a_model_for_any_size_shown_at_one():
    from striate import models
    from striate.cli.common import at_fixed_size

    model, _ = at_fixed_size(models.get("fcn", seed=0))
    client = TestClient(create_app(model))
    image = np.random.default_rng(6).uniform(0, 1, (28, 28))
    b64 = base64.b64encode(png(image)).decode()
    answer = client.post("/api/pixel", json={"image": b64, "layer": 12, "unit": 7}).json()
    expected = float(model.predict(as_input(image)[None])[0, 7])
    assert answer["kind"] == "global" and answer["count"] == 49
    assert answer["value"] == pytest.approx(expected, rel=1e-5)
    assert answer["computed"] == pytest.approx(expected, rel=1e-5)


def test_concurrent_requests_get_the_answers_of_one_at_a_time(lenet):
    client = TestClient(create_app(lenet))
    rng = np.random.default_rng(4)
    images = [rng.uniform(0, 1, (28, 28)) for _ in range(6)]
    results = [None] * len(images)

    def ask(i):
        results[i] = client.post("/api/forward", content=png(images[i]), headers=PNG).json()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(images))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for image, result in zip(images, results):
        np.testing.assert_allclose(result["probabilities"], lenet.predict_proba(as_input(image)[None])[0], rtol=1e-5)


def test_filters_are_the_kernels(client, lenet):
    body = client.get("/api/filters").json()
    assert [item["index"] for item in body["layers"]] == [1, 4]
    np.testing.assert_array_equal(encode.decode(body["layers"][1]["kernel"]), lenet.layers[3].params["kernel"])


def test_the_page_and_its_files_are_served_with_stable_test_ids(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for testid in ("draw-canvas", "probability-bars", "forward-layers", "arithmetic-panel", "class-picker",
                   "saliency-map", "filters", "upload-input", "training-panel"):
        assert f'data-testid="{testid}"' in page.text
    for script in ("common.js", "maps.js", "input.js", "forward.js", "arithmetic.js", "backward.js", "filters.js",
                   "training.js", "main.js", "style.css"):
        assert f"/static/{script}" in page.text
        r = client.get(f"/static/{script}")
        assert r.status_code == 200 and len(r.content) > 100
    scripts = "".join(client.get(f"/static/{name}").text for name in ("main.js", "forward.js", "arithmetic.js"))
    for testid in ("prob-bar-", "map-", "arithmetic-value", "arithmetic-computed"):
        assert testid in scripts
