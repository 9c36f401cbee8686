"""Peak memory of a call, measured with tracemalloc: hostile files must be refused cheaply."""

import os
import tracemalloc

LIMIT = 100 * 2**20  # loading a hostile file stays under 100 MB


def peak_bytes(call) -> int:
    """The peak of traced allocations while call() runs (its exception, if any, is re-raised after)."""
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def raises_cheaply(exception, call, match=None) -> str:
    """Assert call() raises `exception` (matching `match`) with a traced peak under LIMIT; the message."""
    import re

    caught = []

    def run():
        try:
            call()
        except exception as e:
            caught.append(e)

    peak = peak_bytes(run)
    assert caught, f"did not raise {exception.__name__}"
    if match is not None:
        assert re.search(match, str(caught[0])), str(caught[0])
    if os.environ.get("STRIATE_SHOW_PEAKS"):  # for the report: pytest -s with it set
        print(f"\npeak {peak / 2**20:7.2f} MiB  {os.environ.get('PYTEST_CURRENT_TEST', '').split(' ')[0]}")
    assert peak < LIMIT, f"peak {peak / 2**20:.1f} MiB"
    return str(caught[0])
