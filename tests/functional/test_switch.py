"""The one switch between the fast kernels and the reference ops really routes every layer."""

import os
import subprocess
import sys

import numpy as np
import pytest

import striate
from striate import layers as L
from striate.functional import fast


def model():
    net = striate.Sequential([L.Conv2D(4, 3, padding=1), L.ReLU(), L.MaxPool2D(2), L.AvgPool2D(2),
                              L.Conv2DTranspose(2, 3, stride=2), L.Flatten(), L.Dense(3)],
                             input_shape=(8, 8, 1), seed=0)
    return net.compile("sgd", "cross_entropy")


def refuse(name):
    def fail(*args, **kwargs):
        raise AssertionError(f"the fast kernel {name} ran")
    return fail


@pytest.fixture
def fast_kernels_refuse(monkeypatch):
    for name in fast.__all__:
        monkeypatch.setattr(fast, name, refuse(name))


def test_the_reference_path_runs_no_fast_kernel(fast_kernels_refuse, rng):
    x, y = rng.random((4, 8, 8, 1), dtype=np.float32), np.arange(4) % 3
    with striate.reference():
        model().train_step(x, y)
        model().predict(x)
    with striate.reference(False), pytest.raises(AssertionError, match="the fast kernel conv2d ran"):
        model().predict(x)  # the fast path (the default) does run them


def test_the_switch_comes_back_after_the_block_and_checks_its_argument():
    before = striate.reference_path()
    with striate.reference():
        assert striate.reference_path()
        with striate.reference(False):
            assert not striate.reference_path()
        assert striate.reference_path()
    assert striate.reference_path() == before
    with pytest.raises(ValueError, match="set_reference: flag must be True or False, got 1"):
        striate.set_reference(1)


@pytest.mark.parametrize("value,expected", [("1", True), ("0", False), ("", False)])
def test_striate_reference_in_the_environment(value, expected):
    env = {**os.environ, "STRIATE_REFERENCE": value}
    out = subprocess.run([sys.executable, "-c", "import striate; print(striate.reference_path())"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(expected)
