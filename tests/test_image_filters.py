"""Classic kernels on whole images: loops as the reference, flip, stride, padding, display."""

import numpy as np
import pytest

from striate import image_filters as F


def correlate(image, kernel, stride=1, padding=0):
    """The naive loop: each output pixel the sum of its window times the kernel."""
    x = np.pad(image, padding)
    kh, kw = kernel.shape
    rows = range(0, x.shape[0] - kh + 1, stride)
    cols = range(0, x.shape[1] - kw + 1, stride)
    return np.array([[np.sum(x[i:i + kh, j:j + kw] * kernel) for j in cols] for i in rows])


@pytest.mark.parametrize("name", sorted(F.KERNELS))
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2)])
def test_every_kernel_matches_the_loop_on_every_channel(name, stride, padding):
    image = np.random.default_rng(0).random((11, 9, 3))
    y = F.apply(image, F.KERNELS[name], stride=stride, padding=padding)
    for c in range(3):
        np.testing.assert_allclose(y[:, :, c], correlate(image[:, :, c], F.KERNELS[name], stride, padding),
                                   rtol=1e-5, atol=1e-5)


def test_flip_turns_sobel_x_into_its_negative_and_keeps_symmetric_kernels():
    image = np.random.default_rng(1).random((8, 8))
    np.testing.assert_allclose(F.apply(image, F.KERNELS["sobel-x"], flip=True),
                               -F.apply(image, F.KERNELS["sobel-x"]), atol=1e-6)
    np.testing.assert_array_equal(F.apply(image, F.KERNELS["laplace"], flip=True),
                                  F.apply(image, F.KERNELS["laplace"]))


def test_same_padding_keeps_the_size():
    assert F.apply(np.zeros((7, 10)), F.KERNELS["gaussian"], padding="same").shape == (7, 10)


def test_display_modes():
    y = np.array([[-2.0, 0.0, 1.0]])
    np.testing.assert_allclose(F.to_display(y, "clip"), [[0, 0, 1]])
    np.testing.assert_allclose(F.to_display(y, "abs"), [[1, 0, 0.5]], atol=0.01)
    spike = np.full(1000, 0.5)
    spike[0] = -50  # one extreme response does not dim all the others
    np.testing.assert_array_equal(F.to_display(spike, "abs"), np.ones(1000))
    np.testing.assert_allclose(F.to_display(y, "minmax"), [[0, 0.5, 0.75]])
    np.testing.assert_allclose(F.to_display(y, "auto", F.KERNELS["sobel-x"]), F.to_display(y, "abs"))
    np.testing.assert_allclose(F.to_display(y, "auto", F.KERNELS["blur"]), F.to_display(y, "clip"))
    with pytest.raises(ValueError, match="display mode"):
        F.to_display(y, "loud")


def test_kernel_files(tmp_path):
    path = tmp_path / "k.txt"
    path.write_text("1, 0  # left\n0 -1\n")
    np.testing.assert_array_equal(F.get(str(path)), [[1, 0], [0, -1]])
    path.write_text("1 x\n")
    with pytest.raises(ValueError, match="holds numbers"):
        F.get(str(path))
    with pytest.raises(ValueError, match="unknown kernel 'sobel'"):
        F.get("sobel")
