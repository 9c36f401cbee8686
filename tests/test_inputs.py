"""fit, evaluate and predict check their data and arguments once, and fit stops a diverging run."""

import warnings

import numpy as np
import pytest

import striate
from striate import inputs
from striate import layers as L
from striate.errors import TrainingDiverged
from striate.io import checkpoint

from .io import training_run as run
from .memory import peak_bytes


def tiny(lr=0.1):
    model = striate.Sequential([L.Flatten(), L.Dense(3)], input_shape=(4, 4, 1), seed=0)
    return model.compile(striate.optim.SGD(lr=lr), "cross_entropy", ["accuracy"])


def data(n=20):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, n)


@pytest.mark.parametrize("edit,message", [
    (lambda x: x.__setitem__((3, 0, 0, 0), np.nan), r"fit: x holds NaN or inf values \(first in sample 3\)"),
    (lambda x: x.__setitem__((7, 1, 2, 0), -np.inf), r"fit: x holds NaN or inf values \(first in sample 7\)"),
])
def test_non_finite_inputs_are_refused_before_training(edit, message):
    x, y = data()
    edit(x)
    model = tiny()
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, verbose=0)
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("convert,message", [
    (lambda x: (x * 100).astype(np.uint8), r"fit: x must hold floats, got uint8 — for images stored as uint8, "
                                           r"scale them first, e.g. x / 255"),
    (lambda x: x.astype(np.int64), r"got int64 — for images stored as int64, scale them first, e.g. x / 255"),
    (lambda x: x.astype(np.complex64), r"x must hold real numbers, got dtype complex64: complex numbers"),
    (lambda x: x.astype(object), r"x must hold real numbers, got dtype object: Python objects"),
    (lambda x: x.astype(str), r"x must hold real numbers, got dtype <U.*: strings"),
])
def test_inputs_must_be_real_floats(convert, message):
    x, y = data()
    with pytest.raises(ValueError, match=message):
        tiny().fit(convert(x), y, verbose=0)


