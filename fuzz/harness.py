"""What every atheris harness shares: seeds, the coverage-guided loop, a structure-aware mutator.

    python fuzz/fuzz_model.py -max_total_time=60      # any libFuzzer flag works
    make fuzz FUZZ_SECONDS=60                          # every harness, one after another

The seeds are made by the harness itself (readers.py) into fuzz/corpus/<reader>/ on its
first run; libFuzzer adds what it finds there. Half the mutations are libFuzzer's own
byte-level ones, half the structure-aware ones of mutate.py, so inputs both pass the
framing (checksums, gzip, protobuf) and damage what lies behind it. A crash — any
exception but the reader's own error naming the file — stops the run and leaves the
input as crash-<sha1> in the current folder: it becomes a regression test.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

with atheris.instrument_imports(include=["striate"]):
    import striate  # noqa: F401 - instrumented for coverage

import mutate  # noqa: E402
import readers  # noqa: E402
from striate import limits  # noqa: E402

# Lower limits while fuzzing: a file within the defaults may rightly allocate a few GB
# (2**28 parameters are drawn as float64 first), which libFuzzer's -rss_limit_mb would
# report as a leak of memory. The checks are the same; only the thresholds are smaller.
limits.MAX_PARAMS, limits.MAX_ACTIVATION, limits.MAX_DATA_BYTES = 2**22, 2**22, 2**26


def seed_corpus(name: str) -> Path:
    corpus = HERE / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for i, data in enumerate(readers.READERS[name].seeds()):
            (corpus / f"seed-{i}").write_bytes(data)
    return corpus


def main(name: str, names=None) -> None:
    """Fuzz reader `name` (for IDX: raw and gzip files, told apart by their first bytes)."""
    names = names or [name]
    folder = Path(tempfile.mkdtemp(prefix=f"striate-fuzz-{name}-"))
    corpora = [seed_corpus(n) for n in names]

    def reader_of(data: bytes) -> str:
        return "idx_gz" if "idx_gz" in names and data[:2] == b"\x1f\x8b" else names[0]

    def test_one_input(data: bytes) -> None:
        reader = readers.READERS[reader_of(data)]
        path = folder / f"input{reader.suffix}"
        path.write_bytes(data)
        reader.check(path)  # raises on a broken contract: libFuzzer saves the input

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return atheris.Mutate(data, max_size)
        return mutate.mutate(reader_of(data), data, rng)[:max_size]

    args = [sys.argv[0], *sys.argv[1:], *map(str, corpora)]
    if not any(a.startswith("-rss_limit_mb") for a in args):
        args.insert(1, "-rss_limit_mb=1024")  # NumPy, onnx and Pillow take ~300 MB; a forged size much more
    atheris.Setup(args, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
