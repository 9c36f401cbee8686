import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MNIST_DIR = Path(os.environ.get("STRIATE_TEST_MNIST", SHARED / "mnist"))
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    """No test reads the real user cache or reaches the internet.

    The cache moves to a temporary folder, $STRIATE_DATA is cleared, and the default
    mirrors are replaced by a closed local port: a test that would download by mistake
    fails fast instead of fetching from the real mirrors.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("STRIATE_DATA", raising=False)
    monkeypatch.setenv("STRIATE_MIRRORS", "http://127.0.0.1:9/{name}/")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def mirror():
    """A local HTTP mirror on 127.0.0.1 (tests/mirror.py), shut down after the test."""
    from .mirror import Mirror

    server = Mirror()
    yield server
    server.close()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def need_dir(path: Path, what: str):
    if not path.is_dir():
        pytest.skip(f"{what} not found at {path}")
    return path


@pytest.fixture
def mnist_dir():
    return need_dir(MNIST_DIR, "MNIST IDX files (../shared/data/mnist)")


@pytest.fixture
def fashion_dir():
    return need_dir(FASHION_DIR, "Fashion-MNIST (Debian package dataset-fashion-mnist)")


def pytest_configure(config):
    """In CI the PyTorch oracle and the browser must be there: a skipped test would hide a broken install."""
    if os.environ.get("STRIATE_REQUIRE_ORACLE"):
        try:
            import torch  # noqa: F401
        except ImportError as e:
            raise pytest.UsageError(f"STRIATE_REQUIRE_ORACLE is set but torch cannot be imported: {e}")
        for path, what in [(MNIST_DIR, "MNIST"), (FASHION_DIR, "Fashion-MNIST")]:
            if not path.is_dir():
                raise pytest.UsageError(f"STRIATE_REQUIRE_ORACLE is set but {what} is missing at {path}")
    # the page's tests in a real browser (tests/web/test_browser.py) would skip without these
    if os.environ.get("STRIATE_REQUIRE_BROWSER"):
        from .web.browser import missing

        for module in ("starlette", "uvicorn", "httpx", "PIL"):
            try:
                __import__(module)
            except ImportError as e:
                raise pytest.UsageError(f"STRIATE_REQUIRE_BROWSER is set but {module} cannot be imported: {e}")
        if reason := missing():
            raise pytest.UsageError(f"STRIATE_REQUIRE_BROWSER is set but {reason}")
    # tests/engine/test_mpi.py starts `mpiexec -n 2`; it would skip without mpi4py and mpiexec
    if os.environ.get("STRIATE_REQUIRE_MPI"):
        from .engine.test_mpi import mpiexec

        if importlib.util.find_spec("mpi4py") is None or mpiexec() is None:
            raise pytest.UsageError("STRIATE_REQUIRE_MPI is set but mpi4py or mpiexec is missing: "
                                    "pip install -e '.[mpi]'")


@pytest.fixture(params=["fast", "reference"])
def path(request):
    """Runs a test twice: on the fast kernels and on the reference ops (striate.reference)."""
    import striate

    with striate.reference(request.param == "reference"):
        yield request.param
