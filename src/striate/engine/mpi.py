"""Data-parallel training over MPI ranks: one model, p processes, the same update on each.

Launched as `mpiexec -n p python script.py` (or `mpiexec -n p striate train ...`), every
rank holds the whole model and sees the same global batch of n samples (the same seed,
the same shuffle). Rank r trains on its part of it and the ranks add their gradients::

    rank r: x[s_r : e_r] ──the shard step (runner.train_local)──► grads_r, loss_r, out_r
            buffer = [grads_r · w_r | loss_r · w_r | state_r · w_r],   w_r = n_r / n
            Allreduce(SUM) over one flat buffer ──► Σ_r w_r · grads_r = the global batch's gradient
            Allgatherv(out_r) ──► the global batch's output (metrics see all n samples)

The batch's loss is the mean over its n samples, so its gradient is Σ_r (n_r / n) ∂L_r —
the weighting of engine/shard.py, one level up. Every rank then holds the same gradient
and takes the same optimizer step, so the weights stay identical without being sent
again. The global batch does not depend on p: 2 ranks end where 1 process ends, up to
float32 rounding (the order of the additions differs).

Layers whose training couples the samples of a batch:
- BatchNorm normalises with each rank's own statistics (PyTorch DDP's default); its
  running statistics are averaged over the ranks (weighted by n_r / n) in the same
  Allreduce, so every rank keeps the same state. A rank's part split again into shards
  on its own cores (threads or worker processes, runner.train_local) shares statistics
  among those shards only (engine/shard_groups.py): the rank computes what its part run
  whole would, never the global batch's statistics.
- Dropout draws from its own Generator: before each step rank r jumps a copy of it r
  times (2^127 draws each, PCG64's `jumped`), and afterwards every rank moves it to the
  step's start jumped p times. The masks differ between ranks, a run is reproducible,
  and the state in a checkpoint is the same on every rank. A rank's own shards take
  their rows of the mask its part draws whole, from the jumped generator.

A failing rank must not leave the others waiting in a collective: `abort_on_error`
turns an uncaught exception into one line naming the rank and MPI_Abort, and every
collective runs under a watchdog (STRIATE_MPI_TIMEOUT seconds, default 600) that
aborts the job when the other ranks never arrive. A rank that is killed is torn down
with the job by the launcher (mpiexec). A step that may fail on some ranks only (checking
the output paths, reading the data or a checkpoint) runs inside `together(comm)`: then
every rank raises the same RanksStopped, rank 0 alone reports it, and the job ends
without an abort.

Messages are raw arrays and JSON (no pickle): Bcast, Allreduce and Allgatherv on buffers.
mpi4py is imported on first use; without it, `world()` says how to install it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

from . import threads
from .launcher import launched_rank, launched_size, local_size  # noqa: F401 - re-exported

INSTALL = "pip install mpi4py mpich (in a clone of striate: pip install -e '.[mpi]')"
def part(n: int, rank: int, size: int) -> tuple[int, int]:
    """Rank `rank`'s (start, stop) of a batch of n: even parts in rank order, the first
    n % size ranks one sample more."""
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


class RanksStopped(RuntimeError):
    """Every rank stops with this one message (a failure on some ranks, made known to all by
    Communicator.agree): no rank is left waiting, and rank 0 alone need report it."""

    every_rank = True  # raised on every rank at once: nothing to abort


_world: Communicator | None = None


def world(timeout: float | None = None) -> Communicator:
    """The Communicator over every rank mpiexec started (MPI_COMM_WORLD), made once.

    RuntimeError naming the extra to install when mpi4py or its MPI library is missing.
    """
    global _world
    if _world is None:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise RuntimeError(f"training on several processes needs mpi4py and an MPI library, which are not "
                               f"installed ({e}); install them with {INSTALL}") from None
        _world = Communicator(MPI.COMM_WORLD, MPI, timeout)
    return _world


def current() -> Communicator | None:
    """The Communicator world() made, or None when this process has not joined the ranks."""
    return _world


class Communicator:
    """One model's link to the other ranks: broadcast, the gradient Allreduce, gathers.

    Args:
        comm: an mpi4py communicator; mpi: the mpi4py.MPI module.
        timeout: seconds a collective may wait for the other ranks before the job is
            aborted (default: STRIATE_MPI_TIMEOUT, else 600).

    Attributes:
        rank, size: this process's rank and the number of ranks.
        allreduce_seconds, allreduce_calls: time spent in the gradient Allreduce so far.
    """

    def __init__(self, comm, mpi, timeout: float | None = None):
        self.comm, self.MPI = comm, mpi
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        if timeout is None:
            value = os.environ.get("STRIATE_MPI_TIMEOUT", "600")
            try:
                timeout = float(value)
            except ValueError:
                raise ValueError(f"STRIATE_MPI_TIMEOUT must be a number of seconds, got {value!r}") from None
        if not timeout > 0:
            raise ValueError(f"Communicator: timeout must be a positive number of seconds, got {timeout!r}")
        self.timeout = float(timeout)
        self.allreduce_seconds, self.allreduce_calls = 0.0, 0
        self._deadline: tuple[float, str] | None = None
        self._watchdog: threading.Thread | None = None

    def __repr__(self):
        return f"Communicator(rank {self.rank} of {self.size})"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        """A link to the other processes, not data: a copy of a model (the time budget's
        trial run) takes its steps together with the same ranks."""
        return self

    # ---- failing loudly -------------------------------------------------------
    def fail(self, message: str, code: int = 1) -> None:
        """Print `message` with this rank's name and bring the whole job down (MPI_Abort)."""
        print(f"striate: rank {self.rank} of {self.size}: {message}; stopping all ranks", file=sys.stderr, flush=True)
        time.sleep(0.5)  # the launcher forwards a rank's output asynchronously: Abort would cut the line off
        self.comm.Abort(code)

    def abort_on_error(self) -> None:
        """Make an uncaught exception on this rank abort the job with one line, instead of
        leaving the other ranks waiting in a collective for ever."""
        previous = sys.excepthook
        if getattr(previous, "communicator", None) is self:
            return  # installed already

        def hook(kind, value, tb):
            if getattr(value, "every_rank", False):  # raised on every rank alike: one report, no abort
                if self.rank == 0:
                    previous(kind, value, tb)
                return
            if issubclass(kind, KeyboardInterrupt):
                self.fail("interrupted", 130)
            previous(kind, value, tb)
            self.fail(f"failed with {kind.__name__}: {value}")

        hook.communicator = self
        sys.excepthook = hook

    @contextmanager
    def _collective(self, what: str, watched: bool = True):
        """Run a collective under the watchdog: past self.timeout the job is aborted.
        watched=False: no time limit (e.g. while rank 0 downloads a data set)."""
        if not watched:
            yield
            return
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="striate-mpi-watchdog", daemon=True)
            self._watchdog.start()
        self._deadline = (time.monotonic() + self.timeout, what)
        try:
            yield
        finally:
            self._deadline = None

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, self.timeout / 4))
            deadline = self._deadline
            if deadline is not None and time.monotonic() > deadline[0]:
                self.fail(f"{deadline[1]} waited more than {self.timeout:g}s for the other ranks "
                          "(STRIATE_MPI_TIMEOUT); one of them has stopped or hangs")

    # ---- small messages -------------------------------------------------------
    def barrier(self, what: str = "barrier", watched: bool = True) -> None:
        with self._collective(what, watched):
            self.comm.Barrier()

    def bcast_json(self, value, root: int = 0, watched: bool = True):
        """Rank root's JSON-able value on every rank (as bytes: no pickle)."""
        data = np.frombuffer(json.dumps(value).encode(), np.uint8) if self.rank == root else None
        length = np.array([0 if data is None else len(data)], np.int64)
        with self._collective("broadcast", watched):
            self.comm.Bcast(length, root=root)
            buf = data.copy() if data is not None else np.empty(int(length[0]), np.uint8)
            self.comm.Bcast(buf, root=root)
        return json.loads(buf.tobytes().decode())

    def sum(self, values, watched: bool = True) -> np.ndarray:
        """The element-wise sum of float64 `values` over the ranks."""
        buf = np.array(values, np.float64)
        with self._collective("Allreduce", watched):
            self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        return buf

    # ---- agreeing before going on ---------------------------------------------
    def agree(self, problem: BaseException | str | None, watched: bool = True) -> None:
        """Every rank's verdict on a step that may fail on some ranks only: when any rank
        has a problem, every rank raises RanksStopped with the first failing rank's message
        (named by its rank unless it is rank 0), so that none goes on to wait for the others."""
        flags = np.zeros(self.size)
        flags[self.rank] = problem is not None
        failed = np.flatnonzero(self.sum(flags, watched))
        if not len(failed):
            return
        first = int(failed[0])
        text = self.bcast_json(None if problem is None else str(problem) or type(problem).__name__, first, watched)
        where = "" if first == 0 else f"on rank {first} of {self.size}: "
        raise RanksStopped(where + text) from (problem if isinstance(problem, BaseException) else None)

    def same(self, value, what: str) -> None:
        """RanksStopped on every rank unless this rank's JSON-able `value` is rank 0's
        (e.g. the position a resumed fit starts from: a checkpoint some ranks cannot read)."""
        theirs = self.bcast_json(value)
        self.agree(None if theirs == value else f"{what} differs between the ranks: rank {self.rank} has "
                                                 f"{value!r:.200}, rank 0 has {theirs!r:.200}")

    # ---- the model ------------------------------------------------------------
    def same_model(self, model, when: str) -> None:
        """RanksStopped on every rank unless each holds rank 0's weights, layer state and
        stop_training (compared through a SHA-256 of the arrays): a callback or schedule
        that acts differently on some rank would otherwise split the run without a word,
        or leave the ranks that go on waiting for the one that stopped."""
        digest = hashlib.sha256()
        for a in _arrays(model):
            digest.update(np.ascontiguousarray(a).tobytes())
        self.same([digest.hexdigest()[:16], bool(model.stop_training)],
                  f"[weights' SHA-256, stop_training] after {when} (a callback acting differently on some rank?)")

    def synchronize(self, model) -> None:
        """Give every rank rank 0's weights, layer state (BatchNorm's statistics), and the
        states of the model's and the layers' Generators (shuffles and Dropout masks)."""
        arrays = _arrays(model)
        buf = _flat(arrays, model.dtype)
        with self._collective("broadcast of the weights"):
            self.comm.Bcast(buf, root=0)
        _unflat(buf, arrays)
        rngs = self.bcast_json([model.rng.bit_generator.state] + [g.bit_generator.state for g in _generators(model)])
        model.rng.bit_generator.state = rngs[0]
        for g, state in zip(_generators(model), rngs[1:]):
            g.bit_generator.state = state

    def train(self, runner, x, y):
        """The training pass of the global batch (x, y) over all ranks: fills every rank's
        layer grads with the global batch's gradient; returns (its loss, its output)."""
        model = runner.model
        n = len(x)
        start, stop = part(n, self.rank, self.size)
        weight = (stop - start) / n
        rngs = [(g, g.bit_generator.state) for g in _generators(model)]
        for g, state in rngs:
            g.bit_generator.state = _jumped(state, self.rank)
        try:
            if stop > start:
                loss, out = runner.train_local(x[start:stop], y[start:stop])
            else:  # fewer samples than ranks: this one adds nothing
                for layer in model.layers:
                    for g in layer.grads.values():
                        g[...] = 0
                loss, out = 0.0, np.empty((0, *model.output_shape), model.dtype)
        finally:
            for g, state in rngs:  # the same next state on every rank
                g.bit_generator.state = _jumped(state, self.size)
        grads = [g for layer in model.layers for g in layer.grads.values()]
        states = [s for layer in model.layers for s in layer.state.values() if s.dtype.kind == "f"]
        buf = _flat([*grads, np.array([loss]), *states], model.dtype, weight)
        began = time.perf_counter()
        with self._collective("Allreduce of the gradients"):
            self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        self.allreduce_seconds += time.perf_counter() - began
        self.allreduce_calls += 1
        total = _unflat(buf, grads)
        loss = float(buf[total])
        _unflat(buf[total + 1 :], states)
        return loss, self.gather(out, n)

    def infer(self, runner, x):
        """forward(x) for inference split over the ranks, gathered on every rank."""
        start, stop = part(len(x), self.rank, self.size)
        out = (runner.infer_local(x[start:stop]) if stop > start
               else np.empty((0, *runner.model.output_shape), runner.model.dtype))
        return self.gather(out, len(x))

    def gather(self, out: np.ndarray, n: int) -> np.ndarray:
        """The rows of every rank's `out`, in rank order: (n, ...) on every rank."""
        row = int(np.prod(out.shape[1:], dtype=np.int64))
        counts = [(e - s) * row for s, e in (part(n, r, self.size) for r in range(self.size))]
        whole = np.empty((n, *out.shape[1:]), out.dtype)
        with self._collective("Allgatherv of the outputs"):
            self.comm.Allgatherv(np.ascontiguousarray(out), [whole, counts])
        return whole

    def threads_per_rank(self) -> int:
        """The cores of this machine shared among the ranks on it (at least 1)."""
        return max(1, threads.cpu_count() // max(1, local_size()))


@contextmanager
def together(comm: Communicator | None, watched: bool = True):
    """Run a block that may fail on some ranks only (its exception here, none there); then
    every rank raises RanksStopped with the first failure's message (Communicator.agree).
    Without a communicator (comm None) the block runs as it is. watched=False: the other
    ranks wait without a time limit (rank 0 downloading a data set)."""
    if comm is None:
        yield
        return
    problem = None
    try:
        yield
    except Exception as e:  # noqa: BLE001 - any failure must reach the other ranks
        problem = e
    comm.agree(problem, watched)


def _generators(model) -> list:
    """The layers' own Generators (Dropout's), in layer order."""
    return [layer.rng for layer in model.layers if isinstance(getattr(layer, "rng", None), np.random.Generator)]


def _jumped(state: dict, jumps: int) -> dict:
    """A bit generator's state jumped ahead `jumps` times (unchanged for 0, or when the
    kind of generator cannot jump)."""
    if jumps == 0:
        return state
    kind = getattr(np.random, state["bit_generator"], None)
    if kind is None or not hasattr(kind, "jumped"):
        return state
    bits = kind()
    bits.state = state
    return bits.jumped(jumps).state


def _arrays(model) -> list:
    """Every layer's parameters and state, in one order on every rank."""
    return [a for layer in model.layers for a in (*layer.params.values(), *layer.state.values())]


def _flat(arrays, dtype, weight: float = 1.0) -> np.ndarray:
    """One contiguous buffer of `arrays` (each raveled, times weight) in dtype."""
    buf = np.empty(sum(a.size for a in arrays), dtype)
    at = 0
    for a in arrays:
        np.multiply(a.ravel(), weight, out=buf[at : at + a.size], casting="unsafe")
        at += a.size
    return buf


def _unflat(buf: np.ndarray, arrays) -> int:
    """Copy buf back into `arrays` in order; returns how many values were used."""
    at = 0
    for a in arrays:
        a[...] = buf[at : at + a.size].reshape(a.shape)
        at += a.size
    return at
