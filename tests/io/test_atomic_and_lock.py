"""Around the files: unique temporary names, a lock per checkpoint, write errors that say what was kept."""

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import striate
from striate.io import atomic, lock

from . import training_run as run

ROOT = Path(__file__).resolve().parents[2]


def test_each_write_has_its_own_temporary_file(tmp_path, monkeypatch):
    path, seen = tmp_path / "run.ckpt", []
    real = os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (seen.append(Path(a)), real(a, b)))
    atomic.write_atomically(path, [b"one"])
    atomic.write_atomically(path, [b"two"])
    assert len(set(seen)) == 2 and all(p.parent == tmp_path and p.name.startswith(".run.ckpt.") for p in seen)
    assert path.read_bytes() == b"two" and not atomic.temporary_files(path)


def test_a_full_disk_names_the_target_and_what_was_kept(tmp_path, monkeypatch):
    path = tmp_path / "run.ckpt"
    atomic.write_atomically(path, [b"previous"])

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as info:
        atomic.write_atomically(path, [b"next"])
    assert info.value.errno == errno.ENOSPC
    assert str(info.value).startswith(f"[Errno 28] No space left on device: could not write {path} (writing .run.ckpt.")
    assert str(info.value).endswith(f".tmp); {path} is unchanged (its previous version is kept whole)")
    assert path.read_bytes() == b"previous" and not atomic.temporary_files(path)


def test_a_read_only_folder_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.striate"

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path / ".model.striate.1-ab.tmp"))

    monkeypatch.setattr(atomic.os, "open", refused)  # root ignores chmod: fail where a read-only folder fails
    with pytest.raises(PermissionError, match=rf"Permission denied: could not write {path} \(cannot create a "
                                              rf"temporary file in {tmp_path}\); no file was written at {path}$") as info:
        atomic.write_atomically(path, [b"x"])
    assert info.value.__context__ is None or not isinstance(info.value.__context__, FileNotFoundError)


def test_a_failing_cleanup_does_not_hide_the_error(tmp_path, monkeypatch):
    path = tmp_path / "m"
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (_ for _ in ()).throw(OSError(errno.EROFS, "ro")))
    with pytest.raises(OSError, match=r"\[Errno 5\] I/O error: could not write .*/m \(writing"):
        atomic.write_atomically(path, [b"x"])


HOLDER = textwrap.dedent("""
    import sys, time
    from striate.io.lock import CheckpointLock
    held = CheckpointLock(sys.argv[1])
    print("locked", flush=True)
    time.sleep(60)
""")


def test_a_second_run_on_the_same_checkpoint_fails_at_once(tmp_path):
    path = tmp_path / "run.ckpt"
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        assert child.stdout.readline() == "locked\n"
        with pytest.raises(RuntimeError, match=rf"{path}: another run \(process {child.pid}\) is training with this "
                                               rf"checkpoint and holds its lock .*\.run\.ckpt\.lock"):
            run.fit(run.model(), checkpoint=path, resume=True)
        assert not path.exists()  # refused before anything was read or written
    finally:
        child.kill()
        child.wait(timeout=30)
    history = run.fit(run.model(), checkpoint=path, resume=True)  # the lock went with the process
    assert len(history.epoch) == run.EPOCHS


def holder_takes(path) -> bool:
    """Whether another process can take the lock of checkpoint `path` now."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        return child.stdout.readline() == "locked\n"
    finally:
        child.kill()
        child.wait(timeout=30)


class Crash(Exception):
    pass


class CrashAtEpochEnd(striate.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise Crash


def test_fit_lets_the_lock_go_when_it_returns_and_when_it_raises(tmp_path):
    path = tmp_path / "run.ckpt"
    run.fit(run.model(), checkpoint=path)
    assert holder_takes(path)
    with pytest.raises(Crash):
        run.model().fit(*run.data(), epochs=2, checkpoint=tmp_path / "other.ckpt", callbacks=[CrashAtEpochEnd()],
                        verbose=0)
    assert holder_takes(tmp_path / "other.ckpt")


def test_a_lock_left_by_an_earlier_fit_in_this_process_is_taken_over(tmp_path):
    path = tmp_path / "run.ckpt"
    first = lock.CheckpointLock(path)  # as left by code that never released it
    second = lock.CheckpointLock(path)
    assert first.fd is None and second.fd is not None
    del first
    second.release()
    assert holder_takes(path)


def test_a_write_through_a_symbolic_link_replaces_the_file_it_leads_to(tmp_path):
    target, link = tmp_path / "run.ckpt", tmp_path / "alias.ckpt"
    target.write_bytes(b"old")
    link.symlink_to(target.name)
    atomic.write_atomically(link, [b"new"])
    assert link.is_symlink() and os.readlink(link) == target.name  # the link stays a link
    assert target.read_bytes() == b"new" and not atomic.temporary_files(target)


def test_a_link_to_a_checkpoint_shares_its_lock(tmp_path):
    target, link = tmp_path / "run.ckpt", tmp_path / "alias.ckpt"
    link.symlink_to(target.name)  # a link made before the checkpoint exists
    assert lock.lock_file(link) == lock.lock_file(target)
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        assert child.stdout.readline() == "locked\n"
        with pytest.raises(RuntimeError, match=rf"another run \(process {child.pid}\) is training with this checkpoint"):
            run.fit(run.model(), checkpoint=link, resume=True)
    finally:
        child.kill()
        child.wait(timeout=30)
    run.fit(run.model(), checkpoint=link, resume=True)
    assert link.is_symlink() and target.is_file()  # written through the link
