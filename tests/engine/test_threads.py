"""Batches split across threads or worker processes give the same training as the batch
run whole (striate.engine.threads, the one shard step of striate.engine.shard)."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim
from striate.engine import threads as T
from striate.engine import workers


@pytest.fixture
def threads():
    saved = T.get_threads()
    yield T.set_threads
    T.set_threads(saved)


@pytest.fixture(params=["threads", "processes"])
def backend(request):
    """Shards on threads of this process, or in worker processes (striate.engine.workers)."""
    saved = workers.enabled()
    workers.set_enabled(request.param == "processes")
    yield request.param
    workers.set_enabled(saved)


def small_net(seed, dtype=np.float64):
    return striate.Sequential([
        L.Conv2D(4, 3, padding="same"), L.ReLU(), L.MaxPool2D(2), L.Conv2D(8, 3, stride=2), L.Tanh(),
        L.Flatten(), L.Dense(10),
    ], input_shape=(12, 12, 2), seed=seed, dtype=dtype)


def test_shards_cover_the_batch_evenly(threads):
    threads(2)
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded")
    assert T.shards(64) == [(0, 32), (32, 64)]
    assert T.shards(33) == [(0, 16), (16, 33)]
    assert T.shards(31) is None  # too small to be worth two threads
    threads(1)
    assert T.shards(1000) is None


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_sharded_steps_equal_whole_batch_steps(loss, threads, backend, rng):
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded")
    x = rng.standard_normal((70, 12, 12, 2))
    y = rng.integers(0, 10, 70) if loss == "cross_entropy" else rng.standard_normal((70, 10))
    results = []
    for n in (1, 3):
        threads(n)
        model = small_net(seed=2)
        model.compile(optim.SGD(0.1, momentum=0.9), loss)
        steps = [model.train_step(x, y) for _ in range(3)]
        grads = [g.copy() for layer in model.layers for g in layer.grads.values()]
        results.append((steps, grads, [p.copy() for layer in model.layers for p in layer.params.values()]))
    (steps1, grads1, params1), (steps3, grads3, params3) = results
    for (l1, o1), (l3, o3) in zip(steps1, steps3):
        assert l1 == pytest.approx(l3, rel=1e-12)
        np.testing.assert_allclose(o1, o3, rtol=1e-12, atol=1e-13)
    for a, b in zip(grads1 + params1, grads3 + params3):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_sharded_predict_and_evaluate_equal_whole(threads, backend, rng):
    x = rng.standard_normal((100, 12, 12, 2))
    y = rng.integers(0, 10, 100)
    model = small_net(seed=4).compile("sgd", "cross_entropy", ["accuracy"])
    threads(1)
    whole, whole_eval = model.predict(x, batch_size=100), model.evaluate(x, y)
    threads(2)
    np.testing.assert_allclose(model.predict(x, batch_size=100), whole, rtol=1e-12)
    assert model.evaluate(x, y) == pytest.approx(whole_eval, rel=1e-12)


def test_replicas_share_params_but_not_grads_or_caches():
    model = small_net(seed=1)
    twin = model.layers[0].replica()
    assert twin.params is model.layers[0].params
    assert twin.grads is not model.layers[0].grads and twin.twin_of is model.layers[0]
    model.layers[0].params["kernel"][...] = 0
    assert np.all(twin.params["kernel"] == 0)


def test_a_layer_can_opt_out_of_sharding(threads):
    class Coupled(L.ReLU):
        shardable = False

    threads(2)
    model = striate.Sequential([Coupled(), L.Flatten(), L.Dense(2)], input_shape=(4, 4, 1))
    assert model.shards(256, training=True) is None
    assert model.shards(256, training=False) is not None or not T.blas_available()


def test_replicas_follow_a_conversion_to_float64(threads, backend, rng):
    threads(2)
    model = small_net(seed=3, dtype=np.float32)
    x = rng.standard_normal((64, 12, 12, 2))
    model.predict(x, batch_size=64)  # makes the replicas
    for layer in model.layers:
        layer.astype(np.float64)
    split, whole = model.predict(x, batch_size=64), model.predict(x, batch_size=8)
    assert split.dtype == np.float64
    np.testing.assert_allclose(split, whole, rtol=1e-13, atol=1e-14)


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.setenv("STRIATE_NUM_THREADS", "1")
    assert T.threads_from_environment() == 1
    for junk in ("", "zero", "-2", "0"):
        monkeypatch.setenv("STRIATE_NUM_THREADS", junk)
        assert T.threads_from_environment() == T.cpu_count()


def test_whole_threads_and_processes_give_one_shard_steps_result(threads, rng):
    """The one shard step, run whole, on threads and in worker processes: the same loss,
    output and gradients, to float rounding."""
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded")
    x, y = rng.standard_normal((80, 12, 12, 2)), rng.integers(0, 10, 80)
    saved = workers.enabled()
    results = {}
    try:
        for name, n, on in (("whole", 1, False), ("threads", 3, False), ("processes", 3, True)):
            threads(n)
            workers.set_enabled(on)
            model = small_net(seed=5).compile("sgd", "cross_entropy")
            assert (model.shards(80, training=True) is None) == (name == "whole")
            loss, out = model.train_step(x, y)
            results[name] = loss, out, [g.copy() for layer in model.layers for g in layer.grads.values()]
    finally:
        workers.set_enabled(saved)
    loss, out, grads = results["whole"]
    for name in ("threads", "processes"):
        assert results[name][0] == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(results[name][1], out, rtol=1e-12, atol=1e-13)
        for a, b in zip(results[name][2], grads):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_sharded_steps_of_a_winograd_net_equal_the_reference_path(threads, backend, rng):
    """A net whose second convolution runs Winograd (3×3, 16 channels), trained on shards
    (each replica with its own scratch), and batches of changing size: the reference's steps."""
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded")
    from striate.functional.fast import algorithms

    assert algorithms.conv_method((40, 10, 10, 16), (3, 3, 16, 16), (1, 1), (1, 1), 1) == "winograd"

    def net():
        layers = [L.Conv2D(16, 3, padding="same"), L.ReLU(), L.Conv2D(16, 3, padding="same"), L.Tanh(),
                  L.Flatten(), L.Dense(10)]
        model = striate.Sequential(layers, input_shape=(10, 10, 2), seed=7, dtype=np.float64)
        return model.compile(optim.SGD(0.1, momentum=0.9), "cross_entropy")

    x, y = rng.standard_normal((70, 10, 10, 2)), rng.integers(0, 10, 70)
    threads(2)
    sharded = net()
    steps = [sharded.train_step(x[:n], y[:n]) for n in (70, 64, 70)]
    threads(1)
    with striate.reference():
        whole = net()
        expected = [whole.train_step(x[:n], y[:n]) for n in (70, 64, 70)]
    for (loss, out), (loss_ref, out_ref) in zip(steps, expected):
        assert loss == pytest.approx(loss_ref, rel=1e-10)
        np.testing.assert_allclose(out, out_ref, rtol=1e-9, atol=1e-11)
    for a, b in zip(sharded.layers, whole.layers):
        for key in a.params:
            np.testing.assert_allclose(a.params[key], b.params[key], rtol=1e-9, atol=1e-11)
