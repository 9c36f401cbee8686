"""striate.gradcheck passes on every built-in model and on trained ones, and fails on a planted bug."""

import numpy as np
import pytest

import striate
from striate import gradcheck
from striate import layers as L
from striate.cli.main import main


@pytest.mark.parametrize("name", list(striate.models.MODELS))
def test_every_built_in_model_passes(name, capsys):
    """BatchNorm models (fashion) and the autoencoder have gradients of 1e-6 whose numeric
    estimates are off by ~1e-9 from rounding alone: within the floor, not failures."""
    assert main(["gradcheck", name, "--samples", "4"]) == 0, capsys.readouterr().out
    assert "FAIL" not in capsys.readouterr().out


@pytest.fixture(scope="module")
def trained_lenet(tmp_path_factory):
    """LeNet-5 after one epoch on 2,000 MNIST digits: many ReLUs dead, pooling windows of zeros."""
    from .conftest import MNIST_DIR

    if not MNIST_DIR.is_dir():
        pytest.skip(f"MNIST not found at {MNIST_DIR}")
    path = tmp_path_factory.mktemp("trained") / "lenet.striate"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(MNIST_DIR), "--limit", "2000", "--epochs", "1",
                 "--json", "--out", str(path)]) == 0
    return path


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_trained_lenet5_passes_with_tied_maxima_at_kinks(trained_lenet, seed, capsys):
    model = striate.load(trained_lenet)
    rows = gradcheck.check(model, samples=30, seed=seed)
    assert all(r.ok for r in rows), gradcheck.table(rows)
    pools = [r for r in rows if "MaxPool2D" in r.layer]
    assert sum(r.skipped for r in pools) > 0  # windows of tied zeros were found and skipped, not failed
    assert main(["gradcheck", str(trained_lenet), "--seed", str(seed)]) == 0


def test_a_planted_bug_fails(monkeypatch, capsys):
    """Dense's input gradient 1 % too large: every entry that is not a kink fails."""
    backward = L.Dense.backward
    monkeypatch.setattr(L.Dense, "backward", lambda self, dy: 1.01 * backward(self, dy))
    rows = gradcheck.check(striate.models.lenet5(seed=0), samples=8)
    failed = {(r.layer, r.tensor) for r in rows if not r.ok}
    assert ("#10 Dense(84)", "input") in failed and ("#12 Dense(10)", "input") in failed
    assert main(["gradcheck", "lenet5"]) == 1
    assert "FAILED: " in capsys.readouterr().out


def test_a_planted_bug_in_a_pooling_backward_fails(monkeypatch):
    """The gradient sent to the wrong entry of each window (a transposed switch)."""
    backward = L.MaxPool2D.backward

    def swapped(self, dy):
        dx = backward(self, dy)
        return dx[:, :, ::-1] if dx.shape[2] % 2 == 0 else dx

    monkeypatch.setattr(L.MaxPool2D, "backward", swapped)
    rows = gradcheck.check(striate.models.lenet5(seed=0), samples=16)
    assert any(not r.ok for r in rows if "MaxPool2D" in r.layer)


def test_the_floor_is_rounding_only():
    """A gradient of 1e-6 off by 1e-9 passes; off by 1e-7 (10 %) it fails, whatever the floor."""
    f_size = 17.0  # Σ|terms| of fashion's f
    floor = gradcheck.ROUNDING * f_size / 1e-6
    assert 1e-9 < floor < 1e-7
    row = gradcheck.GradCheck("x", "input", (1,), 1, 0, 1e-3, 1e-9, failed=0, floor=floor)
    assert row.ok and row.status == "ok"
    assert not gradcheck.GradCheck("x", "input", (1,), 1, 0, 0.1, 1e-7, failed=1, floor=floor).ok


def test_every_entry_compared_on_a_small_net(rng):
    model = striate.Sequential([L.Conv2D(2, 3), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(3)],
                               input_shape=(6, 6, 1), seed=0)
    rows = gradcheck.check(model, samples=None)
    assert all(r.ok for r in rows) and sum(r.checked for r in rows) > 0
    assert np.all([r.checked + r.skipped == int(np.prod(r.shape)) for r in rows])


def tied_zero_windows(seed=0):
    """ReLU → MaxPool2D(2) on inputs whose windows are partly all negative (pooled zeros tie),
    then a Dense of small weights: the slopes at those kinks differ by less than 1e-3."""
    model = striate.Sequential([L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(3)], input_shape=(4, 4, 2), seed=seed)
    model.layers[3].params["kernel"][...] *= 1e-4
    x = np.random.default_rng(seed).standard_normal((2, 4, 4, 2))
    x[:, :2, :2] = -np.abs(x[:, :2, :2])  # the top-left window of every map: four zeros after the ReLU
    return model, x


@pytest.mark.parametrize("seed", range(4))
def test_tied_maxima_with_small_gradients_are_kinks_not_failures(seed):
    model, x = tied_zero_windows(seed)
    rows = gradcheck.check(model, x=x, samples=None, seed=seed)
    pool = next(r for r in rows if "MaxPool2D" in r.layer)
    assert pool.skipped >= 2 * 2 * 4 - 2 * 2 and all(r.ok for r in rows), gradcheck.table(rows)
