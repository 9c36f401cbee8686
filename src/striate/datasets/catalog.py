"""The built-in data sets: their files, public mirrors, pinned checksums and class names.

A file downloaded from a mirror is kept only if one of its pinned digests matches:

- the SHA-256 of the file exactly as the original site serves it (values as published in
  TensorFlow Datasets' ``url_checksums``), or
- for the gzip-compressed IDX files, the SHA-256 of the *decompressed* bytes. Mirrors and
  distributions re-compress the same IDX data (Debian's Fashion-MNIST ``.gz`` files differ
  byte-wise from Zalando's), so the decompressed digest is the one that pins the data itself;
- for CIFAR-10 also the MD5 that the CIFAR page itself publishes for the archive.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Digest:
    """One acceptable checksum of a file.

    Args:
        algorithm: a hashlib name, "sha256" or "md5".
        hexdigest: the expected value, lower-case hex.
        gunzip: the digest is of the gzip-decompressed bytes, not of the file as served.
    """

    algorithm: str
    hexdigest: str
    gunzip: bool = False

    def __str__(self):
        return f"{self.algorithm}{' of the decompressed bytes' if self.gunzip else ''} {self.hexdigest}"


@dataclass(frozen=True)
class RemoteFile:
    """A file of a data set as it lies on a mirror: its name and the digests it may have."""

    name: str
    digests: tuple[Digest, ...]


@dataclass(frozen=True)
class Spec:
    """What a built-in data set is made of and where to find it.

    Args:
        name: the name users pass to ``load``.
        files: the files a complete copy downloads.
        mirrors: base URLs (ending in "/"), tried in turn; a file's URL is base + file name.
        class_names: label i is class_names[i].
        system_dirs: folders where an operating-system package installs the files.
        contents: what a complete folder holds, for error messages.
        how_to_get: where to get it by hand, for the error shown when it is found nowhere.
    """

    name: str
    files: tuple[RemoteFile, ...]
    mirrors: tuple[str, ...]
    class_names: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()
    contents: str = ""
    how_to_get: str = ""


def _idx_file(name: str, served_sha256: str, content_sha256: str) -> RemoteFile:
    return RemoteFile(name + ".gz", (Digest("sha256", served_sha256), Digest("sha256", content_sha256, gunzip=True)))


MNIST = Spec(
    name="mnist",
    files=(
        _idx_file("train-images-idx3-ubyte",
                  "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                  "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        _idx_file("train-labels-idx1-ubyte",
                  "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                  "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        _idx_file("t10k-images-idx3-ubyte",
                  "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        _idx_file("t10k-labels-idx1-ubyte",
                  "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://yann.lecun.com/exdb/mnist/",
    ),
    class_names=tuple(str(i) for i in range(10)),
    contents="the four MNIST IDX files (raw or .gz)",
    how_to_get="download them from https://yann.lecun.com/exdb/mnist/ or one of the mirrors above",
)

FASHION_MNIST = Spec(
    name="fashion-mnist",
    files=(
        _idx_file("train-images-idx3-ubyte",
                  "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                  "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        _idx_file("train-labels-idx1-ubyte",
                  "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                  "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        _idx_file("t10k-images-idx3-ubyte",
                  "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        _idx_file("t10k-labels-idx1-ubyte",
                  "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    contents="the four Fashion-MNIST IDX files (raw or .gz)",
    how_to_get="install Debian's package (apt-get install dataset-fashion-mnist), "
               "or download them from https://github.com/zalandoresearch/fashion-mnist",
)

CIFAR10 = Spec(
    name="cifar10",
    files=(RemoteFile("cifar-10-binary.tar.gz", (
        Digest("sha256", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
        Digest("md5", "c32a1d4ab5d03f1284b67883e8d87530"),
    )),),
    mirrors=(
        "https://www.cs.toronto.edu/~kriz/",
        "http://www.cs.toronto.edu/~kriz/",
    ),
    class_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
    contents="cifar-10-binary.tar.gz (the binary version, 170052171 bytes) or its extracted cifar-10-batches-bin/",
    how_to_get="download the binary version from https://www.cs.toronto.edu/~kriz/cifar.html",
)

SPECS = {spec.name: spec for spec in (MNIST, FASHION_MNIST, CIFAR10)}


def get(name: str) -> Spec:
    """The Spec of a built-in data set; the error lists the names there are."""
    if name not in SPECS:
        raise ValueError(f"unknown data set {name!r}; expected one of {', '.join(SPECS)} or 'folder:PATH'")
    return SPECS[name]
