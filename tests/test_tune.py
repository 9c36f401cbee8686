"""striate.tune: grids, random search, k-fold cross-validation in processes, the table, determinism."""

import numpy as np
import pytest

from striate import tune


def blobs(rng, n):
    """Two classes of 8×8 images: a bright top half or a bright bottom half, plus noise."""
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.6, (n, 8, 8, 1)).astype(np.float32)
    x[y == 0, :4] += 0.5
    x[y == 1, 4:] += 0.5
    return x, y


def test_grid_and_random_search():
    space = {"depth": [1, 2], "kernel_size": [3, 5], "lr": [0.1]}
    assert tune.grid(space) == [{"depth": 1, "kernel_size": 3, "lr": 0.1}, {"depth": 1, "kernel_size": 5, "lr": 0.1},
                                {"depth": 2, "kernel_size": 3, "lr": 0.1}, {"depth": 2, "kernel_size": 5, "lr": 0.1}]
    picked = tune.random_search(space, 3, seed=0)
    assert len(picked) == 3 and all(p in tune.grid(space) for p in picked)
    assert len({tuple(p.values()) for p in picked}) == 3  # distinct
    assert picked == tune.random_search(space, 3, seed=0)
    assert len(tune.random_search(space, 10, seed=0)) == 4


def test_build_cnn_follows_the_config():
    model = tune.build_cnn({"depth": 3, "filters": 4, "kernel_size": 5, "pool_size": 2}, (8, 8, 1), 3)
    convs = [l for l in model.layers if type(l).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [4, 8, 16] and convs[0].kernel_size == (5, 5)
    assert model.output_shape == (3,)
    assert sum(type(l).__name__ == "MaxPool2D" for l in model.layers) == 3  # 8 → 4 → 2 → 1
    coarse = tune.build_cnn({"depth": 3, "pool_size": 4}, (8, 8, 1), 2)
    assert sum(type(l).__name__ == "MaxPool2D" for l in coarse.layers) == 1  # 8 → 2, then too small


def test_tiny_grid_table_in_parallel_processes_is_deterministic(rng):
    x, y = blobs(rng, 120)
    xt, yt = blobs(rng, 60)
    space = {"depth": [1], "filters": [2, 4], "lr": [0.05]}
    report = tune.tune(space, x, y, xt, yt, k=2, epochs=2, batch_size=16, workers=2, seed=0)
    table = report.table()
    print(table)
    lines = table.splitlines()
    assert lines[0].split() == ["rank", "depth", "filters", "lr", "val", "accuracy", "(2-fold)", "params"]
    assert len(lines) == 2 + 2 + 1 and " ± " in lines[2] and lines[-1].startswith("best {")
    assert [c.mean for c in report.candidates] == sorted((c.mean for c in report.candidates), reverse=True)
    assert all(len(c.scores) == 2 and 0 <= c.mean <= 1 for c in report.candidates)
    assert report.best in tune.grid(space) and report.test_accuracy > 0.7
    again = tune.tune(space, x, y, xt, yt, k=2, epochs=2, batch_size=16, workers=1, seed=0)
    assert again.table() == table  # one process or two: the same numbers


def test_tune_arguments_are_checked(rng):
    x, y = blobs(rng, 20)
    with pytest.raises(ValueError, match="tune: unknown hyperparameter 'dropout'; expected some of depth"):
        tune.tune({"dropout": [0.1]}, x, y)
    with pytest.raises(ValueError, match="tune: search='random' needs n_iter"):
        tune.tune({"depth": [1]}, x, y, search="random")
    with pytest.raises(ValueError, match=r"tune: space\['lr'\] must be a non-empty list of values, got 0.1"):
        tune.grid({"lr": 0.1})


def test_tune_command_on_a_small_idx_data_set(tmp_path, rng, capsys):
    import json

    from striate.cli.main import main

    from .datasets.test_datasets import write_fake_mnist

    folder = write_fake_mnist(tmp_path / "m", rng)
    assert main(["tune", "--dataset", "mnist", "--data-dir", str(folder), "--depth", "1", "--kernel-size", "3", "5",
                 "--filters", "2", "--k", "2", "--workers", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["candidates"]) == 2 and result["best"]["kernel_size"] in (3, 5)
    assert 0 <= result["test_accuracy"] <= 1


SCRIPT = """
import numpy as np
from striate import tune

rng = np.random.default_rng(0)
x = rng.random((48, 8, 8, 1), np.float32)
y = np.arange(48) % 3
report = tune.tune({"depth": [1], "filters": [2], "kernel_size": [3]}, x, y, x[:12], y[:12], k=2, epochs=1,
                   batch_size=16, workers=2, seed=0)
report.model.save("best.striate")
print("best", report.best, report.test_accuracy)
"""


def test_tune_in_a_script_without_a_main_guard_finishes(tmp_path):
    """multiprocessing's spawn re-ran such a script in every worker, which died, and the parent hung."""
    import subprocess
    import sys

    (tmp_path / "search.py").write_text(SCRIPT)
    done = subprocess.run([sys.executable, "search.py"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("best {'depth': 1, 'filters': 2, 'kernel_size': 3}")
    assert (tmp_path / "best.striate").exists()


def test_a_failing_job_is_an_error_naming_it(rng):
    x, y = rng.random((24, 8, 8, 1), np.float32), np.arange(24) % 3
    with pytest.raises(RuntimeError, match=r"tune: candidate 1 \{'lr': -1.0\} on fold \d: ValueError: CosineDecay: "
                                           "lr must be a positive number"):
        tune.tune({"lr": [-1.0]}, x, y, k=2, epochs=1, workers=2)


def test_ctrl_c_during_striate_tune_is_one_quiet_line(tmp_path):
    """Ctrl-C reaches the whole process group, as a terminal sends it: no thread's or worker's traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from .datasets.test_datasets import write_fake_mnist

    data = write_fake_mnist(tmp_path / "mnist", np.random.default_rng(0))
    root = Path(__file__).resolve().parents[1]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "striate", "tune", "--dataset", "mnist", "--data-dir", str(data),
                             "--depth", "1", "--kernel-size", "3", "--k", "2", "--epochs", "1000", "--workers", "2",
                             "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(scratch.glob("striate-tune-*/settings.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # the workers start and take their first jobs
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130 and err == "striate: interrupted\n", err
    assert not list(scratch.iterdir())  # the workers' folder is gone too