def test_non_finite_targets_are_refused():
    x, _ = data()
    y = np.zeros((20, 3), np.float32)
    y[2, 1] = np.nan
    model = tiny()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"fit: y holds NaN or inf values \(first in sample 2\)"):
        model.fit(x, y, verbose=0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(epochs=-1), r"fit: epochs must be a positive int, got -1"),
    (dict(epochs=2.5), r"fit: epochs must be a positive int, got 2.5"),
    (dict(batch_size=True), r"fit: batch_size must be a positive int, got True"),
    (dict(batch_size=0), r"fit: batch_size must be a positive int, got 0"),
    (dict(initial_epoch=-2), r"fit: initial_epoch must be a >= 0 int, got -2"),
    (dict(checkpoint_every=np.float64(2), checkpoint="c"), r"checkpoint_every must be 'epoch' or a positive int"),
])
def test_fit_arguments_are_checked(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = data()
    with pytest.raises(ValueError, match=message):
        tiny().fit(x, y, verbose=0, **kwargs)


def test_numpy_ints_are_ints():
    x, y = data()
    history = tiny().fit(x, y, epochs=np.int64(2), batch_size=np.int32(8), verbose=0)
    assert history.epoch == [0, 1]


def test_numpy_int_checkpoint_arguments_are_saved_as_ints(tmp_path):
    x, y = data()
    tiny().fit(x, y, batch_size=np.int64(8), checkpoint=tmp_path / "c", checkpoint_every=np.int64(2), verbose=0)
    assert checkpoint.read(tmp_path / "c").fit == {"batch_size": 8, "samples": 20, "shuffle": True}


@pytest.mark.parametrize("call,message", [
    (lambda m, x, y: m.evaluate(x, y, batch_size=0), r"evaluate: batch_size must be a positive int, got 0"),
    (lambda m, x, y: m.evaluate(x.astype(np.uint8), y), r"evaluate: x must hold floats, got uint8"),
    (lambda m, x, y: m.predict(np.float32(1.0)), r"predict: x must be a batch, \(N, \.\.\.\), got a 0-d array"),
    (lambda m, x, y: m.predict(x, batch_size=np.bool_(True)), r"predict: batch_size must be a positive int"),
    (lambda m, x, y: m.predict(np.where(x > 1, np.inf, x)), r"predict: x holds NaN or inf values"),
])
def test_evaluate_and_predict_check_too(call, message):
    x, y = data()
    with pytest.raises(ValueError, match=message):
        call(tiny(), x, y)


def test_a_learning_rate_of_100_stops_the_run_with_a_clear_message(tmp_path):
    x, y = run.data()
    net = run.model("sgd_per_epoch")
    net.optimizer.lr = 100.0
    path = tmp_path / "run.ckpt"
    with pytest.raises(TrainingDiverged) as info:
        net.fit(x, y, epochs=5, batch_size=16, verbose=0, checkpoint=path, checkpoint_every=1)
    text = str(info.value)
    assert text.startswith("fit: the loss ") and "training diverged. Try a lower learning rate (it is 100)" in text
    assert "at epoch 1, batch " in text and f"The last checkpoint, {path}, holds the last good weights" in text and "not overwritten" in text
    ckpt = checkpoint.read(path)  # the last one written, from finite weights, whole
    assert ckpt.optimizer.iterations == net.optimizer.iterations - 1
    assert all(np.isfinite(w).all() for w in ckpt.model.get_weights())


def test_a_nan_loss_names_epoch_and_batch():
    x, y = data()
    model = tiny()
    model.compile(striate.optim.SGD(lr=1e30), "cross_entropy")
    with pytest.raises(TrainingDiverged, match=r"fit: the loss is nan at epoch 1, batch 2 \(optimizer step 2\)|"
                                               r"fit: the loss (is (nan|inf)|reached .*) at epoch 1, batch 2"):
        model.fit(x, y, batch_size=4, verbose=0)


def test_weights_too_large_to_save_stop_the_run_before_the_checkpoint(tmp_path):
    x, y = data()
    model = tiny()
    path = tmp_path / "run.ckpt"
    model.fit(x, y, batch_size=len(x), verbose=0, checkpoint=path)  # a good checkpoint first
    good = path.read_bytes()
    model.optimizer.lr = 1e12  # finite weights, but past what a file holds
    with pytest.raises(TrainingDiverged) as info:  # one step of the whole set, then the checkpoint
        model.fit(x, y, batch_size=len(x), epochs=2, verbose=0, checkpoint=path)
    text = str(info.value)
    assert text.startswith("fit: training diverged at the end of epoch 1 (optimizer step 2): Dense #2's kernel holds ")
    assert "beyond ±1e+10 (striate.limits.MAX_ABS_WEIGHT)" in text and "Try a lower learning rate (it is 1e+12)" in text
    assert f"The last checkpoint, {path}, holds the last good weights" in text
    assert path.read_bytes() == good  # the last good checkpoint, not overwritten


def test_a_healthy_run_is_not_stopped():
    x, y = run.data()
    history = run.fit(run.model())
    assert len(history.epoch) == run.EPOCHS


@pytest.mark.parametrize("call,message", [
    (lambda m, x, y: m.fit(x, y, verbose=0), r"fit: x holds NaN or inf values \(first in sample 1\); training on "
                                             r"them would make every weight NaN$"),
    (lambda m, x, y: m.evaluate(x, y), r"evaluate: x holds NaN or inf values \(first in sample 1\); the loss would "
                                       r"be NaN$"),
    (lambda m, x, y: m.predict(x), r"predict: x holds NaN or inf values \(first in sample 1\); their outputs would "
                                   r"be NaN$"),
])
def test_nan_inputs_are_explained_for_what_each_call_does(call, message):
    x, y = data()
    x[1, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=message):
        call(tiny(), x, y)


def test_float16_inputs_are_checked_without_overflow_warnings():
    x = np.random.default_rng(0).random((2000, 28, 28, 1)).astype(np.float16)  # Σ x² is past float16's 65504
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs.check_x(x, "predict")
    x[1500, 2, 2, 0] = np.inf
    with pytest.raises(ValueError, match=r"first in sample 1500"):
        inputs.check_x(x, "predict")


def test_a_strided_view_is_checked_without_a_copy():
    x = np.random.default_rng(0).random((256, 32, 32, 4), dtype=np.float32)[:, ::2, ::2]  # not contiguous, 1 MiB
    peak = peak_bytes(lambda: inputs.check_x(x, "predict"))
    assert peak < x.nbytes / 4, peak  # a contiguous copy would be x.nbytes
    x[5, 1, 1, 1] = np.nan
    with pytest.raises(ValueError, match=r"first in sample 5"):
        inputs.check_x(x, "predict")


def test_counts_are_checked_by_one_helper_for_fit_and_the_layers():
    from striate.functional import shapes
    from striate.layers import base

    assert inputs.count is shapes.count and base.positive_int is shapes.count
    with pytest.raises(ValueError, match=r"Dense: units must be a positive int, got True"):
        L.Dense(True)
