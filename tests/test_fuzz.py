"""The test suite's fuzzer: a short, deterministic, structure-aware mutation pass over every reader.

fuzz/readers.py holds each reader's contract (accept the file, or raise its error naming
the file; a model that loads must predict), fuzz/mutate.py the mutations. `make fuzz`
runs the same readers under atheris for longer, guided by coverage.
"""

import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
sys.path.insert(0, str(FUZZ))

import mutation_pass  # noqa: E402
import readers  # noqa: E402

COUNTS = {"model": 600, "checkpoint": 500, "idx": 600, "idx_gz": 400, "onnx": 500, "toml": 600, "image": 400}


@pytest.mark.parametrize("name", sorted(readers.READERS))
def test_mutants_keep_the_error_contract(name, tmp_path):
    if name == "onnx":
        pytest.importorskip("onnx")
    if name == "image":
        pytest.importorskip("PIL")
    tried, failures = mutation_pass.run(name, COUNTS[name], seed=0, workdir=tmp_path)
    assert tried == COUNTS[name]
    assert not failures, f"{len(failures)} of {tried} inputs broke the contract; the first:\n{failures[0][1]}"


def test_the_harnesses_cover_every_reader():
    harnesses = {p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py")}
    assert harnesses == set(readers.READERS) - {"idx_gz"} | {"idx"}
