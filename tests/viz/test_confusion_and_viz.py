"""Confusion matrices and per-class scores; pictures without their optional packages."""

import sys

import numpy as np
import pytest

from striate import metrics, viz
from striate.cli.main import main


def test_confusion_matrix_and_precision_recall():
    labels = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 0, 1]
    cm = metrics.confusion_matrix(labels, predicted, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [1, 2, 0], [0, 1, 0]])
    precision, recall = metrics.precision_recall(cm)
    np.testing.assert_allclose(precision, [1 / 2, 2 / 4, 0])  # class 2 never predicted: 0
    np.testing.assert_allclose(recall, [1 / 2, 2 / 3, 0])
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        metrics.confusion_matrix([0, 1], [0], 2)


def test_save_image_scales_and_refuses_odd_shapes(tmp_path):
    from PIL import Image

    path = viz.save_image(np.linspace(0, 1, 12).reshape(3, 4), tmp_path / "a.png", scale=3)
    with Image.open(path) as img:
        assert img.size == (12, 9) and img.getpixel((11, 8)) == 255
    with pytest.raises(ValueError, match=r"expected \(H, W\), \(H, W, 1\) or \(H, W, 3\)"):
        viz.save_image(np.zeros((2, 2, 2)), tmp_path / "b.png")


def test_pictures_without_matplotlib_say_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"pictures need matplotlib, .* pip install matplotlib Pillow \(in a clone of striate: pip install -e '\.\[viz\]'\)"):
        viz.vector([1, 2], tmp_path / "v.png", "values")
    assert main(["filters", "lenet5", "--out", str(tmp_path / "f.png")]) == 1
    err = capsys.readouterr().err  # after the note that lenet5's weights are untrained
    assert err.splitlines()[-1] == ("striate filters: error: pictures need matplotlib, which is not installed: "
                                    "pip install matplotlib Pillow (in a clone of striate: pip install -e '.[viz]')")


def test_the_accuracy_axis_shows_the_last_percent():
    from striate.viz.curves import accuracy_limits

    low, high = accuracy_limits({"accuracy": [0.95, 0.985], "val_accuracy": [0.975, 0.99]})
    assert 0.93 < low < 0.95 and high == pytest.approx(0.995)  # not 0 to 1
    assert accuracy_limits({"loss": [1.0]}) is None
