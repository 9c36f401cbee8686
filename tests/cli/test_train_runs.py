"""`striate train` as a user meets it: recipes, budgets, resuming finished runs, outputs checked
first, class names saved, models for any size, interruptions."""

import json
import sys

import numpy as np
import pytest

import striate
from striate import recipes
from striate.cli import train_run
from striate.cli.main import main

from ..datasets.test_datasets import write_fake_mnist
from .conftest import write_folder, write_png


def train(data_dir, *extra):
    return main(["train", "--dataset", "mnist", "--data-dir", str(data_dir), "--batch-size", "16", *extra])


def weights(path):
    return striate.load(path).get_weights()


# ---- resuming a finished run: more epochs extend it ----------------------------------------------
def test_resuming_a_finished_run_with_more_epochs_trains_on(tmp_path, fake_mnist, capsys):
    ckpt, one, two = tmp_path / "run.ckpt", tmp_path / "one.striate", tmp_path / "two.striate"
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt), "--out", str(one)) == 0
    capsys.readouterr()
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt), "--resume", "--out", str(two)) == 0
    out = capsys.readouterr().out
    assert "extending the run from 1 to 2 epochs: its learning-rate schedule is re-planned over all 2" in out
    assert "Epoch 2/2" in out
    changed = [not np.array_equal(a, b) for a, b in zip(weights(one), weights(two))]
    assert all(changed)  # a cosine restored at its end (lr 0) would change no weight
    # the second epoch follows the second half of a 2-epoch cosine
    schedule = striate.io.checkpoint.read(ckpt).optimizer.lr
    assert schedule.total_steps == 2 * 4 and schedule(4) == pytest.approx(0.05 * 0.5)


def test_resuming_a_finished_run_with_the_same_epochs_says_it_is_done(tmp_path, fake_mnist, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt)) == 0
    capsys.readouterr()
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt), "--resume") == 0
    assert "the run has done 1 epoch already; give more --epochs than 1 to train it further" in capsys.readouterr().out


def test_resuming_with_fewer_epochs_reports_the_epochs_done(tmp_path, fake_mnist, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt)) == 0
    capsys.readouterr()
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt), "--resume") == 0
    out = capsys.readouterr().out
    assert "the run has done 2 epochs already; give more --epochs than 2 to train it further" in out
    assert "after 2 epochs in" in out


# ---- a checkpoint written on other data ----------------------------------------------------------
def test_a_checkpoint_does_not_resume_on_other_data(tmp_path, fake_mnist, capsys):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt)) == 0
    other = write_fake_mnist(tmp_path / "other", np.random.default_rng(7))  # same sizes, other images
    capsys.readouterr()
    assert train(other, "--epochs", "2", "--checkpoint", str(ckpt), "--resume") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"striate train: error: {ckpt}: cannot resume: it was written while training on mnist "
                          "(64 images), and this run trains on mnist (64 images, other images or labels)")
    assert train(fake_mnist, "--epochs", "2", "--limit", "48", "--checkpoint", str(ckpt), "--resume") == 1
    assert "cannot resume" in capsys.readouterr().err


# ---- outputs checked before training -------------------------------------------------------------
@pytest.mark.parametrize("option", ["--out", "--checkpoint"])
def test_an_unwritable_output_fails_before_training(tmp_path, fake_mnist, capsys, option):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    assert train(fake_mnist, option, str(blocker / "model.striate")) == 1
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out and "test accuracy" not in captured.out
    assert captured.err.startswith(f"striate train: error: {option} {blocker / 'model.striate'}: cannot write there")
    assert captured.err.rstrip().endswith("nothing was trained")


