"""CIFAR-10's binary records, from a small generated cifar-10-binary.tar.gz."""

import hashlib
import io
import tarfile

import numpy as np
import pytest

import striate
from striate.datasets import load
from striate.datasets import catalog
from striate.datasets.catalog import Digest, RemoteFile
from striate.datasets.cifar import parse_records

NAMES = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]


def records(images, labels) -> bytes:
    """The binary layout, written the slow obvious way: label byte, then R, G, B planes."""
    return b"".join(bytes([int(lbl)]) + img.transpose(2, 0, 1).tobytes() for img, lbl in zip(images, labels))


def fake_batches(rng, per_file=3):
    """{file name: (images (n, 32, 32, 3) uint8, labels (n,))} for the six .bin files."""
    return {name: (rng.integers(0, 256, (per_file, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, per_file))
            for name in NAMES}


def write_archive(path, batches, meta=b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n",
                  skip=()):
    with tarfile.open(path, "w:gz") as tar:
        members = {name: records(*batches[name]) for name in batches if name not in skip}
        members["batches.meta.txt"] = meta
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def expected(batches):
    train = [batches[n] for n in NAMES[:5]]
    return (np.concatenate([b[0] for b in train]), np.concatenate([b[1] for b in train])), batches["test_batch.bin"]


def test_records_become_nhwc_images(rng):
    images, labels = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8), np.array([0, 9, 3, 3])
    x, y = parse_records(records(images, labels), "t.bin")
    assert x.shape == (4, 32, 32, 3) and x.dtype == np.uint8 and x.flags.c_contiguous
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


def test_one_red_pixel_lands_in_channel_0():
    data = bytearray(3073)
    data[0] = 7
    data[1 + 5 * 32 + 2] = 200  # red plane, row 5, column 2
    x, y = parse_records(bytes(data), "t.bin")
    assert y.tolist() == [7] and x[0, 5, 2].tolist() == [200, 0, 0] and x.sum() == 200


@pytest.mark.parametrize("data,message", [
    (b"", r"t.bin: 0 bytes is not a whole, non-zero number of 3073-byte CIFAR-10 records"),
    (bytes(3073 * 2 - 1), r"t.bin: 6145 bytes is not a whole, non-zero number of 3073-byte"),
    (bytes([10]) + bytes(3072), r"t.bin: labels must lie in 0–9, found 10"),
])
def test_corrupt_records_are_format_errors(data, message):
    with pytest.raises(striate.FormatError, match=message):
        parse_records(data, "t.bin")


def test_load_from_the_archive(tmp_path, rng):
    batches = fake_batches(rng)
    write_archive(tmp_path / "cifar-10-binary.tar.gz", batches)
    data = load("cifar10", data_dir=tmp_path, dtype="uint8")
    (x, y), (xt, yt) = data
    (ex, ey), (ext, eyt) = expected(batches)
    assert x.shape == (15, 32, 32, 3) and xt.shape == (3, 32, 32, 3) and y.dtype == np.int64
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    np.testing.assert_array_equal(xt, ext)
    np.testing.assert_array_equal(yt, eyt)
    assert data.class_names[0] == "airplane" and data.class_names[9] == "truck"


def test_load_from_the_extracted_folder_as_float(tmp_path, rng):
    batches = fake_batches(rng)
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, (images, labels) in batches.items():
        (folder / name).write_bytes(records(images, labels))
    (x, y), _ = load("cifar10", data_dir=tmp_path)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    np.testing.assert_allclose(x * 255, expected(batches)[0][0], atol=1e-4)


def test_an_archive_without_the_binary_files_is_refused(tmp_path, rng):
    write_archive(tmp_path / "cifar-10-binary.tar.gz", fake_batches(rng), skip=("test_batch.bin",))
    with pytest.raises(striate.FormatError, match=r"cifar-10-binary.tar.gz: the archive lacks test_batch.bin "
                                                  r"\(is it the binary version\?\)"):
        load("cifar10", data_dir=tmp_path)


def test_a_broken_archive_is_refused(tmp_path):
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"not a tarball at all")
    with pytest.raises(striate.FormatError, match=r"not a readable CIFAR-10 binary archive"):
        load("cifar10", data_dir=tmp_path)


def test_download_from_the_local_mirror(tmp_path, rng, mirror, monkeypatch):
    batches = fake_batches(rng)
    archive = write_archive(tmp_path / "cifar-10-binary.tar.gz", batches).read_bytes()
    mirror.files["/cifar10/cifar-10-binary.tar.gz"] = archive
    mirror.drop["/cifar10/cifar-10-binary.tar.gz"] = 1
    spec = catalog.Spec("cifar10", (RemoteFile("cifar-10-binary.tar.gz", (
        Digest("md5", hashlib.md5(archive).hexdigest()),)),), (), catalog.CIFAR10.class_names)
    monkeypatch.setitem(catalog.SPECS, "cifar10", spec)
    (x, y), _ = load("cifar10", dtype="uint8", mirrors=[mirror.url + "/{name}"], progress=False)
    np.testing.assert_array_equal(x, expected(batches)[0][0])
    assert (tmp_path / "xdg-cache" / "striate" / "cifar10" / "cifar-10-binary.tar.gz").read_bytes() == archive

