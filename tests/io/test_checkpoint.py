"""Checkpoints: a run stopped anywhere — even killed while writing — and resumed ends bit-identical."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import striate
from striate import FormatError
from striate.errors import TrainingDiverged
from striate import callbacks as C
from striate import losses, optim
from striate.io import atomic, checkpoint, document
from striate.io.lock import lock_file
from striate.position import Position

from . import training_run as run
from .training_run import Crash, CrashAt

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def unbroken():
    """The reference: each optimizer's run from start to end without a stop."""
    out = {}
    for name in run.OPTIMIZERS:
        net = run.model(name)
        out[name] = run.snapshot(net, run.fit(net, name))
    return out


@pytest.mark.parametrize("optimizer", sorted(run.OPTIMIZERS))
@pytest.mark.parametrize("crash", [dict(step=s) for s in range(1, 13)] + [dict(epoch=e) for e in range(3)],
                         ids=lambda c: f"{next(iter(c))}{next(iter(c.values()))}")
def test_resumed_run_is_bit_identical(tmp_path, unbroken, optimizer, crash):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model(optimizer), optimizer, extra=[CrashAt(**crash)], checkpoint=path, checkpoint_every=3)
    assert path.exists() == (crash.get("step", 99) > 3)  # the crash comes before that step's checkpoint
    net = run.model(optimizer)  # a fresh process would build the model again: weights differ until resumed
    history = run.fit(net, optimizer, checkpoint=path, checkpoint_every=3, resume=True)
    assert run.snapshot(net, history) == unbroken[optimizer]


@pytest.fixture(scope="module")
def unbroken_with_batch_norm_and_dropout():
    net = run.model("adam", net="batch_norm_dropout")
    return run.snapshot(net, run.fit(net, "adam"))


@pytest.mark.parametrize("crash", [dict(step=s) for s in (3, 5, 6, 9, 12)] + [dict(epoch=0), dict(epoch=2)],
                         ids=lambda c: f"{next(iter(c))}{next(iter(c.values()))}")
def test_resumed_run_with_batch_norm_and_dropout_is_bit_identical(tmp_path, unbroken_with_batch_norm_and_dropout,
                                                                 crash):
    """Running statistics and every Dropout generator carry on as if the run had never stopped."""
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model("adam", net="batch_norm_dropout"), "adam", extra=[CrashAt(**crash)], checkpoint=path,
                checkpoint_every=2)
    ckpt = checkpoint.read(path)
    assert sorted(ckpt.rngs) == ["layers.3", "layers.8"]
    net = run.model("adam", net="batch_norm_dropout")
    history = run.fit(net, "adam", checkpoint=path, checkpoint_every=2, resume=True)
    got, expected = run.snapshot(net, history), unbroken_with_batch_norm_and_dropout
    assert got["state"] == expected["state"] and got["layer_rngs"] == expected["layer_rngs"]
    assert got == expected


def test_resuming_without_layer_state_or_generators_would_not_be_the_same_run(tmp_path, monkeypatch,
                                                                               unbroken_with_batch_norm_and_dropout):
    """The test above is not vacuous: a run whose resume forgets either ends elsewhere."""
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model("adam", net="batch_norm_dropout"), "adam", extra=[CrashAt(step=5)], checkpoint=path,
                checkpoint_every=2)
    for forget in ("state", "rngs"):
        net = run.model("adam", net="batch_norm_dropout")
        real = checkpoint.restore

        def forgetful(ckpt, model, *args):
            if forget == "rngs":
                ckpt.rngs = {}
            fresh = [{k: v.copy() for k, v in layer.state.items()} for layer in model.layers]
            pos = real(ckpt, model, *args)
            if forget == "state":
                for layer, saved in zip(model.layers, fresh):
                    for k, v in saved.items():
                        layer.state[k][...] = v
            return pos

        monkeypatch.setattr(checkpoint, "restore", forgetful)
        history = run.fit(net, "adam", checkpoint=path, resume=True)
        monkeypatch.undo()
        # Forgotten running statistics change the validation loss (evaluation uses them),
        # forgotten generators draw other masks, so other training losses. (The final weights
        # need not differ: EarlyStopping puts back those of the epoch with the best val_loss.)
        assert history.history != unbroken_with_batch_norm_and_dropout["history"]


