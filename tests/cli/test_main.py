"""The `striate` command itself: --version, one-line argument errors, quiet broken pipes."""

import subprocess
import sys

import pytest

import striate
from striate.cli.main import main


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"striate {striate.__version__} (Python ")


def test_an_argument_error_is_one_line_without_the_usage(capsys):
    with pytest.raises(SystemExit) as info:
        main(["train", "--dataset", "mnist", "--epochs", "zero"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err == ("striate train: error: argument --epochs: expected a positive whole number, got 'zero' "
                   "(see striate train --help)\n")


def test_piping_into_head_is_quiet(tmp_path):
    done = subprocess.run(f"{sys.executable} -m striate summary fashion | head -n 1", shell=True, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("fashion: 861,802 parameters")
    assert "Broken pipe" not in done.stderr and "Error" not in done.stderr, done.stderr


def test_a_diverged_run_is_reported_in_one_line(fake_mnist, capsys):
    code = main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1", "--batch-size", "16",
                 "--lr", "1e6", "--json"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("striate train: error: fit: the loss ") and "training diverged. Try a lower learning" in err


@pytest.mark.parametrize("option,value,message", [
    ("--lr", "nan", "lr must be a positive number, got nan"),
    ("--lr", "inf", "lr must be a positive number, got inf"),
    ("--weight-decay", "nan", "SGD: weight_decay must be a finite number >= 0, got nan"),
])
def test_nan_and_inf_settings_are_refused(fake_mnist, capsys, option, value, message):
    code = main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1", option, value, "--json"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "diverged" not in err, err


def test_running_out_of_memory_is_one_line(monkeypatch, capsys):
    from striate.cli import summary

    def allocate(args):
        raise MemoryError("Unable to allocate 74.5 GiB for an array with shape (10000000000,) and data type float64")

    monkeypatch.setattr(summary, "run", allocate)
    assert main(["summary", "lenet5"]) == 1
    assert capsys.readouterr().err == ("striate summary: error: not enough memory for this command: unable to "
                                       "allocate 74.5 GiB for an array with shape (10000000000,) and data type "
                                       "float64\n")
