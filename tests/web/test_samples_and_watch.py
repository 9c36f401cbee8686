"""Test images of the model's data set, and a training run watched from the page."""

import json

import numpy as np
import pytest

from striate import models
from striate.web import create_app, encode
from striate.web.samples import Samples, guess
from striate.web.watch import Feed, Watch

from ..datasets.test_datasets import write_fake_mnist
from .conftest import TestClient, png

PNG = {"content-type": "image/png"}


@pytest.fixture
def fake_mnist(tmp_path):
    return write_fake_mnist(tmp_path / "mnist", np.random.default_rng(0))


def test_test_images_are_offered_and_predicted_like_the_data_set_says(lenet, fake_mnist):
    from striate.datasets import load_folder

    samples = Samples(lenet, "mnist", fake_mnist, count=10)
    client = TestClient(create_app(lenet, samples=samples))
    assert client.get("/api/samples").json() == {"dataset": "mnist", "available": True, "count": 10, "reason": None}
    (_, _), (x_test, y_test) = load_folder(fake_mnist)
    r = client.get("/api/samples/3")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert int(r.headers["x-label"]) == y_test[3]
    body = client.post("/api/predict", content=r.content, headers=PNG).json()
    np.testing.assert_allclose(body["probabilities"], lenet.predict_proba(x_test[3:4])[0], rtol=1e-5)
    assert client.get("/api/samples/10").status_code == 404
    assert "0..9" in client.get("/api/samples/x").json()["error"]
    for text in ("²", "9" * 5000, "-1", "1e1"):  # no digits int() would choke on: 404, never 500
        r = client.get(f"/api/samples/{text}")
        assert r.status_code == 404 and "0..9" in r.json()["error"], text


def test_without_a_local_copy_the_page_says_so(lenet, tmp_path):
    client = TestClient(create_app(lenet, samples=Samples(lenet, "mnist", tmp_path / "nowhere")))
    info = client.get("/api/samples").json()
    assert info["available"] is False and "no local copy of mnist" in info["reason"]
    assert "no local copy" in client.get("/api/samples/0").json()["error"]


def test_the_data_set_is_guessed_from_the_class_names(lenet):
    assert guess(lenet) is None
    from striate.datasets import catalog

    lenet.class_names = list(catalog.SPECS["fashion-mnist"].class_names)
    assert guess(lenet) == "fashion-mnist"
    assert "does not say which data set" in Samples(models.get("lenet5", seed=0)).describe()["reason"]


def test_images_of_another_shape_than_the_model_are_not_offered(fake_mnist):
    model = models.get("seed-table", seed=0)
    info = Samples(model, "mnist", fake_mnist).describe()
    assert info["available"] is False and "28×28×1" in info["reason"] and "32×32×3" in info["reason"]


def test_a_watched_run_publishes_curves_filters_predictions_and_weights(fake_mnist):
    from striate.datasets import load_folder

    (x, y), (xt, yt) = load_folder(fake_mnist)
    model = models.get("lenet5", seed=0).compile("sgd", "cross_entropy", ["accuracy"])
    feed = Feed()
    page_model = model.twin()
    client = TestClient(create_app(page_model, feed=feed))
    assert client.get("/api/model").json()["watch"] is True
    watch = Watch(feed, xt[:4], yt[:4], every=0.0, batches=4)  # a snapshot after every batch
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[watch])
    snap = client.get("/api/training").json()
    assert snap["finished"] is True and len(snap["points"]) == 8
    assert snap["points"][-1][0] == pytest.approx(2.0) and [e["epoch"] for e in snap["epochs"]] == [1, 2]
    np.testing.assert_array_equal(encode.decode(snap["filters"]), model.layers[0].params["kernel"])
    np.testing.assert_allclose(snap["probabilities"], model.predict_proba(xt[:4]), rtol=1e-5)
    assert snap["labels"] == [int(v) for v in yt[:4]]
    # the page's other panels run on the twin, brought up to the last weights
    image = np.random.default_rng(1).uniform(0, 1, (28, 28))
    x1 = (np.round(image * 255) / 255).astype(np.float32)[None, :, :, None]
    body = client.post("/api/predict", content=png(image), headers=PNG).json()
    np.testing.assert_allclose(body["probabilities"], model.predict_proba(x1)[0], rtol=1e-5)
    with client.stream("GET", "/api/training/events") as events:
        lines = [line for line in events.iter_lines() if line.startswith("data:")]
    assert len(lines) == 1 and '"finished": true' in lines[0]


def test_without_a_run_there_is_no_training_feed(client):
    assert client.get("/api/training").status_code == 404
    assert "--watch" in client.get("/api/training/events").json()["error"]


def test_a_diverging_run_streams_strict_json(lenet):
    feed = Feed()
    feed.publish(probabilities=np.full((2, 10), np.nan), images=np.zeros((2, 28, 28, 1)), labels=np.array([1, 2]))
    feed.add_epoch({"epoch": 1, "loss": float("nan"), "accuracy": 0.1})
    feed.add_point(0.5, float("inf"), 0.1)
    feed.publish(finished=True)
    client = TestClient(create_app(lenet.twin(), feed=feed))
    strict = {"parse_constant": lambda word: pytest.fail(f"sent {word}")}
    snap = json.loads(client.get("/api/training").text, **strict)
    assert snap["probabilities"][0] == [None] * 10 and snap["epochs"] == [{"epoch": 1, "loss": None, "accuracy": 0.1}]
    assert snap["points"] == [[0.5, None, 0.1]]
    with client.stream("GET", "/api/training/events") as events:
        lines = [line for line in events.iter_lines() if line.startswith("data:")]
    assert json.loads(lines[0][len("data:"):], **strict)["probabilities"][1] == [None] * 10
