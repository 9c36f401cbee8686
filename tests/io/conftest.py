"""Fixtures shared by the checkpoint tests."""

import pytest

from . import training_run as run
from .training_run import Crash, CrashAt


@pytest.fixture(scope="session")
def valid_checkpoint(tmp_path_factory):
    """The bytes of a checkpoint of an Adam run stopped after step 7, written every 2 steps."""
    path = tmp_path_factory.mktemp("ckpt") / "run.ckpt"
    with pytest.raises(Crash):
        run.fit(run.model("adam"), "adam", extra=[CrashAt(step=7)], checkpoint=path, checkpoint_every=2)
    return path.read_bytes()
