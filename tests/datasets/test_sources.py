"""Where data comes from, in order: data_dir, $STRIATE_DATA, the user cache, system copies, mirrors."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from striate.datasets import DataNotFoundError, cache_dir, load, read_idx, write_idx
from striate.datasets import catalog, mnist
from striate.datasets.catalog import Digest, RemoteFile
from striate.datasets.sources import download_dir, locate, mirror_list

from .test_datasets import write_fake_mnist


def fake_spec(folder: Path, system_dirs=(), mirrors=("http://127.0.0.1:9/",)):
    """An "mnist" Spec pinning the sha256 of the generated files in folder."""
    files = tuple(RemoteFile(p.name, (Digest("sha256", hashlib.sha256(p.read_bytes()).hexdigest()),))
                  for p in sorted(folder.iterdir()))
    return catalog.Spec("mnist", files, tuple(mirrors), catalog.MNIST.class_names, tuple(system_dirs),
                        "the four test files", "generate them")


@pytest.fixture
def served(tmp_path, rng, mirror, monkeypatch):
    """Generated MNIST-like .gz files on the local mirror under /mnist/, pinned in the catalog."""
    folder = tmp_path / "generated"
    write_fake_mnist(folder, rng)
    for p in folder.glob("*-ubyte"):  # serve only .gz files, as the real mirrors do
        write_idx(p.with_name(p.name + ".gz"), read_idx(p))
        p.unlink()
    for p in folder.iterdir():
        mirror.files[f"/mnist/{p.name}"] = p.read_bytes()
    spec = fake_spec(folder, mirrors=(mirror.url + "/mnist/",))
    monkeypatch.setitem(catalog.SPECS, "mnist", spec)
    monkeypatch.setenv("STRIATE_MIRRORS", mirror.url + "/{name}/")
    return folder


def test_cache_dir_follows_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir("mnist") == tmp_path / "xdg" / "striate" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir("mnist") == tmp_path / "home" / ".cache" / "striate" / "mnist"


def test_mirror_list_argument_then_environment_then_builtin(monkeypatch):
    monkeypatch.setenv("STRIATE_MIRRORS", "http://a/{name}, http://b/x/")
    assert mirror_list(catalog.MNIST) == ["http://a/mnist/", "http://b/x/"]
    assert mirror_list(catalog.MNIST, ["http://c"]) == ["http://c/"]
    monkeypatch.delenv("STRIATE_MIRRORS")
    assert mirror_list(catalog.MNIST) == list(catalog.MNIST.mirrors)
    with pytest.raises(ValueError, match="mirrors must be a list of base URLs, got the string 'http://c'"):
        mirror_list(catalog.MNIST, "http://c")


def copies(tmp_path, rng, *names):
    return [write_fake_mnist(tmp_path / name, rng, n_train=8 + i, n_test=4) for i, name in enumerate(names)]


def test_data_dir_comes_first_and_is_the_only_place_looked_at(tmp_path, rng, monkeypatch):
    mine, env = copies(tmp_path, rng, "mine", "env/mnist")
    monkeypatch.setenv("STRIATE_DATA", str(tmp_path / "env"))  # complete, yet not looked at
    spec = fake_spec(mine)
    assert locate(spec, mnist.missing, data_dir=mine) == mine
    with pytest.raises(DataNotFoundError, match=r"nowhere: no such folder; missing train-images-idx3-ubyte\[\.gz\]"):
        locate(spec, mnist.missing, data_dir=tmp_path / "nowhere")


def test_striate_data_before_the_cache_before_system_copies(tmp_path, rng, monkeypatch):
    env, cache, system = copies(tmp_path, rng, "env/mnist", "xdg/striate/mnist", "system")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    spec = fake_spec(env, system_dirs=[system])
    monkeypatch.setenv("STRIATE_DATA", str(tmp_path / "env"))
    assert locate(spec, mnist.missing) == env
    monkeypatch.delenv("STRIATE_DATA")
    assert locate(spec, mnist.missing) == cache
    (cache / "t10k-labels-idx1-ubyte").unlink()  # an incomplete copy is passed over
    assert locate(spec, mnist.missing) == system


def test_load_reports_where_the_data_came_from(tmp_path, rng, monkeypatch):
    env, = copies(tmp_path, rng, "env/mnist")
    monkeypatch.setenv("STRIATE_DATA", str(tmp_path / "env"))
    data = load("mnist")
    assert data.source == env and len(data[0][0]) == 8


def test_downloads_go_to_the_cache_and_are_found_there_next_time(served, tmp_path, mirror):
    data = load("mnist", progress=False)
    target = tmp_path / "xdg-cache" / "striate" / "mnist"
    assert data.source == target and sorted(p.name for p in target.iterdir()) == sorted(
        p.name for p in served.iterdir())
    (x, y), (xt, yt) = data
    assert x.shape == (64, 28, 28, 1) and x.dtype == np.float32 and yt.shape == (32,)
    mirror.requests.clear()
    assert load("mnist").source == target and mirror.requests == []


def test_downloads_go_to_striate_data_when_set(served, tmp_path, monkeypatch):
    monkeypatch.setenv("STRIATE_DATA", str(tmp_path / "mine"))
    assert download_dir(catalog.SPECS["mnist"]) == tmp_path / "mine" / "mnist"
    assert load("mnist", progress=False).source == tmp_path / "mine" / "mnist"


def test_only_the_missing_files_are_downloaded(served, tmp_path, mirror):
    cache = tmp_path / "xdg-cache" / "striate" / "mnist"
    cache.mkdir(parents=True)
    keep = served / "train-images-idx3-ubyte.gz"
    (cache / keep.name).write_bytes(keep.read_bytes())
    load("mnist", progress=False)
    assert sorted(path for path, _ in mirror.requests) == [
        "/mnist/t10k-images-idx3-ubyte.gz", "/mnist/t10k-labels-idx1-ubyte.gz", "/mnist/train-labels-idx1-ubyte.gz"]


def test_a_download_cut_halfway_is_completed(served, mirror):
    mirror.drop["/mnist/train-images-idx3-ubyte.gz"] = 1
    (x, _), _ = load("mnist", dtype="uint8", progress=False)
    assert x.shape == (64, 28, 28, 1)
    ranges = [r for path, r in mirror.requests if path == "/mnist/train-images-idx3-ubyte.gz"]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and len(ranges) == 2


def test_a_corrupted_download_is_deleted_and_reported(served, mirror, tmp_path):
    name = "/mnist/t10k-labels-idx1-ubyte.gz"
    mirror.files[name] = mirror.files[name][:-8] + b"\0" * 8
    with pytest.raises(DataNotFoundError, match=r"(?s)download .*t10k-labels-idx1-ubyte.gz: checksum mismatch.*"
                                                r"the download was deleted"):
        load("mnist", progress=False)
    assert not list((tmp_path / "xdg-cache" / "striate" / "mnist").glob("t10k-labels*"))


def test_offline_the_error_lists_every_place_and_how_to_supply_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIATE_MIRRORS", "http://127.0.0.1:9/one/ http://127.0.0.1:9/two/")
    spec = catalog.Spec("fashion-mnist", catalog.FASHION_MNIST.files, (), catalog.FASHION_MNIST.class_names,
                        (str(tmp_path / "usr-share"),), catalog.FASHION_MNIST.contents,
                        catalog.FASHION_MNIST.how_to_get)
    monkeypatch.setitem(catalog.SPECS, "fashion-mnist", spec)
    with pytest.raises(DataNotFoundError) as info:
        load("fashion-mnist", progress=False)
    lines = str(info.value).splitlines()
    cache = tmp_path / "xdg-cache" / "striate" / "fashion-mnist"
    assert lines[0] == "no fashion-mnist data found. Tried, in order:"
    assert lines[1] == "  $STRIATE_DATA: not set"
    assert lines[2] == f"  user cache {cache}: no such folder"
    assert lines[3] == f"  system copy {tmp_path / 'usr-share'}: no such folder"
    assert lines[4].startswith("  download http://127.0.0.1:9/one/train-images-idx3-ubyte.gz: cannot connect")
    assert lines[5].startswith("  download http://127.0.0.1:9/two/train-images-idx3-ubyte.gz: cannot connect")
    assert lines[-1].startswith("To supply it: install Debian's package (apt-get install dataset-fashion-mnist)")
    assert f"put the four Fashion-MNIST IDX files (raw or .gz) in {cache}, or in a folder" in lines[-1]
    assert "data_dir=" in lines[-1] and "--data-dir DIR" in lines[-1]


def test_download_false_never_downloads(served, mirror):
    with pytest.raises(DataNotFoundError, match=r"download: switched off \(download=False\)"):
        load("mnist", download=False)
    assert mirror.requests == []


def test_a_failed_download_leaves_no_empty_cache_folders(tmp_path, monkeypatch):
    """Offline: the cache folders made for the download are removed again (the conftest's
    mirrors are a closed port)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError):
        load("mnist", progress=False)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*"))
    kept = tmp_path / "cache" / "striate" / "cifar10"
    kept.mkdir(parents=True)
    (kept / "cifar-10-binary.tar.gz.part").write_bytes(b"resumable bytes")
    with pytest.raises(DataNotFoundError):
        load("cifar10", progress=False)
    assert (kept / "cifar-10-binary.tar.gz.part").exists()  # bytes to resume from are kept
