"""IDX reading and writing, and the MNIST / Fashion-MNIST files themselves."""

import gzip

import numpy as np
import pytest

import striate
from striate.datasets import load_folder, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(dtype, suffix, tmp_path, rng):
    a = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("data,message", [
    (b"\x00\x00", r"truncated IDX file \(2 bytes"),
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x05", r"not an IDX file \(magic number 01020801"),
    (b"\x00\x00\x08\x03\x00\x00", r"truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", r"dimensions \(5,\) need 13 bytes but the file has 10 \(truncated\)"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", r"need 9 bytes but the file has 10 \(trailing data\)"),
])
def test_idx_corruption_is_a_format_error_naming_the_file(data, message, tmp_path):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(striate.FormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_cut_off_gzip_is_a_format_error(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x04abcd")[:-6])
    with pytest.raises(striate.FormatError, match="cannot read IDX data"):
        read_idx(path)


def write_fake_mnist(folder, rng, n_train=64, n_test=32, label_max=9):
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in [("train", n_train), ("t10k", n_test)]:
        write_idx(folder / f"{stem}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{stem}-labels-idx1-ubyte", rng.integers(0, label_max + 1, n).astype(np.uint8))
    return folder


def test_load_folder_scales_to_unit_range(tmp_path, rng):
    (x, y), (xt, yt) = load_folder(write_fake_mnist(tmp_path / "m", rng))
    assert x.shape == (64, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == np.int64 and xt.shape == (32, 28, 28, 1)


def test_labels_outside_0_9_are_refused(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng, label_max=12)
    write_idx(folder / "train-labels-idx1-ubyte", np.full(64, 12, np.uint8))
    with pytest.raises(striate.FormatError, match="labels must lie in 0–9, found 12"):
        load_folder(folder)


def test_real_mnist_shapes_and_label_counts(mnist_dir):
    (x, y), (xt, yt) = load_folder(mnist_dir, dtype="uint8")
    assert x.shape == (60000, 28, 28, 1) and xt.shape == (10000, 28, 28, 1)
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