def test_a_checkpoint_names_a_missing_or_damaged_generator_state(tmp_path):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model("sgd", net="batch_norm_dropout"), extra=[CrashAt(step=3)], checkpoint=path,
                checkpoint_every=1)
    raw = path.read_bytes()
    rewrite(path, raw, lambda t, w: t["rngs"].pop("layers.8"))
    with pytest.raises(FormatError, match=r"rngs must hold the generator state of each of the layers "
                                          r"\['layers.3', 'layers.8'\], got \['layers.3'\]"):
        checkpoint.read(path)
    rewrite(path, raw, lambda t, w: t["rngs"]["layers.3"]["state"].update(inc="x"))
    with pytest.raises(FormatError, match=r"training rngs layers.3 \(Dropout #4\): the RNG state is not a valid"):
        checkpoint.read(path)
    rewrite(path, raw, lambda t, w: w.pop("layers.1.running_var"))
    with pytest.raises(FormatError, match=r"missing tensor 'layers.1.running_var' \(shape \(3,\)\)"):
        checkpoint.read(path)
    rewrite(path, raw, lambda t, w: w["layers.7.running_mean"].__setitem__(0, np.nan))
    with pytest.raises(FormatError, match=r"tensor 'layers.7.running_mean' holds NaN or inf"):
        checkpoint.read(path)


def test_a_checkpoint_from_before_layer_generators_still_resumes_a_model_without_them(tmp_path, unbroken):
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model(), extra=[CrashAt(step=5)], checkpoint=path, checkpoint_every=2)
    rewrite(path, path.read_bytes(), lambda t, w: t.pop("rngs"))
    net = run.model()
    assert run.snapshot(net, run.fit(net, checkpoint=path, resume=True)) == unbroken["sgd"]


def test_resume_twice_and_from_every_step(tmp_path, unbroken):
    """Crash at step 5, resume, crash at step 10, resume: still the same run."""
    path = tmp_path / "run.ckpt"
    for step in (5, 10):
        with pytest.raises(Crash):
            run.fit(run.model(), extra=[CrashAt(step=step)], checkpoint=path, checkpoint_every=1, resume=True)
        assert checkpoint.read(path).optimizer.iterations == step - 1
    net = run.model()
    assert run.snapshot(net, run.fit(net, checkpoint=path, resume=True)) == unbroken["sgd"]


