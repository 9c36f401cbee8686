"""Data-parallel training over MPI ranks (striate.engine.mpi), with `mpiexec -n 2` on this machine.

The runs are tests/engine/mpi_fit.py (a small model, 3 epochs of 3 steps) started as
subprocesses with a timeout; each rank leaves its weights in rank<r>.npz.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import striate
from striate.engine import mpi, threads

SCRIPT = Path(__file__).with_name("mpi_fit.py")
SRC = str(Path(striate.__file__).resolve().parent.parent)


def mpiexec() -> str | None:
    """The mpiexec beside this Python (MPICH's wheel puts it there), else on PATH."""
    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or mpiexec() is None,
    reason="needs mpi4py and mpiexec: pip install -e '.[mpi]'")


def environment() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]),
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def launch(ranks: int | None, out: Path, *options: str, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    """mpi_fit.py under `mpiexec -n ranks` (None: one plain process), writing into out."""
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(SCRIPT), str(out), *options]
    if ranks is not None:
        command = [mpiexec(), "-n", str(ranks), *command, "--distributed"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**environment(), **env})


def weights(out: Path, rank: int = 0) -> dict:
    with np.load(out / f"rank{rank}.npz") as f:
        return {k: f[k] for k in f.files}


def assert_equal(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# ---- without MPI ------------------------------------------------------------------------

@pytest.mark.parametrize("n,size", [(30, 2), (31, 2), (10, 4), (3, 4), (0, 2), (64, 3)])
def test_parts_cover_the_batch_in_rank_order(n, size):
    parts = [mpi.part(n, r, size) for r in range(size)]
    assert parts[0][0] == 0 and parts[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    lengths = [e - s for s, e in parts]
    assert max(lengths) - min(lengths) <= 1 and lengths == sorted(lengths, reverse=True)


def test_a_missing_mpi4py_is_named_with_the_extra_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from striate.engine import mpi\n"
            "try:\n    mpi.world()\nexcept RuntimeError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=environment())
    assert "needs mpi4py and an MPI library" in done.stdout
    assert "pip install -e '.[mpi]'" in done.stdout


def test_launched_size_and_rank_read_the_launchers_environment(monkeypatch):
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_RANK",
                 "MV2_COMM_WORLD_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert (mpi.launched_size(), mpi.launched_rank()) == (1, 0)
    monkeypatch.setenv("PMI_SIZE", "3")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "2")
    assert (mpi.launched_size(), mpi.launched_rank()) == (3, 2)


# ---- with mpiexec -n 2 ------------------------------------------------------------------

@needs_mpi
@pytest.mark.parametrize("ranks,samples", [(2, 90), (4, 91)])  # 91: a last batch of 1 image, 3 ranks without any
def test_ranks_end_with_the_weights_of_one_process(tmp_path, ranks, samples):
    size = ("--samples", str(samples))
    alone, together = launch(None, tmp_path / "alone", *size), launch(ranks, tmp_path / "ranks", *size)
    assert alone.returncode == 0, alone.stderr
    assert together.returncode == 0, together.stderr
    one, two = weights(tmp_path / "alone"), weights(tmp_path / "ranks")
    assert_equal(two, weights(tmp_path / "ranks", 1))  # every rank took the same steps
    assert_equal(two, weights(tmp_path / "ranks", ranks - 1))
    for k in one:  # the same global batches: equal to float32 rounding
        np.testing.assert_allclose(two[k], one[k], rtol=1e-5, atol=1e-6, err_msg=k)
    h1 = json.loads((tmp_path / "alone" / "history0.json").read_text())
    h2 = json.loads((tmp_path / "ranks" / "history0.json").read_text())
    for key, values in h1["history"].items():  # loss, metrics and validation gathered over the ranks
        np.testing.assert_allclose(h2["history"][key], values, rtol=1e-5, err_msg=key)
    np.testing.assert_allclose(h2["evaluate"]["loss"], h1["evaluate"]["loss"], rtol=1e-5)


@needs_mpi
def test_batchnorm_and_dropout_runs_repeat_bit_for_bit(tmp_path):
    """Per-rank batch statistics and per-rank dropout masks: the same on every repeat, and
    the running statistics (averaged over the ranks) the same on both ranks."""
    first, second = launch(2, tmp_path / "a", "--model", "bn"), launch(2, tmp_path / "b", "--model", "bn")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    a = weights(tmp_path / "a")
    assert_equal(a, weights(tmp_path / "b"))
    assert_equal(a, weights(tmp_path / "a", 1))
    assert "1.running_var" in a and np.all(a["1.running_var"] != 1.0)  # the statistics were updated


@needs_mpi
def test_a_rank_that_raises_ends_the_job_with_its_message(tmp_path):
    began = time.monotonic()
    done = launch(2, tmp_path, "--fail-at", "4", "--fail-rank", "1")
    took = time.monotonic() - began
    assert done.returncode != 0
    assert "rank 1 of 2: failed with RuntimeError: a test failure on purpose after step 4" in done.stderr
    assert took < 30  # seconds, not the watchdog's minutes
    assert not (tmp_path / "rank0.npz").exists()


@needs_mpi
def test_a_rank_that_hangs_is_ended_by_the_others_watchdog(tmp_path):
    began = time.monotonic()
    done = launch(2, tmp_path, "--fail-at", "4", "--fail-how", "hang", STRIATE_MPI_TIMEOUT="3")
    assert done.returncode != 0 and time.monotonic() - began < 60
    assert "rank 0 of 2: Allreduce of the gradients waited more than 3s for the other ranks" in done.stderr


@needs_mpi
def test_a_killed_rank_ends_the_job_and_the_checkpoint_resumes(tmp_path):
    whole = launch(2, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    ckpt = tmp_path / "broken" / "run.ckpt"
    began = time.monotonic()
    killed = launch(2, tmp_path / "broken", "--checkpoint", str(ckpt), "--fail-at", "5", "--fail-how", "kill")
    assert killed.returncode != 0 and time.monotonic() - began < 30
    assert "Killed" in killed.stdout + killed.stderr  # the launcher names the signal
    assert ckpt.exists() and not (tmp_path / "broken" / "rank0.npz").exists()
    resumed = launch(2, tmp_path / "broken", "--checkpoint", str(ckpt), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert_equal(weights(tmp_path / "broken"), weights(tmp_path / "whole"))
    assert_equal(weights(tmp_path / "broken", 1), weights(tmp_path / "whole"))


@needs_mpi
@pytest.mark.parametrize("length", [["--epochs", "1"], ["--time-budget", "2s"]])  # the budget's trial: over the ranks
def test_striate_train_under_mpiexec_writes_the_model_once(tmp_path, length):
    from ..datasets.test_datasets import write_fake_mnist

    (tmp_path / "mnist").mkdir()
    data = write_fake_mnist(tmp_path / "mnist", np.random.default_rng(0))
    model = tmp_path / "m.striate"
    done = subprocess.run([mpiexec(), "-n", "2", sys.executable, "-m", "striate", "train", "--dataset", "mnist",
                           "--data-dir", str(data), *length, "--batch-size", "16", "--out", str(model)],
                          capture_output=True, text=True, timeout=120, env=environment(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("wrote model:") == 1
    assert done.stdout.count("test accuracy:") == 1
    assert "training on 2 MPI ranks" in done.stdout
    assert striate.load(model).count_params() == 61706


# ---- what the ranks must agree on -----------------------------------------------------

@needs_mpi
def test_float64_models_are_reduced_in_float64(tmp_path):
    """The flat buffer takes the model's dtype: 2 ranks end where 1 process ends to float64 rounding."""
    alone = launch(None, tmp_path / "alone", "--dtype", "float64")
    together = launch(2, tmp_path / "ranks", "--dtype", "float64")
    assert alone.returncode == 0, alone.stderr
    assert together.returncode == 0, together.stderr
    one, two = weights(tmp_path / "alone"), weights(tmp_path / "ranks")
    assert_equal(two, weights(tmp_path / "ranks", 1))
    for k in one:
        assert two[k].dtype == np.float64, k
        np.testing.assert_allclose(two[k], one[k], rtol=1e-12, atol=1e-14, err_msg=k)


@needs_mpi
def test_callbacks_decide_alike_on_every_rank_and_speak_on_rank_0(tmp_path):
    done = launch(2, tmp_path, "--talk")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("learning rate") == 2, done.stdout  # epochs 1 and 2 ...
    assert done.stdout.count("early stopping") == 1, done.stdout  # ... then every rank stops
    histories = [json.loads((tmp_path / f"history{r}.json").read_text())["history"] for r in (0, 1)]
    assert len(histories[0]["loss"]) == 2 and histories[0] == histories[1]
    assert_equal(weights(tmp_path), weights(tmp_path, 1))


@needs_mpi
def test_a_checkpoint_that_only_rank_0_reads_stops_every_rank_at_once(tmp_path):
    """Rank 0 resumes a finished run, rank 1 finds no file and would train: they must not
    go their ways and wait for each other, but stop together with one message."""
    first = launch(None, tmp_path / "alone", "--checkpoint", str(tmp_path / "c0.ckpt"))
    assert first.returncode == 0, first.stderr
    began = time.monotonic()
    done = launch(2, tmp_path / "ranks", "--checkpoint", str(tmp_path / "c{rank}.ckpt"), "--resume",
                  STRIATE_MPI_TIMEOUT="20")
    assert done.returncode != 0 and time.monotonic() - began < 30
    assert done.stderr.count("the [epoch, batch, step] fit starts from differs between the ranks: rank 1") == 1
    assert "stopping all ranks" not in done.stderr  # every rank knew: nothing to abort


@needs_mpi
def test_ranks_whose_weights_part_are_stopped_at_the_end_of_the_epoch(tmp_path):
    """A callback that changes the weights on one rank only: the ranks would go on as two
    different models without a word; every rank stops after that epoch, saying why."""
    done = launch(2, tmp_path, "--nudge", STRIATE_MPI_TIMEOUT="20")
    assert done.returncode != 0
    assert done.stderr.count("stop_training] after epoch 1 (a callback acting differently on some rank?) "
                             "differs between the ranks: rank 1") == 1, done.stderr
    assert not (tmp_path / "rank0.npz").exists() and "stopping all ranks" not in done.stderr


def test_a_copy_of_a_distributed_model_trains_with_the_same_ranks(tmp_path):
    """The time budget's trial (budget.plan_epochs, a deep copy of the model) must take its
    steps over the ranks, as training will, not alone on every rank at once."""
    pytest.importorskip("mpi4py", reason="needs mpi4py: pip install -e '.[mpi]'")
    code = ("import numpy as np, striate\n"
            "from mpi4py import MPI\n"
            "from striate import budget, layers as L, optim\n"
            "from striate.engine import mpi\n"
            "comm = mpi.Communicator(MPI.COMM_SELF, MPI)\n"
            "model = striate.Sequential([L.Flatten(), L.Dense(3)], input_shape=(4, 4, 1), seed=0).distribute(comm)\n"
            "x, y = np.zeros((32, 4, 4, 1), np.float32), np.zeros(32, int)\n"
            "budget.plan_epochs(model, optim.SGD(), 'cross_entropy', x, y, 8, 60.0, 5, x_val=x)\n"
            "print('steps over the ranks:', comm.allreduce_calls)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=environment())
    assert done.returncode == 0, done.stderr
    assert "steps over the ranks: 6" in done.stdout  # 2 warm-up steps and the 4 batches timed


@needs_mpi
def test_striate_train_under_mpiexec_reports_a_mistake_once_and_stops_every_rank(tmp_path):
    """An unwritable --out (checked by rank 0 alone), a bad option (parsed by every rank), a
    network that does not fit the data (built by every rank): one message, no abort."""
    from ..datasets.test_datasets import write_fake_mnist

    (tmp_path / "mnist").mkdir()
    data = write_fake_mnist(tmp_path / "mnist", np.random.default_rng(0))
    (tmp_path / "a-file").write_text("")
    (tmp_path / "net.toml").write_text('[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Dense"\nunits = 7\n')
    command = [mpiexec(), "-n", "2", sys.executable, "-m", "striate", "train", "--dataset", "mnist",
               "--data-dir", str(data)]
    began = time.monotonic()
    runs = [(subprocess.run([*command, *options], capture_output=True, text=True, timeout=60, env=environment(),
                            cwd=tmp_path), named)
            for options, named in ((["--out", str(tmp_path / "a-file" / "m.striate")], "--out"),
                                   (["--epochs", "0"], "--epochs"),
                                   (["--config", "net.toml"], "mnist has 10 classes"))]
    assert time.monotonic() - began < 90
    for done, named in runs:
        assert done.returncode in (1, 2), done.stderr
        assert done.stderr.count("error:") == 1 and named in done.stderr, done.stderr
        assert "stopping all ranks" not in done.stderr  # every rank stopped by itself: no abort


@pytest.mark.parametrize("given", [None, "2"])
def test_ranks_on_one_machine_share_its_cores_with_their_blas_threads(given):
    """As many ranks as cores: each rank's shards and BLAS get one thread, unless the BLAS
    thread count is given (OPENBLAS_NUM_THREADS), which is then kept."""
    pytest.importorskip("mpi4py", reason="needs mpi4py: pip install -e '.[mpi]'")
    pytest.importorskip("threadpoolctl", reason="needs threadpoolctl to see the BLAS threads")
    cores = threads.cpu_count()
    if cores < 2:
        pytest.skip("needs a machine with 2 cores or more")
    code = ("from mpi4py import MPI\n"
            "from threadpoolctl import threadpool_info\n"
            "import striate\n"
            "from striate import layers as L\n"
            "from striate.engine import mpi, threads\n"
            "def blas():\n"
            "    return max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas')\n"
            "before = blas()\n"
            "striate.Sequential([L.Dense(3)], input_shape=(4,)).distribute(mpi.Communicator(MPI.COMM_SELF, MPI))\n"
            "print(before, threads.get_threads(), blas())\n")
    env = {k: v for k, v in environment().items()
           if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "STRIATE_NUM_THREADS")}
    env["MPI_LOCALNRANKS"] = str(cores)  # what hydra tells each of `cores` ranks on this machine
    if given:
        env["OPENBLAS_NUM_THREADS"] = given
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    before, shards, after = map(int, done.stdout.split())
    assert shards == 1
    if given:
        assert after == before == int(given)
    else:
        assert before > 1 and after == 1
