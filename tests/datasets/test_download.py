"""Downloads from a local mirror on 127.0.0.1: success, checksum mismatch, dropped connections, resume."""

import gzip
import hashlib

import pytest

from striate.datasets.catalog import Digest, RemoteFile
from striate.datasets.download import DownloadError, check_digests, fetch

DATA = bytes(range(256)) * 400  # 102400 bytes, big enough for several read chunks


def remote(name="data.bin", data=DATA):
    return RemoteFile(name, (Digest("sha256", hashlib.sha256(data).hexdigest()),))


def test_download_verifies_and_moves_into_place(mirror, tmp_path):
    mirror.files["/a/data.bin"] = DATA
    path = fetch(remote(), [mirror.url + "/a/data.bin"], tmp_path / "cache", progress=False)
    assert path == tmp_path / "cache" / "data.bin" and path.read_bytes() == DATA
    assert not (tmp_path / "cache" / "data.bin.part").exists()


def test_checksum_mismatch_deletes_the_file_and_says_so(mirror, tmp_path):
    mirror.files["/bad/data.bin"] = DATA[:-1] + b"\x00"  # one byte corrupted
    with pytest.raises(DownloadError, match=r"checksum mismatch, got sha256 [0-9a-f]{64}; expected sha256 "
                                            + hashlib.sha256(DATA).hexdigest() + "; the download was deleted"):
        fetch(remote(), [mirror.url + "/bad/data.bin"], tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a .part is left


def test_a_corrupted_mirror_is_skipped_for_the_next(mirror, tmp_path):
    mirror.files["/bad/data.bin"] = DATA[::-1]
    mirror.files["/good/data.bin"] = DATA
    path = fetch(remote(), [mirror.url + "/bad/data.bin", mirror.url + "/good/data.bin"], tmp_path, progress=False)
    assert path.read_bytes() == DATA


def test_a_dropped_connection_is_resumed_with_a_range_request(mirror, tmp_path):
    mirror.files["/data.bin"] = DATA
    mirror.drop["/data.bin"] = 1
    path = fetch(remote(), [mirror.url + "/data.bin"], tmp_path, progress=False)
    assert path.read_bytes() == DATA
    assert mirror.requests == [("/data.bin", None), ("/data.bin", f"bytes={len(DATA) // 2}-")]


def test_an_interrupted_download_is_resumed_by_the_next_call(mirror, tmp_path):
    mirror.files["/data.bin"] = DATA
    mirror.drop["/data.bin"] = 10  # drops every time: this call gives up, keeping what it got
    with pytest.raises(DownloadError, match=r"connection closed after \d+ of \d+ bytes; gave up after 3 tries, "
                                            r"\d+ bytes kept in .*data.bin.part to resume next time"):
        fetch(remote(), [mirror.url + "/data.bin"], tmp_path, progress=False)
    kept = (tmp_path / "data.bin.part").stat().st_size
    assert 0 < kept < len(DATA)
    mirror.drop.clear()
    mirror.requests.clear()
    assert fetch(remote(), [mirror.url + "/data.bin"], tmp_path, progress=False).read_bytes() == DATA
    assert mirror.requests == [("/data.bin", f"bytes={kept}-")]


def test_a_server_ignoring_range_restarts_from_scratch(mirror, tmp_path):
    mirror.files["/data.bin"] = DATA
    mirror.ignore_range.add("/data.bin")
    (tmp_path / "data.bin.part").write_bytes(DATA[:1000])
    assert fetch(remote(), [mirror.url + "/data.bin"], tmp_path, progress=False).read_bytes() == DATA


def test_a_stale_part_from_another_file_is_replaced(mirror, tmp_path):
    mirror.files["/data.bin"] = DATA
    (tmp_path / "data.bin.part").write_bytes(b"x" * 1000)  # resumed, it would fail the checksum
    assert fetch(remote(), [mirror.url + "/data.bin"], tmp_path, progress=False).read_bytes() == DATA


def test_every_failing_mirror_is_listed(mirror, tmp_path):
    urls = [mirror.url + "/missing.bin", "http://127.0.0.1:9/data.bin"]
    with pytest.raises(DownloadError) as info:
        fetch(remote(), urls, tmp_path, progress=False, timeout=5)
    message = str(info.value)
    assert message.startswith("could not download data.bin:")
    assert f"{urls[0]}: HTTP 404" in message and f"{urls[1]}: cannot connect" in message


def test_progress_summary_goes_to_stderr(mirror, tmp_path, capsys):
    mirror.files["/data.bin"] = DATA
    fetch(remote(), [mirror.url + "/data.bin"], tmp_path)
    err = capsys.readouterr().err
    assert f"downloaded data.bin (0.1 MB) from {mirror.url}/data.bin in" in err


def test_gzip_digest_is_of_the_decompressed_bytes(tmp_path):
    content = b"the same IDX data"
    path = tmp_path / "f.gz"
    path.write_bytes(gzip.compress(content, mtime=0))
    digest = Digest("sha256", hashlib.sha256(content).hexdigest(), gunzip=True)
    assert check_digests(path, (digest,)) is None
    path.write_bytes(gzip.compress(content, compresslevel=1, mtime=12345))  # other bytes, same content
    assert check_digests(path, (digest,)) is None
    path.write_bytes(b"not gzip")
    assert "of the decompressed bytes: unreadable" in check_digests(path, (digest,))


def test_any_pinned_digest_may_match(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    digests = (Digest("sha256", "0" * 64), Digest("md5", hashlib.md5(b"abc").hexdigest()))
    assert check_digests(path, digests) is None
    assert check_digests(path, digests[:1]).startswith("got sha256 ba7816bf")
