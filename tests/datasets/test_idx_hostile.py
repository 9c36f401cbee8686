"""Hostile IDX files: each refused with a FormatError naming the file, cheaply."""

import gzip
from pathlib import Path
import struct
import zlib

import numpy as np
import pytest

import striate
from striate import FormatError, limits
from striate.datasets import read_idx, write_idx
from striate.datasets.mnist import load_folder

from ..memory import raises_cheaply
from .test_datasets import write_fake_mnist


def idx_header(code, dims):
    return struct.pack(">HBB", 0, code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


def refused(path, match):
    message = raises_cheaply(FormatError, lambda: read_idx(path), match)
    assert str(path) in message
    return message


def test_corrupt_deflate_data_is_a_format_error(tmp_path, rng):
    good = gzip.compress(idx_header(0x08, (4, 28, 28)) + rng.integers(0, 256, 4 * 784, dtype=np.uint8).tobytes())
    path = tmp_path / "a.idx.gz"
    for at in range(10, len(good) - 8):  # the first flip that makes zlib itself fail
        raw = bytearray(good)
        raw[at] ^= 0xFF
        try:
            gzip.decompress(bytes(raw))
        except zlib.error:
            break
        except Exception:  # noqa: BLE001 - a flip that fails elsewhere (a bad header or CRC) is not the case tested here
            continue
    else:
        pytest.fail("no flip gave a zlib.error")
    path.write_bytes(bytes(raw))
    refused(path, r"cannot read IDX data \(error: Error -3 while decompressing")


def test_dimensions_whose_product_wraps_int64(tmp_path):
    path = tmp_path / "wrap.idx"
    path.write_bytes(idx_header(0x08, (65536,) * 4) + b"\0" * 16)  # 65536**4 = 2**64: NumPy's product is 0
    refused(path, r"dimensions \(65536, 65536, 65536, 65536\) need 18,446,744,073,709,551,616 bytes of data, "
                  r"over the limit of 2,147,483,648 \(striate.limits.MAX_DATA_BYTES\)")


def test_a_size_over_the_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.idx"
    path.write_bytes(idx_header(0x0D, (100, 100)) + b"\0" * 40_000)
    with limits.raised(max_data_bytes=1000):
        refused(path, r"need 40,000 bytes of data, over the limit of 1,000")
    assert read_idx(path).shape == (100, 100)


def test_a_gzip_bomb_is_not_inflated(tmp_path):
    """A 2 MB file of 1,000 gzip members, 2 GB inflated, behind a header stating 10 bytes."""
    path = tmp_path / "bomb.idx.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (10,)) + bytes(10)) + gzip.compress(bytes(2 << 20)) * 1000)
    assert path.stat().st_size < 3 << 20
    refused(path, r"dimensions \(10,\) need 18 bytes but the file has more than 18 \(trailing data\)")


def test_a_gzip_claiming_more_than_it_holds_allocates_nothing(tmp_path):
    path = tmp_path / "short.idx.gz"
    path.write_bytes(gzip.compress(idx_header(0x0E, (2**14, 2**14)) + bytes(100)))  # states 2 GiB of float64
    refused(path, r"need 2147483660 bytes but the file has 112 \(truncated\)")


@pytest.mark.parametrize("bad,shown", [(np.inf, "inf"), (np.nan, "nan"), (3.7, "3.7"), (-np.inf, "-inf")])
def test_float_labels_must_be_whole_numbers_in_range(tmp_path, rng, bad, shown):
    folder = write_fake_mnist(tmp_path / "m", rng)
    labels = rng.integers(0, 10, 64).astype(np.float32)
    labels[5] = bad
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    with pytest.raises(FormatError, match=rf"train-labels-idx1-ubyte: labels must lie in 0–9, found {shown} at index 5"):
        load_folder(folder)


def test_whole_float_labels_are_fine(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng)
    write_idx(folder / "train-labels-idx1-ubyte", np.arange(64) % 10 * np.ones(64, np.float64))
    (_, y), _ = load_folder(folder)
    assert y.dtype == np.int64 and y[:12].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_the_format_error_is_a_value_error():
    assert issubclass(striate.FormatError, ValueError)


# ---- malformed files kept in crashes/: each one is refused with a FormatError --------------------
CRASHES = Path(__file__).parent / "crashes"


def test_zero_bytes_but_more_elements_than_numpy_can_index(tmp_path):
    """dims with a 0 need no bytes, but np.empty refused the others with a bare ValueError."""
    path = tmp_path / "z.idx"
    path.write_bytes((CRASHES / "idx-zero-size-huge-dims.idx").read_bytes())
    refused(path, r"dimensions \(.*\) are not possible: array is too big")
