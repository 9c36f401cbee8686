"""folder:PATH — ImageFolder trees of generated PNG, JPEG and BMP images, read with Pillow."""

import sys

import numpy as np
import pytest

import striate
from striate.cli.main import main
from striate.datasets import load

Image = pytest.importorskip("PIL.Image", reason="Pillow (pip install -e '.[images]' in the clone) reads image folders")

COLOURS = {"blue": (0, 0, 255), "green": (0, 200, 0), "red": (255, 0, 0)}


def save(path, colour, size=(6, 4), fmt=None, marker=0):
    """A solid colour image of size (width, height): the top-left pixel white, the next one grey `marker`."""
    img = Image.new("RGB", size, colour)
    img.putpixel((0, 0), (255, 255, 255))
    img.putpixel((1, 0), (marker,) * 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt)
    return path


def make_tree(root, per_class=5, size=(6, 4)):
    exts = [".png", ".bmp", ".PNG"]  # lossless, so pixels can be compared exactly
    for name, colour in COLOURS.items():
        for i in range(per_class):
            save(root / name / f"{i}{exts[i % 3]}", colour, size, marker=10 * i)
    (root / "red" / ".hidden.png").write_bytes(b"skipped")
    (root / "red" / "notes.txt").write_text("skipped too")
    return root


def test_classes_labels_and_pixels(tmp_path):
    data = load(f"folder:{make_tree(tmp_path / 'tree')}", dtype="uint8", test_fraction=0.2, seed=1)
    (x, y), (xt, yt) = data
    assert data.class_names == ["blue", "green", "red"]
    assert x.shape == (12, 4, 6, 3) and xt.shape == (3, 4, 6, 3) and x.dtype == np.uint8
    assert np.bincount(yt).tolist() == [1, 1, 1]  # stratified
    for images, labels in ((x, y), (xt, yt)):
        for img, label in zip(images, labels):
            colour = COLOURS[data.class_names[label]]
            assert img[0, 0].tolist() == [255, 255, 255] and img[3, 5].tolist() == list(colour)


def test_the_split_is_seeded(tmp_path):
    root = make_tree(tmp_path / "tree")
    a, b, c = (load(f"folder:{root}", dtype="uint8", seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a[1][0], b[1][0])
    assert not np.array_equal(a[1][0], c[1][0])  # other seed, other test images (told apart by marker)


def test_grayscale_and_resize(tmp_path):
    root = tmp_path / "tree"
    save(root / "a" / "big.png", (255, 255, 255), size=(40, 30))
    save(root / "a" / "small.jpg", (255, 255, 255), size=(10, 10), fmt="JPEG")
    save(root / "b" / "mid.bmp", (0, 0, 0), size=(20, 8))
    save(root / "b" / "other.jpeg", (0, 0, 0), size=(9, 9), fmt="JPEG")
    (x, y), (xt, yt) = load(f"folder:{root}", image_size=(8, 12), color_mode="grayscale", test_fraction=0.5)
    assert x.shape == (2, 8, 12, 1) and xt.shape == (2, 8, 12, 1) and x.dtype == np.float32
    both_x, both_y = np.concatenate([x, xt]), np.concatenate([y, yt])
    assert both_x[both_y == 0, 4:, 4:].min() > 0.9 and both_x[both_y == 1, 4:, 4:].max() < 0.1


def test_train_and_test_folders_are_the_splits(tmp_path):
    make_tree(tmp_path / "tree" / "train", per_class=2)
    save(tmp_path / "tree" / "test" / "green" / "only.png", COLOURS["green"])
    data = load(f"folder:{tmp_path / 'tree'}")
    assert len(data[0][0]) == 6 and data[1][1].tolist() == [1] and data.class_names == ["blue", "green", "red"]


def test_a_test_class_the_training_folder_lacks(tmp_path):
    make_tree(tmp_path / "tree" / "train", per_class=1)
    save(tmp_path / "tree" / "test" / "purple" / "x.png", (128, 0, 128))
    with pytest.raises(ValueError, match=r"test has class folders \['purple'\] that the training folder lacks"):
        load(f"folder:{tmp_path / 'tree'}")


def test_different_sizes_need_image_size(tmp_path):
    root = make_tree(tmp_path / "tree")
    save(root / "red" / "wide.png", COLOURS["red"], size=(9, 4))
    with pytest.raises(ValueError, match=r"wide.png is 9×4 but .* is 6×4; pass image_size=\(height, width\)"):
        load(f"folder:{root}")


def test_a_broken_image_is_a_format_error_naming_it(tmp_path):
    root = make_tree(tmp_path / "tree")
    (root / "red" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage")
    with pytest.raises(striate.FormatError, match=r"broken.png: not a readable image"):
        load(f"folder:{root}")


@pytest.mark.parametrize("kwargs,message", [
    (dict(image_size=0), r"image_size must be a positive int or \(height, width\), got 0"),
    (dict(image_size=(3, 4, 5)), r"image_size must be a positive int or \(height, width\), got \(3, 4, 5\)"),
    (dict(color_mode="cmyk"), r"color_mode must be one of rgb, grayscale, got 'cmyk'"),
    (dict(dtype="int16"), r"load: dtype must be one of float32, float64, uint8, got 'int16'"),
])
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        load(f"folder:{make_tree(tmp_path / 'tree', per_class=1)}", **kwargs)


def test_no_images(tmp_path):
    (tmp_path / "empty" / "cls").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"no png/jpg/jpeg/bmp images in class sub-folders of .*empty"):
        load(f"folder:{tmp_path / 'empty'}")
    with pytest.raises(FileNotFoundError, match=r"nowhere is not a folder of class sub-folders"):
        load(f"folder:{tmp_path / 'nowhere'}")


def test_without_pillow_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "tree", per_class=1)
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` raise ImportError
    with pytest.raises(ValueError, match=r"need Pillow .* install it with: pip install Pillow \(in a clone of striate: pip install -e '\.\[images\]'\)"):
        load(f"folder:{root}")


def test_train_cli_on_a_folder(tmp_path, capsys):
    root = make_tree(tmp_path / "tree", per_class=4, size=(16, 16))
    assert main(["train", "--dataset", f"folder:{root}", "--image-size", "12", "--color-mode", "grayscale",
                 "--epochs", "1", "--batch-size", "4", "--json"]) == 0
    assert '"test_accuracy"' in capsys.readouterr().out
