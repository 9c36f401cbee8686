"""The engine runs its steps with its own ufunc buffer size, NumPy's default, whatever the
caller set (striate.engine.ufunc_buffer), and the caller's setting is the same afterwards:
after fit, train_step, predict and evaluate, after an error inside a step, and in every
thread that calls them."""

import threading

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim
from striate.engine import threads as T
from striate.engine import ufunc_buffer, workers

USER = 16384  # a setting of the user's own, neither NumPy's default nor the engine's


class Probe(L.Layer):
    """The identity, noting the ufunc buffer size and the thread of every forward and backward."""

    def __init__(self, seen):
        super().__init__()
        self.seen = seen  # shared with the thread replicas (shallow copies)

    def forward(self, x, training=False):
        x = self._check_input(x)
        self.seen.append((np.getbufsize(), threading.get_ident()))
        return self._keep(training, x.copy(), True)

    def backward(self, dy, input_grad=True):
        dy = self._check_grad(dy)
        self.seen.append((np.getbufsize(), threading.get_ident()))
        return dy


class Failing(L.Layer):
    def forward(self, x, training=False):
        raise ArithmeticError("a step that fails")


def probed_net(seen):
    model = striate.Sequential([L.Conv2D(4, 3, padding="same"), L.ReLU(), L.MaxPool2D(2), Probe(seen),
                                L.Flatten(), L.Dense(10)], input_shape=(8, 8, 1), seed=0)
    model.compile(optim.SGD(0.1, momentum=0.9), "cross_entropy")
    return model


@pytest.fixture
def user_setting():
    """The test's thread starts with the user's own buffer size; NumPy's is put back after."""
    with np.errstate():
        np.setbufsize(USER)
        yield


@pytest.fixture
def two_threads():
    saved_threads, saved_workers = T.get_threads(), workers.enabled()
    T.set_threads(2)
    workers.set_enabled(False)
    yield
    T.set_threads(saved_threads)
    workers.set_enabled(saved_workers)


def test_scope_sets_the_buffer_inside_and_restores_it_after(user_setting):
    with ufunc_buffer.scope():
        assert np.getbufsize() == ufunc_buffer.UFUNC_BUFFER
        with ufunc_buffer.scope(4096):
            assert np.getbufsize() == 4096
        assert np.getbufsize() == ufunc_buffer.UFUNC_BUFFER
    assert np.getbufsize() == USER
    with pytest.raises(ZeroDivisionError), ufunc_buffer.scope():
        1 / 0
    assert np.getbufsize() == USER


def test_steps_run_with_the_engine_buffer_and_leave_the_users(user_setting, rng):
    seen = []
    model = probed_net(seen)
    x, y = rng.standard_normal((40, 8, 8, 1)).astype(np.float32), rng.integers(0, 10, 40)
    model.train_step(x, y)
    model.fit(x, y, epochs=1, batch_size=20, verbose=0)
    model.predict(x)
    model.evaluate(x, y)
    model.input_gradient(x[:3], y[:3])
    assert np.getbufsize() == USER
    assert seen and {size for size, _ in seen} == {ufunc_buffer.UFUNC_BUFFER}
    model.predict(x[:1])  # a single image runs as it is, outside the scope
    assert seen[-1][0] == USER and np.getbufsize() == USER


def test_an_error_inside_a_step_leaves_the_users_buffer(user_setting, rng):
    model = striate.Sequential([L.Flatten(), Failing()], input_shape=(4, 4, 1))
    model.compile("sgd", "mse")
    with pytest.raises(ArithmeticError, match="a step that fails"):
        model.predict(rng.standard_normal((5, 4, 4, 1)))
    assert np.getbufsize() == USER


def test_shards_on_threads_use_the_engine_buffer_and_threads_keep_their_own(two_threads, rng):
    """Sharded batches run on the engine's threads too, each inside its own scope; a user's
    threads calling the model keep their own settings."""
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded: batches run whole")
    seen = []
    model = probed_net(seen)
    x, y = rng.standard_normal((64, 8, 8, 1)).astype(np.float32), rng.integers(0, 10, 64)
    after = {}

    def user_thread(size):
        np.setbufsize(size)  # a new thread's own setting
        model.predict(x)
        model.train_step(x, y)
        after[size] = np.getbufsize()

    for size in (8192, 32768):
        t = threading.Thread(target=user_thread, args=(size,))
        t.start()
        t.join()
    assert after == {8192: 8192, 32768: 32768}
    assert len({ident for _, ident in seen}) >= 2  # the shards did run on more than one thread
    assert {size for size, _ in seen} == {ufunc_buffer.UFUNC_BUFFER}
