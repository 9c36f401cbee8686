"""An upload becomes the same numbers on the page as the same file gives `striate predict`."""

import io

import numpy as np
import pytest

from striate.cli import images
from striate.web import decode

from .conftest import png

PNG = {"content-type": "image/png"}


def sixteen_bit(array) -> bytes:
    """A 16-bit grey PNG of values in [0, 1] (scaled to 0..65535)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.asarray(array) * 65535).astype(np.uint16)).save(buffer, "PNG")
    return buffer.getvalue()


def dark_ink_on_transparent() -> np.ndarray:
    """RGBA: black strokes, opaque, on a fully transparent background (a drawing exported from an editor)."""
    a = np.zeros((28, 28, 4))
    a[5:23, 12:16, 3] = 1.0
    return a


rng = np.random.default_rng(0)
CASES = {
    "dark ink on transparent": (png(dark_ink_on_transparent()), (28, 28, 1)),
    "light ink on transparent": (png(np.concatenate([np.ones((28, 28, 3)), dark_ink_on_transparent()[..., 3:]], -1)),
                                 (28, 28, 1)),
    "dim 16-bit grey": (sixteen_bit(rng.uniform(0, 0.003, (28, 28))), (28, 28, 1)),
    "16-bit grey for colour": (sixteen_bit(rng.uniform(0, 1, (30, 30))), (32, 32, 3)),
    "a colour photo of another shape": (png(rng.uniform(0, 1, (48, 64, 3))), (28, 28, 1)),
    "grey for colour, another shape": (png(rng.uniform(0, 1, (40, 20))), (20, 24, 3)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_page_converts_an_upload_as_predict_converts_the_file(tmp_path, name):
    data, shape = CASES[name]
    path = tmp_path / "image.png"
    path.write_bytes(data)
    predict_notes = []
    expected = images.for_model(str(path), shape, notes=predict_notes)
    x, notes = decode.decode(data, shape)
    assert x.dtype == np.float32 and x.shape == shape
    np.testing.assert_array_equal(x, expected)
    assert notes == predict_notes


def test_a_drawing_on_a_transparent_background_is_shown_on_white_as_predict_does(client, lenet):
    body = client.post("/api/forward", content=png(dark_ink_on_transparent()), headers=PNG).json()
    assert "transparent background shown as white (dark drawing)" in body["notes"]
    from striate.web import encode

    x = encode.decode(body["input"])
    assert x[0, 0, 0] == 1.0 and x[10, 13, 0] == 0.0  # white paper, black ink: as `striate predict` sees it


def test_the_decoder_remembers_the_last_images_and_hands_out_copies():
    decoder = decode.Decoder((28, 28, 1), keep=2)
    images_ = [png(np.full((30, 30), v)) for v in (0.2, 0.4, 0.6)]
    x, notes = decoder(images_[0])
    x[...] = 7.0  # the caller's copy: what is remembered stays as decoded
    notes.append("changed")
    again, notes_again = decoder(images_[0])
    np.testing.assert_array_equal(again, decode.decode(images_[0], (28, 28, 1))[0])
    assert notes_again == ["resized from 30×30 to 28×28"]
    for data in images_:
        decoder(data)
    assert len(decoder) == 2
    with pytest.raises(ValueError, match="over the page's limit of 100"):
        decode.Decoder((28, 28, 1), max_pixels=100)(images_[0])