CHILD = textwrap.dedent("""
    import sys, time
    import striate.io.document as document
    from tests.io import training_run as run

    real, calls = document.write_atomically, [0]

    def write_then_hang(path, chunks):
        calls[0] += 1
        if calls[0] < 3:
            return real(path, chunks)
        chunks = list(chunks)

        def slowly():
            for i, chunk in enumerate(chunks):
                if i == len(chunks) // 2:
                    print("writing checkpoint 3", flush=True)
                    time.sleep(120)
                yield chunk

        return real(path, slowly())

    document.write_atomically = write_then_hang
    run.fit(run.model(), checkpoint=sys.argv[1], checkpoint_every=1)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_while_writing_keeps_the_previous_checkpoint(tmp_path, unbroken):
    path = tmp_path / "run.ckpt"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line == "writing checkpoint 3\n", child.stderr.read()
        assert len(atomic.temporary_files(path)) == 1  # the write is under way
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert checkpoint.read(path).optimizer.iterations == 2  # checkpoint 2, whole
    net = run.model()
    history = run.fit(net, checkpoint=path, checkpoint_every=1, resume=True)
    assert run.snapshot(net, history) == unbroken["sgd"]
    assert not atomic.temporary_files(path)  # the dead writer's file, removed by the next write


def test_resume_true_starts_fresh_without_a_checkpoint(tmp_path, unbroken):
    net = run.model()
    history = run.fit(net, checkpoint=tmp_path / "run.ckpt", resume=True)
    assert run.snapshot(net, history) == unbroken["sgd"]
    ckpt = checkpoint.read(tmp_path / "run.ckpt")
    assert (ckpt.position.epoch, ckpt.position.batch, ckpt.optimizer.iterations) == (3, 0, 12)


def test_a_checkpointer_that_does_not_write_resumes_without_locking_or_writing(tmp_path):
    """MPI ranks other than 0 (write=False): they read the checkpoint, rank 0 writes it."""
    path = tmp_path / "run.ckpt"
    net = run.model()
    run.fit(net, checkpoint=path, checkpoint_every=5)
    written, lock = path.read_bytes(), lock_file(path)
    lock.unlink()
    reader = run.model()
    reader.compile(net.optimizer, net.loss, [name for name, _ in net.metrics])
    cbs = [*run.callbacks(), C.History()]
    for cb in cbs:
        cb.model = reader  # as fit sets it
    saver = checkpoint.Checkpointer(reader, cbs, path, 1, {"batch_size": run.BATCH, "samples": len(run.data()[0]),
                                                            "shuffle": True}, write=False)
    pos = saver.resume(True)
    assert pos.epoch == run.EPOCHS and reader.optimizer.iterations == net.optimizer.iterations
    for a, b in zip(reader.get_weights(), net.get_weights()):
        np.testing.assert_array_equal(a, b)
    saver.after_batch(pos)
    saver.after_epoch(pos)
    saver.close()
    assert path.read_bytes() == written and not lock.exists()


def test_a_checkpointer_that_does_not_write_still_stops_a_diverged_run(tmp_path):
    """Every MPI rank holds the same weights: the ones that do not write (write=False) must
    stop on a NaN weight together with rank 0, not go on to wait for it in the next step."""
    path = tmp_path / "run.ckpt"
    net = run.model()
    run.fit(net, checkpoint=path, checkpoint_every=5)
    written, lock = path.read_bytes(), lock_file(path)
    lock.unlink()
    net.layers[0].params["kernel"][0, 0, 0, 0] = np.nan
    cbs = [*run.callbacks(), C.History()]
    saver = checkpoint.Checkpointer(net, cbs, path, 1, {"batch_size": run.BATCH, "samples": len(run.data()[0]),
                                                         "shuffle": True}, write=False)
    pos = Position(epoch=1)
    for after in (saver.after_batch, saver.after_epoch):
        with pytest.raises(TrainingDiverged, match="kernel"):
            after(pos)
    saver.close()
    assert path.read_bytes() == written and not lock.exists()


def test_a_finished_run_resumes_to_the_same_end(tmp_path, unbroken):
    path = tmp_path / "run.ckpt"
    run.fit(run.model(), checkpoint=path)
    net = run.model()
    history = run.fit(net, resume=path)
    assert run.snapshot(net, history) == unbroken["sgd"]


def test_early_stopping_survives_a_resume(tmp_path):
    """Stopped early (best weights restored): a resume does not train on."""
    def stopping():
        return [C.EarlyStopping(monitor="loss", mode="max", patience=1, restore_best_weights=True)]

    x, y = run.data()
    net = run.model()
    net.fit(x, y, epochs=10, batch_size=16, verbose=0, callbacks=stopping(), checkpoint=tmp_path / "run.ckpt")
    assert net.optimizer.iterations == 4 * 2  # the loss falls, so "max" sees no gain: stop after epoch 2
    again = run.model()
    history = again.fit(x, y, epochs=10, batch_size=16, verbose=0, callbacks=stopping(), resume=tmp_path / "run.ckpt")
    assert history.epoch == [0, 1] and again.optimizer.iterations == 8
    for a, b in zip(net.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_run_with_label_smoothing_resumes_bit_identically_and_only_with_it(tmp_path):
    def smoothed(eps=0.2):
        net = run.model()
        return net.compile(net.optimizer, losses.CrossEntropy(label_smoothing=eps), ["accuracy"])

    whole = smoothed()
    expected = run.snapshot(whole, run.fit(whole))
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(smoothed(), extra=[CrashAt(step=5)], checkpoint=path, checkpoint_every=2)
    with pytest.raises(ValueError, match=r"written with the loss CrossEntropy\(label_smoothing=0.2\); this model is "
                                         r"compiled with CrossEntropy\(label_smoothing=0.3\)"):
        run.fit(smoothed(0.3), checkpoint=path, resume=True)
    net = smoothed()
    assert run.snapshot(net, run.fit(net, checkpoint=path, resume=True)) == expected


def test_a_checkpoint_loads_as_a_model(tmp_path):
    net = run.model()
    run.fit(net, checkpoint=tmp_path / "run.ckpt")
    loaded = striate.load(tmp_path / "run.ckpt")
    x, _ = run.data()
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


@pytest.mark.parametrize("change,message", [
    (dict(batch_size=8), r"written by fit with \{'batch_size': 16"),
    (dict(x=slice(0, 40)), r"'samples': 50"),
    (dict(optimizer="adam"), r"written with the optimizer SGD; this model is compiled with Adam"),
    (dict(loss="mse"), r"written with the loss CrossEntropy; this model is compiled with MSE"),
    (dict(loss=losses.CrossEntropy(label_smoothing=0.1)),
     r"written with the loss CrossEntropy\(\); this model is compiled with CrossEntropy\(label_smoothing=0.1\)"),
    (dict(callbacks=[]), r"written with the callbacks \['EarlyStopping', 'History'\]; this fit has \['History'\]"),
    (dict(model="other"), r"written by a different model: float32 \(8, 8, 1\) → Conv2D\(3, 3, padding='same'\), "
                          r"ReLU\(\), .*; this model is float32 \(8, 8, 1\) → Flatten\(\), Dense\(3\)$"),
])
def test_resuming_a_different_run_is_refused(tmp_path, change, message):
    path = tmp_path / "run.ckpt"
    run.fit(run.model(), checkpoint=path)
    net = run.model(change.get("optimizer", "sgd"))
    if change.get("model"):
        net = striate.Sequential([striate.layers.Flatten(), striate.layers.Dense(3)], input_shape=(8, 8, 1))
        net.compile(run.OPTIMIZERS["sgd"](), "cross_entropy", ["accuracy"])
    if change.get("loss"):
        net.compile(net.optimizer, change["loss"])
    x, y = run.data()
    cut = change.get("x", slice(None))
    with pytest.raises(ValueError, match=message):
        net.fit(x[cut], y[cut], epochs=3, batch_size=change.get("batch_size", 16), verbose=0,
                callbacks=change.get("callbacks", run.callbacks()), resume=path)


def test_checkpoint_arguments_are_checked(tmp_path):
    x, y = run.data()
    with pytest.raises(ValueError, match=r"checkpoint_every must be 'epoch' or a positive int, got 0"):
        run.model().fit(x, y, checkpoint=tmp_path / "c", checkpoint_every=0, verbose=0)
    with pytest.raises(ValueError, match=r"resume=True continues from checkpoint=PATH"):
        run.model().fit(x, y, resume=True, verbose=0)
    with pytest.raises(FileNotFoundError):
        run.model().fit(x, y, resume=tmp_path / "missing.ckpt", verbose=0)
    net = run.model()
    net.optimizer.lr = lambda step: 0.1
    with pytest.raises(ValueError, match=r"lr is a plain function"):
        net.fit(x, y, checkpoint=tmp_path / "c", verbose=0)


# ---- malformed checkpoints ------------------------------------------------------
def rewrite(path, raw, edit):
    """Apply edit(doc, tensors) to a valid checkpoint and write it with a fresh checksum."""
    path.write_bytes(raw)
    doc, tensors = document.read(path)
    edit(doc["training"], tensors)
    body = {k: v for k, v in doc.items() if k not in ("format", "format_version", "kind")}
    document.write(path, "checkpoint", body, tensors)
    return path


@pytest.mark.parametrize("edit,message", [
    (lambda t, w: w.pop("optimizer.state.4.bias.m"), r"refers to tensor 'optimizer.state.4.bias.m', which is missing"),
    (lambda t, w: w.update({"optimizer.state.4.bias.m": w["optimizer.state.4.bias.m"][:2].copy()}),
     r"m of '4.bias' must be float32 of shape \(3,\)"),
    (lambda t, w: w["optimizer.state.0.kernel.v"].__setitem__((0, 0, 0, 0), np.inf), r"holds NaN or inf"),
    (lambda t, w: w.update({"stray": np.zeros(2)}), r"unexpected tensor 'stray'"),
    (lambda t, w: t["optimizer"]["config"]["lr"].update(type="Exponential"), r"unknown schedule type 'Exponential'"),
    (lambda t, w: t["optimizer"]["config"].update(eps=-1), r"optimizer Adam: wrong constructor arguments"),
    (lambda t, w: t["optimizer"].update(type="RMSprop"), r"unknown optimizer type 'RMSprop'"),
    (lambda t, w: t["optimizer"]["state"].update(iterations=-3), r"iterations must be a non-negative int"),
    (lambda t, w: t.update(loss="Hinge"), r"unknown loss 'Hinge'"),
    (lambda t, w: t["position"].update(seen=17), r"position batch 2, seen 17 and sums do not agree"),
    (lambda t, w: t["position"].update(batch=9), r"do not agree with 50 samples in batches of 16"),
    (lambda t, w: t["position"]["rng"].update(bit_generator="MT19937"), r"the RNG state is not a valid PCG64 state"),
    (lambda t, w: t["position"]["rng"]["state"].update(inc="1"), r"the RNG state is not a valid PCG64 state"),
    (lambda t, w: t["position"].update(rng=None), r"the RNG state is not a valid"),
    (lambda t, w: t["fit"].update(batch_size=0), r"fit must be \{batch_size: int >= 1"),
    (lambda t, w: t["callbacks"].append({"type": "X"}), r"callbacks must be a list of \{type, state\} objects"),
    (lambda t, w: t.pop("position"), r"training: expected an object with"),
])
def test_malformed_checkpoints(tmp_path, valid_checkpoint, edit, message):
    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint, edit)
    with pytest.raises(FormatError, match=message):
        checkpoint.read(path)


def test_a_callback_state_that_does_not_fit_is_a_format_error(tmp_path, valid_checkpoint):
    def edit(t, w):
        t["callbacks"][0]["state"]["wait"] = "soon"

    path = rewrite(tmp_path / "run.ckpt", valid_checkpoint, edit)
    with pytest.raises(FormatError, match=r"the state of callback EarlyStopping does not fit it: .*wait must be an int"):
        run.fit(run.model("adam"), "adam", resume=path)


def test_random_damage_to_a_checkpoint_is_a_format_error(tmp_path, valid_checkpoint):
    rng = np.random.default_rng(0)
    path = tmp_path / "damaged.ckpt"
    for _ in range(60):
        raw = bytearray(valid_checkpoint)
        if rng.random() < 0.3:
            raw = raw[: rng.integers(0, len(raw))]
        else:
            for i in rng.choice(len(raw), size=rng.integers(1, 4), replace=False):
                raw[i] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(raw))
        with pytest.raises(FormatError):
            checkpoint.read(path)


def test_checkpoint_document_is_readable_json(tmp_path, valid_checkpoint):
    path = tmp_path / "run.ckpt"
    path.write_bytes(valid_checkpoint)
    doc, tensors = document.read(path)
    assert doc["kind"] == "checkpoint" and json.loads(json.dumps(doc)) == doc
    assert doc["training"]["optimizer"]["config"]["lr"] == {
        "type": "CosineDecay", "config": {"lr": 0.01, "total_steps": 12, "min_lr": 0.0, "warmup_steps": 2}}
    assert doc["training"]["position"]["epoch"] == 1 and doc["training"]["position"]["batch"] == 2
    assert {"optimizer.state.0.kernel.m", "callbacks.0.best_weights.0", "layers.4.bias"} <= set(tensors)
    assert not any(name for name in os.listdir(tmp_path) if name.endswith(".tmp"))
