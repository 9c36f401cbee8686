"""Every code block of README.md, run as written, so that the README cannot drift from the code.

The blocks run in one folder, in README order, with a small MNIST (the first 2,000 training
and 500 test digits of ../shared/data/mnist, or generated noise when it is absent) in
$STRIATE_DATA and at path/to/mnist, a generated CIFAR-10 archive, a photos/ folder and a
sunflower.png — the files the snippets name. Python blocks run in one process, one after
another (later ones use the model and data of the first); each `striate ...` line of a sh
block runs as a command; a toml block is built; a text block is compared with the output
of the command that makes it.

Blocks that cannot run here, and why (EXCEPTIONS, matched by their first line):
- `make demo`, `make test`: they install into a venv and run the whole suite (minutes,
  and a package index); the Makefile's targets are what they run.
- `python3 -m venv .venv && .venv/bin/pip install ...`: needs a package index.
- `python -m benchmarks.train_models`: trains three networks for 35 minutes.
- `striate serve ...`: serves a web page until it is stopped (tests/cli/test_serve.py runs it).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import MNIST_DIR

README = Path(__file__).resolve().parents[1] / "README.md"
EXCEPTIONS = {
    "make demo": "installs and trains for minutes; `make demo` is the Makefile's target",
    "python3 -m venv .venv": "needs a package index",
    "python -m benchmarks.train_models": "trains for 35 minutes",
    "mpiexec": "needs the mpi extra; tests/engine/test_mpi.py runs striate train under mpiexec",
    "striate serve": "serves a web page until it is stopped",
}
TIMEOUT = 300


def blocks(text: str) -> list[tuple[str, int, str]]:
    """(language, first line number, code) of every fenced block."""
    found = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.S | re.M):
        found.append((match.group(1), text.count("\n", 0, match.start()) + 2, match.group(2)))
    return found


def excepted(code: str) -> str | None:
    first = code.strip().splitlines()[0]
    return next((why for start, why in EXCEPTIONS.items() if first.startswith(start)), None)


def commands(code: str) -> list[str]:
    """The `striate ...` command lines of a sh block (continuations joined, comments dropped)."""
    joined = code.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("striate ")]


def write_small_mnist(folder: Path) -> None:
    from striate.datasets import read_idx, write_idx

    folder.mkdir(parents=True)
    if MNIST_DIR.is_dir():
        for stem, n in [("train", 2000), ("t10k", 500)]:
            for kind in ("images-idx3", "labels-idx1"):
                name = f"{stem}-{kind}-ubyte"
                source = next(MNIST_DIR.glob(name + "*"))
                write_idx(folder / name, read_idx(source)[:n])
    else:  # no real digits here: noise of the same shapes runs the snippets as well
        from .datasets.test_datasets import write_fake_mnist

        write_fake_mnist(folder, np.random.default_rng(0), n_train=2000, n_test=500)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The folder the snippets run in, holding every file they name, and their environment."""
    pytest.importorskip("PIL")
    from .cli.conftest import write_folder, write_png
    from .datasets.test_cifar import fake_batches, write_archive

    root = tmp_path_factory.mktemp("readme")
    data = root / "data"
    write_small_mnist(data / "mnist")
    (root / "work" / "path" / "to").mkdir(parents=True)
    os.symlink(data / "mnist", root / "work" / "path" / "to" / "mnist")
    (data / "cifar10").mkdir()
    write_archive(data / "cifar10" / "cifar-10-binary.tar.gz", fake_batches(np.random.default_rng(0), per_file=20))
    write_folder(root / "work" / "photos", {"dark": 0.2, "light": 0.8}, per_class=6, size=40)
    write_png(root / "work" / "sunflower.png", np.random.default_rng(1).random((48, 48, 3)))
    env = {**os.environ, "STRIATE_DATA": str(data), "MPLBACKEND": "Agg"}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    return root / "work", env


def run(args, workspace, what):
    cwd, env = workspace
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


ALL = blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_the_blocks_this_test_expects():
    languages = {lang for lang, _, _ in ALL}
    assert languages <= {"python", "sh", "toml", "text"}, languages
    assert sum(lang == "python" for lang, _, _ in ALL) >= 5


def test_python_blocks_run_in_order(workspace):
    """All python blocks in one process, in README order; a failure names the block's line."""
    parts = ["import sys"]
    for lang, line, code in ALL:
        if lang == "python":
            parts.append(f"print('README line {line}', file=sys.stderr, flush=True)\n{code}")
    script = workspace[0] / "readme_blocks.py"
    script.write_text("\n".join(parts))
    run([sys.executable, script.name], workspace, "the README's python blocks")
    assert (workspace[0] / "lenet.striate").exists() and (workspace[0] / "best.striate").exists()


SH = [(line, command) for lang, line, code in ALL if lang == "sh" and not excepted(code) for command in commands(code)]


@pytest.mark.parametrize("line,command", SH, ids=[f"line{line}-{c.split()[1]}" for line, c in SH])
def test_sh_commands_run(workspace, line, command):
    run([sys.executable, "-m", "striate", *shlex.split(command, comments=True)[1:]], workspace,
        f"README line {line}: {command}")


def test_every_sh_block_is_run_or_excepted():
    for lang, line, code in ALL:
        if lang == "sh":
            assert excepted(code) or commands(code), f"README line {line}: a sh block this test does not run"


def test_toml_blocks_build(workspace):
    from striate.io import config

    for lang, line, code in ALL:
        if lang == "toml":
            path = workspace[0] / f"net-{line}.toml"
            path.write_text(code)
            model = config.load(path)
            assert model.built, f"README line {line}"


OUTPUTS = {" #  Layer": ["summary", "seed-table"], "y[0,0]: the window": ["explain", "conv"],
           "Winograd F(2×2, 3×3)": ["explain", "winograd"]}


def test_text_blocks_are_what_the_commands_print(workspace):
    """Every line of a README output block (but "...") is a line the command prints."""
    shown = 0
    for lang, line, code in ALL:
        if lang != "text":
            continue
        first = code.splitlines()[0]
        command = next((c for start, c in OUTPUTS.items() if first.startswith(start)), None)
        assert command, f"README line {line}: a text block of unknown origin"
        printed = {out.rstrip() for out in run([sys.executable, "-m", "striate", *command], workspace, command)
                   .splitlines()}
        for text in code.splitlines():
            if text.strip() not in ("...", ""):
                assert text.rstrip() in printed, f"README line {line}: {text!r} is not in `striate {' '.join(command)}`"
        shown += 1
    assert shown == len(OUTPUTS)


def test_the_readme_says_how_to_install_and_the_license_is_there():
    """Not on a package index: the README installs from the clone, names the Python it needs
    (as pyproject does), and no message, doc or test's skip reason sends anyone to
    `pip install 'striate[...]'`."""
    root = README.parent
    text = README.read_text(encoding="utf-8")
    assert "Python 3.11 or later" in text and 'requires-python = ">=3.11"' in (root / "pyproject.toml").read_text()
    assert "pip install -e '.[viz]'" in text and "striate[" not in text
    texts = [*(root / "src").rglob("*.py"), *(root / "docs").rglob("*.md"), *(root / "benchmarks").rglob("*.md"),
             *(p for p in (root / "tests").rglob("*.py") if p.name != "test_readme.py")]
    sources = [p for p in texts if "striate[" in p.read_text(encoding="utf-8")]
    assert sources == []
    assert (root / "LICENSE").read_text().startswith("MIT License")
