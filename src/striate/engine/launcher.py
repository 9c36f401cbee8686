"""What mpiexec tells each process it starts, read before MPI itself starts.

The launchers put the job's size and the process's rank in its environment (MPICH's
hydra: PMI_SIZE, PMI_RANK, MPI_LOCALNRANKS; Open MPI and MVAPICH their own names), so a
process knows whether it is one of several ranks before importing mpi4py: `striate train`
trains over MPI only when started with more than one, and only the first rank reports a
mistake on the command line. engine/mpi.py re-exports these.
"""

from __future__ import annotations

import os

_LAUNCH_SIZES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")  # MPICH/hydra, Open MPI, MVAPICH
_LAUNCH_RANKS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_LOCAL_SIZES = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE")


def _first(names, minimum: int):
    """The first of the environment variables `names` that holds a whole number ≥ minimum, else None."""
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) >= minimum:
            return int(value)
    return None


def launched_size() -> int:
    """How many ranks the launcher started (from its environment), 1 when not under mpiexec."""
    return _first(_LAUNCH_SIZES, 1) or 1


def launched_rank() -> int:
    """This process's rank as the launcher says (before MPI starts), 0 when not under mpiexec."""
    return _first(_LAUNCH_RANKS, 0) or 0


def local_size() -> int:
    """Ranks on this machine, as the launcher says (else all of them)."""
    return _first(_LOCAL_SIZES, 1) or launched_size()
