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
