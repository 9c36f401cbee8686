"""Keras-style callbacks: ModelCheckpoint, EarlyStopping, LearningRateScheduler, CSVLogger, History."""

import csv

import numpy as np
import pytest

import striate
from striate import callbacks as C
from striate import layers as L
from striate import optim


def tiny(seed=0):
    net = striate.Sequential([L.Dense(3)], input_shape=(4,), seed=seed)
    return net.compile(optim.SGD(0.1), "cross_entropy", ["accuracy"])


def drive(callback, values, monitor="val_loss", model=None):
    """Run the epoch hooks with scripted metric values; the weights are set to the epoch number."""
    model = model or tiny()
    callback.model = model
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        for p in (p for layer in model.layers for p in layer.params.values()):
            p[...] = epoch
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return model, epoch


def data(rng, n=40):
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(int)


# ---- EarlyStopping ----------------------------------------------------------------
def test_early_stopping_waits_patience_epochs_then_restores_the_best():
    stop = C.EarlyStopping(patience=2, restore_best_weights=True)
    model, last = drive(stop, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5])
    assert last == 3 and stop.stopped_epoch == 3 and stop.best == 0.9 and stop.best_epoch == 1
    assert np.all(model.layers[0].params["kernel"] == 1)  # epoch 1's weights are back


def test_early_stopping_min_delta_mode_and_baseline():
    _, last = drive(C.EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.92])
    assert last == 1  # 0.95 is not 0.1 better than 1.0
    _, last = drive(C.EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.7, 0.6, 0.6],
                    monitor="val_accuracy")
    assert last == 3  # "auto" watches accuracy going up
    _, last = drive(C.EarlyStopping(patience=2, baseline=0.5), [0.9, 0.8, 0.85, 0.7])
    assert last == 2  # never under the baseline, so improving did not reset the wait
    _, last = drive(C.EarlyStopping(patience=2), [0.9, 0.8, 0.85, 0.7])
    assert last == 3
    _, last = drive(C.EarlyStopping(patience=0, start_from_epoch=3), [1, 2, 3, 4, 5])
    assert last == 4


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, last = drive(C.EarlyStopping(patience=1), [1.0, 2.0, 3.0])
    assert last == 1 and np.all(model.layers[0].params["kernel"] == 1)


def test_a_missing_metric_warns_and_is_skipped():
    with pytest.warns(UserWarning, match=r"metric 'val_loss' is not in the logs \(available: loss\)"):
        _, last = drive(C.EarlyStopping(patience=0), [1.0, 2.0], monitor="loss")
    assert last == 1


@pytest.mark.parametrize("make,message", [
    (lambda: C.EarlyStopping(mode="up"), r"mode must be 'auto', 'min' or 'max', got 'up'"),
    (lambda: C.EarlyStopping(patience=-1), r"EarlyStopping: patience must be an int >= 0, got -1"),
    (lambda: C.EarlyStopping(min_delta=-0.1), r"min_delta must be a number >= 0"),
    (lambda: C.LearningRateScheduler(0.1), r"schedule must be callable"),
])
def test_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_early_stopping_inside_fit(rng):
    x, y = data(rng)
    model = tiny()
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[C.EarlyStopping(monitor="loss", mode="max", patience=2)])
    assert history.epoch == [0, 1, 2]  # the loss only falls: "max" sees no gain after epoch 0


# ---- ModelCheckpoint --------------------------------------------------------------
def test_model_checkpoint_keeps_the_best(tmp_path):
    path = tmp_path / "best.striate"
    best = C.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    drive(best, [1.0, 0.7, 0.8, 0.75])
    assert best.best == 0.7  # saved at epochs 0 and 1, when the weights were all 1
    np.testing.assert_array_equal(striate.load(path).layers[0].params["kernel"], np.ones((4, 3), np.float32))


def test_model_checkpoint_every_epoch_with_a_pattern(tmp_path, rng):
    x, y = data(rng)
    model = tiny()
    model.fit(x, y, epochs=3, verbose=0, validation_data=(x, y),
              callbacks=[C.ModelCheckpoint(tmp_path / "m-{epoch:02d}-{val_accuracy:.2f}.striate")])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and names[0].startswith("m-01-") and names[2].startswith("m-03-")
    last = striate.load(tmp_path / names[2])
    np.testing.assert_array_equal(last.predict(x), model.predict(x))


# ---- LearningRateScheduler ----------------------------------------------------------
def test_learning_rate_scheduler_sets_lr_each_epoch_and_logs_it(rng):
    x, y = data(rng)
    model = tiny()
    seen = []

    class Spy(C.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(self.model.optimizer.current_lr)

    history = model.fit(x, y, epochs=3, batch_size=20, verbose=0,
                        callbacks=[C.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)), Spy()])
    assert seen == [0.1, 0.1, 0.05, 0.05, 0.1 / 3, 0.1 / 3]
    assert history.history["learning_rate"] == [0.1, 0.05, 0.1 / 3]


def test_learning_rate_scheduler_refuses_bad_values(rng):
    x, y = data(rng)
    with pytest.raises(ValueError, match=r"schedule\(0, 0.1\) must return a positive number, got -1"):
        tiny().fit(x, y, verbose=0, callbacks=[C.LearningRateScheduler(lambda e, lr: -1)])
    model = tiny().compile(optim.SGD(optim.StepDecay(0.1, 10)), "cross_entropy")
    with pytest.raises(ValueError, match=r"lr is a schedule already"):
        model.fit(x, y, verbose=0, callbacks=[C.LearningRateScheduler(lambda e, lr: lr)])


# ---- CSVLogger --------------------------------------------------------------------
def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_writes_a_row_per_epoch(tmp_path, rng):
    x, y = data(rng)
    tiny().fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[C.CSVLogger(tmp_path / "log.csv")])
    rows = read_csv(tmp_path / "log.csv")
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"] and all(0 <= float(v) for v in rows[1][1:])


def test_csv_logger_append_keeps_earlier_epochs_once(tmp_path, rng):
    x, y = data(rng)
    path = tmp_path / "log.csv"
    model = tiny()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[C.CSVLogger(path)])
    # A resumed run that starts again at epoch 2 (its checkpoint was from before epoch 2's row).
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[C.CSVLogger(path, append=True)])
    assert [r[0] for r in read_csv(path)] == ["epoch", "0", "1", "2", "3"]
    model.fit(x, y, epochs=1, verbose=0, callbacks=[C.CSVLogger(path)])  # append=False starts over
    assert [r[0] for r in read_csv(path)] == ["epoch", "0"]


# ---- History ----------------------------------------------------------------------
def test_history_state_round_trips():
    h = C.History()
    h.on_epoch_end(0, {"loss": 1.5})
    h.on_epoch_end(1, {"loss": 1.25})
    again = C.History()
    again.set_state(h.get_state())
    assert again.history == {"loss": [1.5, 1.25]} and again.epoch == [0, 1]
    with pytest.raises(ValueError, match="History: state must be"):
        again.set_state({"history": {"loss": 1}, "epoch": []})