def test_plots_without_matplotlib_fail_before_training(fake_mnist, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert train(fake_mnist, "--plots", str(tmp_path / "plots")) == 1
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out
    assert captured.err.startswith("striate train: error: --plots draws pictures with matplotlib and Pillow, and "
                                   "matplotlib is not installed: pip install matplotlib Pillow")


def test_out_in_a_new_folder_is_created(tmp_path, fake_mnist):
    assert train(fake_mnist, "--epochs", "1", "--out", str(tmp_path / "new" / "m.striate")) == 0
    assert striate.load(tmp_path / "new" / "m.striate").class_names == [str(i) for i in range(10)]


# ---- class names travel in the model file --------------------------------------------------------
def test_class_names_from_the_data_set_reach_predict(tmp_path, capsys):
    folder = write_folder(tmp_path / "shapes", {"circle": 0.9, "seven": 0.1})
    model = tmp_path / "shapes.striate"
    assert main(["train", "--dataset", f"folder:{folder}", "--image-size", "12", "--color-mode", "grayscale",
                 "--epochs", "1", "--out", str(model), "--json"]) == 0
    assert striate.load(model).class_names == ["circle", "seven"]
    capsys.readouterr()
    image = write_png(tmp_path / "x.png", np.full((12, 12), 0.1))
    assert main(["predict", str(model), str(image), "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{image}: ") and "circle (" in out and "seven (" in out


# ---- a model for any image size stays one --------------------------------------------------------
def test_fcn_is_saved_for_any_size_and_predicts_56_pixel_images(tmp_path, fake_mnist, capsys):
    model = tmp_path / "fcn.striate"
    assert train(fake_mnist, "--model", "fcn", "--epochs", "1", "--out", str(model), "--json") == 0
    assert striate.load(model).input_shape == (None, None, 1)
    big = write_png(tmp_path / "big.png", np.zeros((56, 56)))
    capsys.readouterr()
    assert main(["predict", str(model), str(big), "--no-resize", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["predictions"][0]["top"]) == 3
    pytest.importorskip("onnx")
    import onnx

    assert main(["export", str(model), str(tmp_path / "fcn.onnx")]) == 0
    dims = onnx.load(str(tmp_path / "fcn.onnx")).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims][1:3] == ["H", "W"]


# ---- recipes and the time budget -----------------------------------------------------------------
def test_a_built_in_model_trains_with_its_recipe_and_flags_override_it(fake_mnist, capsys):
    assert train(fake_mnist, "--model", "fashion", "--epochs", "1", "--limit", "32", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recipe"] == ("SGD (Nesterov 0.9, weight decay 0.0005), 1 warm-up epoch to lr 0.1 → cosine, "
                                "batch 16, label smoothing 0.1, 1 epoch")  # --batch-size and --epochs overrode 128 and the budget
    assert train(fake_mnist, "--model", "fashion", "--epochs", "1", "--limit", "32", "--no-augment") == 0
    assert "augmenting" not in capsys.readouterr().out
    assert train(fake_mnist, "--model", "fashion", "--epochs", "1", "--limit", "32") == 0
    assert "augmenting every epoch: RandomShift(2), RandomFlip(" in capsys.readouterr().out


def test_recipes_cover_every_built_in_model():
    assert set(recipes.RECIPES) == set(striate.models.MODELS)
    assert recipes.get("fashion").time_budget == 15 * 60 and recipes.get("fashion").transforms("x")
    assert recipes.get(None) is recipes.DEFAULT


def test_time_budget_plans_the_epochs_before_training(fake_mnist, capsys, monkeypatch):
    assert train(fake_mnist, "--time-budget", "1h", "--limit", "32", "--json") == 0
    assert json.loads(capsys.readouterr().out)["epochs"] == 40  # an hour fits more than max_epochs of 2 steps
    monkeypatch.setattr(striate.budget, "SHARE", 1e-9)  # nothing fits: still one epoch
    assert train(fake_mnist, "--time-budget", "90s", "--limit", "32") == 0
    out = capsys.readouterr().out
    assert "time budget 90s: 1 epoch of about" in out and "ms per step, measured" in out


@pytest.mark.parametrize("text,seconds", [("15m", 900), ("90s", 90), ("1.5h", 5400), ("1h30m", 5400), ("15", 900)])
def test_durations(text, seconds):
    assert recipes.parse_duration(text) == seconds


def test_a_bad_duration_is_refused(fake_mnist, capsys):
    with pytest.raises(SystemExit):
        train(fake_mnist, "--time-budget", "soon")
    err = capsys.readouterr().err
    assert err == ("striate train: error: argument --time-budget: expected a duration such as 15m, 90s, 1h or "
                   "1h30m, got 'soon' (see striate train --help)\n")


# ---- interruptions, and "1 epoch" ----------------------------------------------------------------
def test_an_interrupted_run_says_how_to_carry_on(tmp_path, fake_mnist, capsys, monkeypatch):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--epochs", "1", "--checkpoint", str(ckpt)) == 0

    def stop(self, batch, logs=None):
        if batch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_run.BatchRecorder, "on_batch_end", stop)
    capsys.readouterr()
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt), "--resume") == 130
    assert capsys.readouterr().err == (f"striate train: interrupted; {ckpt} keeps the run as it was after epoch 1: "
                                       "run the same command again to carry on from there\n")
    assert train(fake_mnist, "--epochs", "2") == 130
    assert "nothing was saved (with --checkpoint FILE a run can be resumed)" in capsys.readouterr().err


