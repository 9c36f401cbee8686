"""Data sets: IDX files, MNIST and Fashion-MNIST."""

from .idx import read_idx, write_idx
from .mnist import CLASS_NAMES, load_folder

__all__ = ["read_idx", "write_idx", "load_folder", "CLASS_NAMES"]
