"""`load(name)`: a data set by name, found or downloaded, as NHWC arrays (like keras.datasets).

    (x_train, y_train), (x_test, y_test) = data = striate.datasets.load("fashion-mnist")
    data.class_names[y_train[0]]        # "Ankle boot"
"""

from __future__ import annotations

from pathlib import Path

from . import catalog, cifar, identity, mnist, sources
from .convert import check_dtype, scale_images
from .folder import load_image_folder

FOLDER_PREFIX = "folder:"


class LoadedData(tuple):
    """((x_train, y_train), (x_test, y_test)), unpacked like a tuple, with what is known of it.

    Attributes:
        name: the data set's name ("mnist", "folder:PATH", ...).
        class_names: label i is class_names[i].
        source: the folder the data came from.
    """

    def __new__(cls, train, test, name: str, class_names, source):
        self = super().__new__(cls, (train, test))
        self.name, self.class_names, self.source = name, list(class_names), Path(source)
        return self

    def __repr__(self):
        (x, _), (xt, _) = self
        return (f"LoadedData({self.name!r}: train {x.shape} {x.dtype}, test {xt.shape}, "
                f"{len(self.class_names)} classes, from {self.source})")


def names() -> list[str]:
    """The built-in data sets' names (besides "folder:PATH")."""
    return list(catalog.SPECS)


def load(name: str, data_dir=None, dtype="float32", *, download: bool = True, mirrors=None,
         progress: bool = True, image_size=None, color_mode: str = "rgb", test_fraction: float = 0.2,
         seed=0) -> LoadedData:
    """A data set's standard train/test split as NHWC arrays.

    Args:
        name: "mnist", "fashion-mnist", "cifar10", or "folder:PATH" for an ImageFolder tree
            (one sub-folder per class; see striate.datasets.folder).
        data_dir: a folder holding the files; when given, the only place looked at.
            Otherwise $STRIATE_DATA, the user cache, system copies, then the mirrors
            (see striate.datasets.sources).
        dtype: "float32" or "float64" (pixels scaled to [0, 1]) or "uint8" (as stored).
        download: fetch from the mirrors when no local copy is found.
        mirrors: base URLs to download from instead of the built-in ones.
        progress: show a progress bar on stderr while downloading.
        image_size, color_mode, test_fraction, seed: for "folder:PATH" only: the size
            (int or (height, width)) to resize every image to, "rgb" or "grayscale", and the
            seeded share held out for testing when the tree has no train/ and test/ folders.

    Returns:
        LoadedData: ((x_train, y_train), (x_test, y_test)) with x (N, H, W, C) and y (N,)
        int64; also .class_names and .source. MNIST and Fashion-MNIST: 60000 + 10000 images
        28×28×1; CIFAR-10: 50000 + 10000 images 32×32×3.
    """
    if not isinstance(name, str):
        raise ValueError(f"load: name must be a string, got {name!r}")
    check_dtype(dtype, "load")
    if name.startswith(FOLDER_PREFIX):
        path = name[len(FOLDER_PREFIX):]
        if not path:
            raise ValueError("load: 'folder:' needs a path, e.g. 'folder:photos/'")
        if data_dir is not None:
            raise ValueError(f"load: give the folder once, in the name ({name!r}), not also as data_dir")
        (train, test), classes = load_image_folder(path, image_size, color_mode, test_fraction, seed)
        source = path
    else:
        spec = catalog.get(name)
        reader = cifar if name == "cifar10" else mnist
        source = sources.locate(spec, reader.missing, data_dir, download, mirrors, progress)
        if name == "cifar10":
            (train, test), classes = cifar.load_cifar10(source)
        else:
            identity.check(spec, source)  # MNIST and Fashion-MNIST files look alike
            train, test = mnist.load_split(source, "train"), mnist.load_split(source, "test")
            classes = spec.class_names
    (x, y), (xt, yt) = train, test
    return LoadedData((scale_images(x, dtype), y), (scale_images(xt, dtype), yt), name, classes, source)