def stop_at(monkeypatch, epoch, batch):
    """Ctrl-C after `batch` of `epoch` (0-based), as a user would press it."""
    def stop(self, b, logs=None):
        if (self.epoch, b) == (epoch, batch):
            raise KeyboardInterrupt

    monkeypatch.setattr(train_run.BatchRecorder, "on_batch_end", stop)


def test_interrupted_before_the_first_checkpoint_says_none_was_written(tmp_path, fake_mnist, capsys, monkeypatch):
    ckpt = tmp_path / "run.ckpt"
    stop_at(monkeypatch, 0, 1)
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt)) == 130
    assert capsys.readouterr().err == (
        f"striate train: interrupted; no checkpoint had been written to {ckpt} yet, so nothing was saved: running the "
        "same command again starts from the beginning (--checkpoint-every STEPS writes checkpoints more often)\n")


def test_a_checkpoint_left_by_an_earlier_run_is_not_offered_as_this_one(tmp_path, fake_mnist, capsys, monkeypatch):
    ckpt = tmp_path / "run.ckpt"
    assert train(fake_mnist, "--epochs", "1", "--limit", "32", "--checkpoint", str(ckpt)) == 0  # another run
    stop_at(monkeypatch, 0, 1)
    capsys.readouterr()
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt)) == 130
    err = capsys.readouterr().err
    assert err == (f"striate train: interrupted; this run had not written a checkpoint yet, so nothing of it was "
                   f"saved; {ckpt} still holds the checkpoint an earlier run wrote there. Running the same command "
                   "again starts this run over\n")
    stop_at(monkeypatch, 1, 1)  # once this run has written its own, that one is offered
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt)) == 130
    assert capsys.readouterr().err == (f"striate train: interrupted; {ckpt} keeps the run as it was after epoch 1: "
                                       "run the same command with --resume to carry on from there\n")
    assert train(fake_mnist, "--epochs", "2", "--checkpoint", str(ckpt), "--resume") == 130  # (stops again)
    assert "cannot resume" not in capsys.readouterr().err


def test_one_epoch_is_singular(fake_mnist, capsys):
    assert train(fake_mnist, "--epochs", "1") == 0
    assert "after 1 epoch in" in capsys.readouterr().out


def test_recipes_and_plans_count_epochs_alike():
    from striate import budget

    recipe = recipes.get("lenet5").replace(epochs=1, warmup_epochs=1, schedule="cosine", time_budget=0.0)
    assert "1 warm-up epoch to lr" in recipe.describe() and recipe.describe().endswith(", 1 epoch")
    assert str(budget.Plan(1, 0.001, 2.0)).startswith("1 epoch of about 2.0s")
    assert str(budget.Plan(2, 0.001, 2.0)).startswith("2 epochs of about 2.0s")


def test_label_smoothing_reaches_the_loss_and_the_recipe_line(fake_mnist, tmp_path, capsys):
    out = tmp_path / "smooth.striate"
    assert train(fake_mnist, "--label-smoothing", "0.3", "--epochs", "1", "--out", str(out), "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recipe"].endswith("batch 16, label smoothing 0.3, 1 epoch")
    (_, _), (xt, yt) = striate.datasets.load("mnist", fake_mnist, progress=False)
    z = striate.load(out).predict(xt).astype(np.float64)
    logp = z - z.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    plain = -logp[np.arange(len(yt)), yt].mean()
    smoothed = 0.7 * plain - 0.3 * logp.mean(1).mean()
    assert result["test_loss"] == pytest.approx(smoothed, rel=1e-5) and abs(smoothed - plain) > 1e-3


@pytest.mark.parametrize("value", ["-0.1", "1.5", "x"])
def test_label_smoothing_outside_0_1_is_refused(fake_mnist, capsys, value):
    with pytest.raises(SystemExit):
        train(fake_mnist, "--label-smoothing", value)
    assert "expected a number from 0 to 1" in capsys.readouterr().err
