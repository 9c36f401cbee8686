"""IDX reading and writing, `load` by name, and the real MNIST / Fashion-MNIST files."""

import gzip
import hashlib

import numpy as np
import pytest

import striate
from striate.datasets import catalog, load, load_folder, read_idx, write_idx


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


def test_images_and_labels_of_different_counts_are_refused(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng)
    write_idx(folder / "t10k-labels-idx1-ubyte", np.zeros(31, np.uint8))
    with pytest.raises(striate.FormatError, match=r"t10k-images-idx3-ubyte.gz, .*t10k-labels-idx1-ubyte: "
                                                  r"32 images but 31 labels"):
        load_folder(folder)


def test_negative_labels_are_refused(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng)
    write_idx(folder / "t10k-labels-idx1-ubyte", np.full(32, -1, np.int8))
    with pytest.raises(striate.FormatError, match="labels must lie in 0–9, found -1"):
        load_folder(folder)


def test_images_must_be_uint8_n_h_w(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng)
    write_idx(folder / "train-images-idx3-ubyte.gz", np.zeros((64, 28, 28), np.float32))
    with pytest.raises(striate.FormatError, match=r"expected uint8 images of shape \(N, H, W\), got float32"):
        load_folder(folder)


@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
def test_load_by_name_from_a_folder(dtype, tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "m", rng)
    data = load("fashion-mnist", data_dir=folder, dtype=dtype)
    (x, y), (xt, yt) = data
    assert x.dtype == np.dtype(dtype) and x.shape == (64, 28, 28, 1) and yt.dtype == np.int64
    raw = read_idx(folder / "train-images-idx3-ubyte.gz")
    np.testing.assert_allclose(x[..., 0], raw if dtype == "uint8" else raw / 255, rtol=1e-6)
    assert data.class_names[9] == "Ankle boot" and data.source == folder and data.name == "fashion-mnist"
    assert "LoadedData('fashion-mnist': train (64, 28, 28, 1)" in repr(data)


@pytest.mark.parametrize("call,message", [
    (lambda: load("imagenet"), r"unknown data set 'imagenet'; expected one of mnist, fashion-mnist, cifar10 "
                               r"or 'folder:PATH'"),
    (lambda: load("mnist", dtype="int32"), r"load: dtype must be one of float32, float64, uint8, got 'int32'"),
    (lambda: load("folder:"), r"load: 'folder:' needs a path"),
    (lambda: load("folder:x", data_dir="y"), r"load: give the folder once, in the name \('folder:x'\)"),
])
def test_load_argument_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def idx_content_sha256(path):
    with gzip.open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pinned_content_digests(spec):
    return {f.name: next(d.hexdigest for d in f.digests if d.gunzip) for f in spec.files}


def test_real_mnist_through_load(mnist_dir):
    (x, y), (xt, yt) = data = load("mnist", data_dir=mnist_dir)
    assert x.shape == (60000, 28, 28, 1) and x.dtype == np.float32 and 0 == x.min() and x.max() == 1
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.class_names == [str(i) for i in range(10)]


def test_real_mnist_matches_the_pinned_checksums(mnist_dir):
    for name, digest in pinned_content_digests(catalog.MNIST).items():
        assert idx_content_sha256(mnist_dir / name) == digest, name


def test_real_fashion_mnist_from_the_system_copy(fashion_dir):
    (x, y), (xt, yt) = data = load("fashion-mnist", dtype="uint8", download=False)
    assert data.source == fashion_dir
    assert x.shape == (60000, 28, 28, 1) and xt.shape == (10000, 28, 28, 1) and x.dtype == np.uint8
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert data.class_names[0] == "T-shirt/top" and data.class_names[9] == "Ankle boot"


def test_real_fashion_mnist_matches_the_pinned_checksums(fashion_dir):
    for name, digest in pinned_content_digests(catalog.FASHION_MNIST).items():
        assert idx_content_sha256(fashion_dir / name) == digest, name


def test_a_folder_of_the_other_mnist_is_refused(fashion_dir, mnist_dir):
    """Same file names, same sizes: the test labels' pinned digest tells the data sets apart."""
    with pytest.raises(ValueError, match=rf"{fashion_dir} holds fashion-mnist, not mnist .*give --dataset "
                                         "fashion-mnist"):
        striate.datasets.load("mnist", fashion_dir)
    with pytest.raises(ValueError, match=rf"{mnist_dir} holds mnist, not fashion-mnist"):
        striate.datasets.load("fashion-mnist", mnist_dir)


def test_a_folder_of_the_other_mnist_is_refused_by_train(fashion_dir, capsys):
    from striate.cli.main import main

    assert main(["train", "--dataset", "mnist", "--data-dir", str(fashion_dir), "--limit", "10"]) == 1
    assert "holds fashion-mnist, not mnist" in capsys.readouterr().err


def test_a_copy_of_your_own_is_taken_as_it_is(tmp_path, rng):
    (x, _), _ = striate.datasets.load("fashion-mnist", write_fake_mnist(tmp_path / "f", rng))
    assert len(x) == 64


def write_labels_with_trailing_zeros(path, rng, trailing):
    """A gzip test-labels file: a valid header and 10,000 labels, then `trailing` zero bytes."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(b"\x00\x00\x08\x01" + (10_000).to_bytes(4, "big"))
        f.write(rng.integers(0, 10, 10_000).astype(np.uint8).tobytes())
        zeros = bytes(2**20)
        for _ in range(trailing // len(zeros)):
            f.write(zeros)


def test_a_gzip_bomb_of_test_labels_is_refused_cheaply(tmp_path, rng):
    """The data-set check reads only what the labels can hold; the reader then names the trailing data."""
    from tests.memory import raises_cheaply

    folder = write_fake_mnist(tmp_path / "bomb", rng)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    write_labels_with_trailing_zeros(folder / "t10k-labels-idx1-ubyte.gz", rng, 160 * 2**20)
    raises_cheaply(striate.FormatError, lambda: striate.datasets.load("mnist", folder),
                   match=r"t10k-labels-idx1-ubyte\.gz: .*trailing data")


def test_damaged_gzip_test_labels_are_a_format_error_naming_the_file(tmp_path, rng):
    folder = write_fake_mnist(tmp_path / "damaged", rng)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    data = bytearray(gzip.compress(b"\x00\x00\x08\x01" + (10_000).to_bytes(4, "big") + bytes(10_000)))
    data[20:40] = bytes(b ^ 0xFF for b in data[20:40])  # inside the deflate stream
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(data))
    with pytest.raises(striate.FormatError, match=r"t10k-labels-idx1-ubyte\.gz: cannot read IDX data"):
        striate.datasets.load("mnist", folder)
