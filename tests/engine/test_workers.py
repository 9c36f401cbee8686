"""Shards in worker processes (striate.engine.workers): the work really leaves this
process, follows the reference switch, and failures lose nothing."""

import os
import warnings

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim
from striate.engine import arena
from striate.engine import threads, workers


@pytest.fixture
def two_cores():
    if not threads.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded: batches run whole")
    saved = threads.get_threads(), workers.enabled()
    threads.set_threads(2)
    workers.set_enabled(True)
    yield
    threads.set_threads(saved[0])
    workers.set_enabled(saved[1])


def net(seed=0, extra=()):
    model = striate.Sequential([L.Conv2D(4, 3, padding="same"), L.ReLU(), *extra, L.MaxPool2D(2), L.Flatten(),
                                L.Dense(5)], input_shape=(8, 8, 1), seed=seed, dtype=np.float64)
    return model.compile(optim.SGD(0.1, momentum=0.9), "cross_entropy")


def steps(model, x, y, n=3):
    return [model.train_step(x, y)[0] for _ in range(n)], [p.copy() for p in model.get_weights()]


def test_the_second_shard_runs_in_a_worker_and_trains_as_the_whole_batch(two_cores, rng):
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    sharded = steps(net(), x, y)
    running = workers.workers(1)
    assert running and running[0].proc.poll() is None and running[0].proc.pid != os.getpid()
    assert running[0].key is not None  # it holds the model: the shard was computed there
    threads.set_threads(1)
    whole = steps(net(), x, y)
    np.testing.assert_allclose(sharded[0], whole[0], rtol=1e-12)
    for a, b in zip(sharded[1], whole[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_a_layer_the_registry_cannot_describe_uses_threads(two_cores, rng):
    class Mine(L.ReLU):  # not in the registry: a worker could not rebuild it
        pass

    model = net(extra=[Mine()])
    assert not workers.describable(model, workers.model_key(model))
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sharded = steps(model, x, y)
    threads.set_threads(1)
    whole = steps(net(extra=[Mine()]), x, y)
    np.testing.assert_allclose(sharded[0], whole[0], rtol=1e-12)


def test_a_worker_that_dies_costs_a_warning_not_the_step(two_cores, rng):
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    model = net()
    model.train_step(x, y)
    worker = workers.workers(1)[0]
    worker.proc.kill()
    worker.proc.wait()
    with pytest.warns(RuntimeWarning, match="gone|exited"):
        loss, _ = model.train_step(x, y)
    assert not workers.enabled() and workers.running() == []
    reference = net()
    threads.set_threads(1)
    reference.train_step(x, y)
    expected, _ = reference.train_step(x, y)
    assert loss == pytest.approx(expected, rel=1e-12)


def test_worker_errors_are_reported_with_their_message(two_cores):
    worker = workers.workers(1)[0]
    with pytest.raises(workers.WorkerError, match="unknown op|before a model"):
        worker.ask({"op": "nonsense", "x": [0, [1], "<f8"], "out": 0})


def test_no_shared_memory_file_is_left_behind(two_cores, rng):
    before = {f for f in os.listdir(arena.shared_dir()) if f.startswith("striate-")}
    model = net()
    model.predict(rng.standard_normal((300, 8, 8, 1)), batch_size=300)
    after = {f for f in os.listdir(arena.shared_dir()) if f.startswith("striate-")}
    assert after <= before


def test_messages_are_length_prefixed_json(tmp_path):
    path = tmp_path / "pipe"
    with open(path, "wb") as f:
        arena.send(f, {"op": "train", "x": [0, [2, 3], "<f4"]})
    with open(path, "rb") as f:
        assert arena.receive(f) == {"op": "train", "x": [0, [2, 3], "<f4"]}
        assert arena.receive(f) is None  # closed: the worker's cue to exit


def test_an_error_mid_step_leaves_no_answer_behind(two_cores, rng):
    """A step that fails here after the worker got its shard must not leave the worker's
    answer to be read as the next step's."""
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    model = net()
    model.train_step(x, y)
    bad = y.copy()
    bad[0] = 99  # an out-of-range label in the first shard, the one computed here
    with pytest.raises(Exception):
        model.train_step(x, bad)
    after = steps(model, x, y, n=2)
    reference = net()
    threads.set_threads(1)
    reference.train_step(x, y)
    expected = steps(reference, x, y, n=2)
    np.testing.assert_allclose(after[0], expected[0], rtol=1e-12)
    for a, b in zip(after[1], expected[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_bad_data_in_the_workers_shard_raises_as_usual_and_keeps_workers_on(two_cores, rng):
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    model = net()
    model.train_step(x, y)
    bad = y.copy()
    bad[-1] = 99  # in the second shard: the worker's
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "threads from now on"
        with pytest.raises(Exception) as raised:
            model.train_step(x, bad)
    reference = net()
    reference.train_step(x, y)
    with pytest.raises(type(raised.value)):  # the same error the threads (or one batch) give
        threads.set_threads(1)
        reference.train_step(x, bad)
    threads.set_threads(2)
    assert workers.enabled()
    model.train_step(x, y)
    assert workers.running() and workers.running()[0].key is not None


def test_a_model_built_on_its_first_batch_trains_sharded(two_cores, rng):
    model = striate.Sequential([L.Flatten(), L.Dense(3)])
    model.compile("sgd", "cross_entropy")
    model.train_step(rng.standard_normal((64, 4, 4, 1)), rng.integers(0, 3, 64))
    assert model.evaluate(rng.standard_normal((64, 4, 4, 1)), rng.integers(0, 3, 64))["loss"] > 0


def test_a_forked_child_uses_its_own_workers(two_cores, rng):
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    global _inherited
    model = net()
    x = rng.standard_normal((64, 8, 8, 1))
    expected = model.predict(x, batch_size=64)  # the parent's worker now holds the model
    _inherited = (model, x)  # reaches the children by fork, not by pickling
    with multiprocessing.get_context("fork").Pool(4) as pool:  # four children at once
        results = pool.map_async(_predict_inherited, range(16), chunksize=1).get(timeout=60)
    for got in results:
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(model.predict(x, batch_size=64), expected, rtol=1e-12)


def test_no_room_for_shared_memory_falls_back_to_threads(two_cores, rng, monkeypatch):
    workers.shutdown()  # new workers, whose arenas are made below

    def full(fd, offset, size):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    monkeypatch.setattr(os, "ftruncate", full)
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    with pytest.warns(RuntimeWarning, match="shared memory"):
        loss = steps(net(), x, y)
    threads.set_threads(1)
    np.testing.assert_allclose(loss[0], steps(net(), x, y)[0], rtol=1e-12)


def test_the_reference_switch_reaches_the_workers(two_cores, rng):
    """A worker computes its shard on the reference ops exactly while this process does,
    and its shard gives what the whole batch gives on the reference path."""
    x, y = rng.standard_normal((64, 8, 8, 1)), rng.integers(0, 5, 64)
    model = net()
    model.train_step(x, y)
    worker = workers.running()[0]
    assert worker.ask({"op": "status"}) == {"reference": striate.reference_path()}
    with striate.reference():
        sharded = steps(model, x, y, n=1)
        assert worker.ask({"op": "status"}) == {"reference": True}
        threads.set_threads(1)
        reference = net()
        reference.train_step(x, y)
        whole = steps(reference, x, y, n=1)
    np.testing.assert_allclose(sharded[0], whole[0], rtol=1e-12)
    for a, b in zip(sharded[1], whole[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    threads.set_threads(2)
    with striate.reference(False):
        model.predict(rng.standard_normal((64, 8, 8, 1)), batch_size=64)
        assert worker.ask({"op": "status"}) == {"reference": False}


_inherited = None


def _predict_inherited(_):
    model, x = _inherited
    return model.predict(x, batch_size=64)


def test_a_worker_whose_parent_is_gone_leaves_quietly():
    """Its answer finds a closed pipe (the parent was interrupted): no traceback on stderr."""
    import json
    import struct
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "striate.engine.worker_main"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # nobody will read the answer
    message = json.dumps({"op": "status"}).encode()
    proc.stdin.write(struct.pack("<I", len(message)) + message)
    proc.stdin.flush()
    assert proc.wait(timeout=30) == 0
    assert proc.stderr.read() == b""
    proc.stdin.close()
    proc.stderr.close()
