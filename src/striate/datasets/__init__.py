"""Data sets: MNIST, Fashion-MNIST, CIFAR-10 and image folders, found or downloaded; feeding training.

    (x_train, y_train), (x_test, y_test) = striate.datasets.load("mnist")

Modules: idx (the IDX format), catalog (files, mirrors, checksums), sources (where data is
found), download (HTTP, resumable, verified), mnist, cifar, folder (the readers), loading
(`load`), splits (validation and k-fold), batches (mini-batches), augment and normalize
(per-batch transforms), epochs (a fresh augmented copy per epoch of fit).
"""

from .augment import (Augment, RandomCrop, RandomFlip, RandomRotation, RandomShift, random_crop, random_flip,
                      random_rotation, random_shift, rotate, standard)
from .batches import Batches
from .epochs import EpochAugment
from .idx import read_idx, write_idx
from .loading import LoadedData, load, names
from .mnist import CLASS_NAMES, load_folder
from .normalize import Normalize, channel_stats
from .sources import DataNotFoundError, cache_dir
from .splits import kfold, split_indices, validation_split

__all__ = [
    "load", "names", "LoadedData", "DataNotFoundError", "cache_dir",
    "read_idx", "write_idx", "load_folder", "CLASS_NAMES",
    "validation_split", "split_indices", "kfold", "Batches",
    "Augment", "EpochAugment", "RandomCrop", "RandomShift", "RandomFlip", "RandomRotation", "Normalize", "standard",
    "random_crop", "random_shift", "random_flip", "random_rotation", "rotate", "channel_stats",
]
