"""Hostile image files in an ImageFolder tree: a FormatError naming the file, before decoding."""

import io
import struct
import warnings
import zlib

import numpy as np
import pytest

from striate import FormatError, limits
from striate.datasets.folder import read_images

from ..memory import raises_cheaply

Image = pytest.importorskip("PIL.Image")


def png_bytes(width, height):
    """A PNG whose header states width×height and whose data is a few bytes of nothing."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_a_huge_stated_size_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(9000, 9000))  # 81 M pixels, 243 MB as RGB; under Pillow's own warning
    message = raises_cheaply(FormatError, lambda: read_images([path]),
                             r"bomb.png: the image states 9000×9000 = 81,000,000 pixels, over the limit")
    assert "MAX_IMAGE_PIXELS" in message


def test_past_pillows_own_bomb_limit_striates_limit_speaks(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(60000, 60000))  # 3.6 G pixels: Pillow's own check would raise its error on open
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raises_cheaply(FormatError, lambda: read_images([path]),
                       r"bomb.png: the image states 60000×60000 = 3,600,000,000 pixels, over the limit")


def test_a_raised_limit_is_not_overruled_by_pillows(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((1, 100), np.uint8)).save(path)
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, 20  # Pillow would refuse 100 pixels
    try:
        assert read_images([path], color_mode="grayscale").shape == (1, 1, 100, 1)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def test_a_truncated_image_is_a_format_error(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[:-30])
    with pytest.raises(FormatError, match=r"cut.png: not a readable image"):
        read_images([path])


def test_the_pixel_limit_can_be_raised(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    with limits.raised(max_image_pixels=100):
        with pytest.raises(FormatError, match=r"20×20 = 400 pixels, over the limit of 100"):
            read_images([path])
    assert read_images([path], color_mode="grayscale").shape == (1, 20, 20, 1)
