"""Bad requests get a 4xx status and {"error": message} saying what was wrong; the model stays as it was."""

import base64
import io
import json

import numpy as np
import pytest

from striate import limits, models
from striate.web import create_app

from .conftest import TestClient, assert_unchanged, png, snapshot

PNG = {"content-type": "image/png"}


def jpeg(array) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.asarray(array) * 255).astype(np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def error(response, status, *words):
    assert response.status_code == status, response.text
    message = response.json()["error"]
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize("body, words", [
    (b"", ["empty"]),
    (b"hello, this is text", ["not a PNG or JPEG", "hello"]),
    (b"GIF89a\x01\x00\x01\x00", ["not a PNG or JPEG"]),
])
def test_bodies_that_are_no_image(client, body, words):
    error(client.post("/api/predict", content=body, headers=PNG), 400, *words)


def test_a_truncated_png_is_named_as_such(client, digit):
    data = png(digit)
    error(client.post("/api/predict", content=data[: len(data) // 2], headers=PNG), 400, "PNG", "truncated")


def test_a_huge_body_is_refused_before_it_is_read_whole(lenet, digit):
    client = TestClient(create_app(lenet, max_body=1000))
    error(client.post("/api/predict", content=png(np.random.default_rng(0).random((64, 64))), headers=PNG),
          413, "limit of 1,000")


def test_an_image_over_the_pixel_limit_is_refused_before_decoding(client):
    with limits.raised(max_image_pixels=100):
        error(client.post("/api/predict", content=png(np.zeros((28, 28))), headers=PNG), 400, "784", "100")


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_the_wrong_content_type(client, digit, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    error(client.post("/api/predict", content=png(digit), headers=headers), 415, "image/png")


@pytest.mark.parametrize("body, content_type, status, words", [
    (b"{not json", "application/json", 400, ["not valid JSON"]),
    (b"[1, 2]", "application/json", 400, ["JSON object"]),
    (b'{"layer": 1}', "text/plain", 415, ["application/json"]),
    (b'{"layer": 1, "row": 0, "col": 0, "channel": 0}', "application/json", 400, ['"image"']),
    (b'{"image": "%%%", "layer": 1}', "application/json", 400, ["base64"]),
    (b'{"layer": ' + b"9" * 5000 + b"}", "application/json", 400, ["not valid JSON"]),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, ["not valid JSON"]),
    (b'{"layer": 1, "\xff": 2}', "application/json", 400, ["not valid JSON"]),
])
def test_malformed_json_requests(client, body, content_type, status, words):
    error(client.post("/api/pixel", content=body, headers={"content-type": content_type}), status, *words)


@pytest.mark.parametrize("fields, words", [
    ({"layer": 0, "row": 0, "col": 0, "channel": 0}, ["layer must lie in 1..12, got 0"]),
    ({"layer": 13, "row": 0, "col": 0, "channel": 0}, ["layer must lie in 1..12, got 13"]),
    ({"layer": 1, "row": 28, "col": 0, "channel": 0}, ["row must lie in 0..27", "got 28"]),
    ({"layer": 1, "row": 0, "col": -1, "channel": 0}, ["col must lie in 0..27"]),
    ({"layer": 1, "row": 0, "col": 0, "channel": 6}, ["channel must lie in 0..5"]),
    ({"layer": 8, "unit": 120}, ["unit must lie in 0..119"]),
    ({"layer": 8, "row": 0, "col": 0, "channel": 0}, ["layer 8 outputs 120", "unit"]),
    ({"layer": 1, "row": 1.5, "col": 0, "channel": 0}, ['"row" must be a whole number, got 1.5']),
    ({"layer": "1", "row": 0, "col": 0, "channel": 0}, ['"layer" must be a whole number']),
])
def test_out_of_range_pixels(client, digit, fields, words):
    image = base64.b64encode(png(digit)).decode()
    status = 400 if "whole number" in words[0] else 422
    error(client.post("/api/pixel", json={"image": image, **fields}), status, *words)


@pytest.mark.parametrize("label, status, words", [(10, 422, ["class must lie in 0..9, got 10"]),
                                                  (-1, 422, ["got -1"]),
                                                  (True, 400, ["whole number"]), (None, 400, ["whole number"])])
def test_out_of_range_classes(client, digit, label, status, words):
    image = base64.b64encode(png(digit)).decode()
    error(client.post("/api/backward", json={"image": image, "class": label}), status, *words)


def test_unknown_paths_and_methods_answer_json(client):
    error(client.get("/api/nothing"), 404)
    error(client.get("/api/predict"), 405)
    error(client.get("/static/../app.py"), 404)
    for path in ("/static/..%2Fapp.py", "/static/%2e%2e%2fapi.py", "/static/..%5Capp.py", "/static/__init__.py"):
        r = client.get(path)  # the page's files are a dict in memory: no name reaches the file system
        assert r.status_code == 404 and r.headers["content-type"] == "application/json", path
    error(client.get("/api/samples/0"), 404, "no data set")


def test_a_request_that_runs_too_long_gets_503(lenet, digit):
    client = TestClient(create_app(lenet, timeout=1e-6))
    error(client.post("/api/forward", content=png(digit), headers=PNG), 503, "took over")


def test_bad_requests_leave_the_model_unchanged(lenet, digit):
    before = snapshot(lenet)
    client = TestClient(create_app(lenet))
    image = base64.b64encode(png(digit)).decode()
    client.post("/api/predict", content=png(digit)[:50], headers=PNG)
    client.post("/api/pixel", json={"image": image, "layer": 1, "row": 99, "col": 0, "channel": 0})
    client.post("/api/backward", json={"image": image, "class": 3})
    client.post("/api/forward", content=png(digit), headers=PNG)
    assert_unchanged(lenet, before)


def test_images_that_do_not_fit_are_converted_and_the_notes_say_how(client, lenet):
    rng = np.random.default_rng(0)
    colour = rng.uniform(0, 1, (56, 40, 3))
    body = client.post("/api/predict", content=png(colour), headers=PNG).json()
    assert body["notes"] == ["colour converted to grey", "cropped to its central 40×40",
                             "resized from 40×40 to 28×28"]
    rgba = np.concatenate([rng.uniform(0, 1, (28, 28, 3)), np.full((28, 28, 1), 0.5)], axis=-1)
    body = client.post("/api/predict", content=png(rgba), headers=PNG).json()
    assert any(note.startswith("transparent background shown as") for note in body["notes"])
    body = client.post("/api/predict", content=jpeg(rng.uniform(0, 1, (28, 28))),
                       headers={"content-type": "image/jpeg"})
    assert body.status_code == 200 and body.json()["notes"] == []


def test_a_colour_model_takes_a_grey_image_and_says_so():
    model = models.get("seed-table", seed=0)
    client = TestClient(create_app(model))
    body = client.post("/api/predict", content=png(np.zeros((32, 32))), headers=PNG).json()
    assert body["notes"] == ["grey image copied into the three colour channels"]


def test_models_the_page_cannot_show_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="classifiers .* 28×28×1"):
        create_app(models.get("autoencoder", seed=0))
    from striate import layers as L
    from striate.model import Sequential

    with pytest.raises(ValueError, match="images of a fixed size with 1 or 3 channels; this one takes 784"):
        create_app(Sequential([L.Dense(10)], input_shape=(784,)))


def test_a_model_whose_numbers_are_not_finite_answers_strict_json(lenet, digit):
    # a diverged run's weights: NaN everywhere downstream; JavaScript's JSON.parse refuses NaN, so null is sent
    lenet.layers[-1].params["bias"][0] = np.nan
    client = TestClient(create_app(lenet))
    for path in ("/api/predict", "/api/forward"):
        r = client.post(path, content=png(digit), headers=PNG)
        assert r.status_code == 200, r.text
        body = json.loads(r.text, parse_constant=lambda word: pytest.fail(f"{path} sent {word}"))
        assert body["probabilities"] == [None] * 10
    image = base64.b64encode(png(digit)).decode()
    r = client.post("/api/pixel", json={"image": image, "layer": 12, "unit": 0})
    assert r.status_code == 200 and json.loads(r.text, parse_constant=pytest.fail)["computed"] is None
