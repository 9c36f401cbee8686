"""A deterministic, structure-aware mutation pass over one reader (or all): the test suite's fuzzer.

    python fuzz/mutation_pass.py                 # every reader, 500 inputs each
    python fuzz/mutation_pass.py model 20000     # one reader, more inputs

Each input is a seed (readers.py) mutated once to three times (mutate.py); mutants the
reader accepts join the pool, so damage accumulates. The reader must accept the file
or raise its error naming the file; anything else is printed with the input that
caused it (saved under fuzz/crashes/ by the command line) and the pass fails.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutate import mutate  # noqa: E402
from readers import READERS  # noqa: E402


def run(name: str, count: int, seed: int = 0, workdir: Path | None = None) -> tuple[int, list]:
    """(inputs tried, [(input bytes, traceback text)]) of `count` mutants for reader `name`."""
    reader = READERS[name]
    rng = random.Random(f"{name}-{seed}")
    pool = reader.seeds()
    failures = []
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        path = Path(d) / f"input{reader.suffix}"
        for _ in range(count):
            data = rng.choice(pool)
            for _ in range(rng.choice([1, 1, 2, 3])):
                data = mutate(name, data, rng)
            path.write_bytes(data)
            try:
                reader.check(path)
            except Exception:  # noqa: BLE001 - the contract: nothing but what check lets through
                failures.append((data, traceback.format_exc(limit=-6)))
                continue
            if len(pool) < 200 and rng.random() < 0.3:
                pool.append(data)
    return count, failures


def main(argv) -> int:
    names = [argv[0]] if argv and argv[0] in READERS else list(READERS)
    count = int(argv[-1]) if argv and argv[-1].isdigit() else 500
    crashes = Path(__file__).resolve().parent / "crashes"
    status = 0
    for name in names:
        start = time.perf_counter()
        tried, failures = run(name, count)
        print(f"{name:11s} {tried:7,d} inputs  {len(failures):4d} failures  {time.perf_counter() - start:6.1f} s", flush=True)
        for i, (data, text) in enumerate(failures[:5]):
            crashes.mkdir(exist_ok=True)
            (crashes / f"{name}-{i}{READERS[name].suffix}").write_bytes(data)
            print(text, file=sys.stderr)
        status |= bool(failures)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
