"""How an image file becomes a model's input: 16-bit scaled, transparency shown, photos cropped, notes said."""

import io
import warnings

import numpy as np
import pytest

from striate.cli import images
from striate.cli.main import main

Image = pytest.importorskip("PIL.Image")


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path):
    a = np.zeros((28, 28), np.uint16)
    a[:, 14:] = 32768  # half brightness in 16 bits: clipped at 255 it would read as white
    path = tmp_path / "deep.png"
    Image.fromarray(a).save(path)
    notes = []
    x = images.for_model(str(path), (28, 28, 1), notes=notes)
    assert x[0, 20, 0] == pytest.approx(0.5, abs=0.01) and x[0, 0, 0] == 0
    assert notes == ["16-bit image scaled from 0–65535"]


def test_black_ink_on_a_transparent_png_keeps_its_drawing(tmp_path):
    rgba = np.zeros((28, 28, 4), np.uint8)  # transparent black everywhere
    rgba[4:24, 12:16] = (0, 0, 0, 255)  # an opaque black stroke
    path = tmp_path / "ink.png"
    Image.fromarray(rgba, "RGBA").save(path)
    notes = []
    x = images.for_model(str(path), (28, 28, 1), notes=notes)
    assert x[10, 13, 0] == 0 and x[0, 0, 0] == 1  # black stroke on white, not all black
    assert notes == ["transparent background shown as white (dark drawing)"]
    inverted = images.for_model(str(path), (28, 28, 1), invert=True)
    assert inverted[10, 13, 0] == 1 and inverted[0, 0, 0] == 0  # --invert: the MNIST look


def test_light_ink_on_a_transparent_png_goes_on_black(tmp_path):
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[4:24, 12:16] = (255, 255, 255, 255)
    path = tmp_path / "chalk.png"
    Image.fromarray(rgba, "RGBA").save(path)
    x = images.for_model(str(path), (28, 28, 1))
    assert x[10, 13, 0] == 1 and x[0, 0, 0] == 0


def test_a_photo_is_cropped_to_the_model_shape_and_the_note_says_so(tmp_path, model_file, capsys):
    photo = np.zeros((480, 640, 3), np.uint8)
    photo[:, 80:560] = (200, 30, 30)  # the central 480×480 is red; the sides black
    path = tmp_path / "photo.jpg"
    Image.fromarray(photo).save(path)
    notes = []
    x = images.for_model(str(path), (28, 28, 1), notes=notes)
    assert x.shape == (28, 28, 1) and x[:, 0].min() > 0.2  # the black sides were cropped away, not squashed in
    assert notes == ["colour converted to grey", "cropped to its central 480×480", "resized from 480×480 to 28×28"]
    assert main(["predict", str(model_file), str(path)]) == 0
    err = capsys.readouterr().err
    assert (f"note: {path}: colour converted to grey; cropped to its central 480×480; resized from 480×480 to 28×28"
            in err)


def test_an_image_of_the_right_size_goes_in_without_a_note(digit_png):
    notes = []
    images.for_model(str(digit_png), (28, 28, 1), notes=notes)
    assert notes == []


def png_stating(path, width, height):
    """A small PNG file whose header states width×height pixels."""
    from ..datasets.test_folder_hostile import png_bytes

    path.write_bytes(png_bytes(width, height))
    return path


@pytest.mark.parametrize("side", [9000, 10000, 14000])  # under Pillow's warning, past it, past its error
@pytest.mark.parametrize("command", ["predict", "features", "convolve", "stdin"])
def test_an_image_over_the_pixel_limit_is_refused_before_decoding(command, side, tmp_path, model_file, capsys,
                                                                 monkeypatch):
    from ..memory import LIMIT, peak_bytes

    path = png_stating(tmp_path / "huge.png", side, side)
    argv = {"predict": ["predict", str(model_file), str(path)],
            "features": ["features", str(model_file), str(path), "--out", str(tmp_path / "f.png")],
            "convolve": ["convolve", str(path), "--out", str(tmp_path / "c.png")],
            "stdin": ["predict", str(model_file), "-"]}[command]
    if command == "stdin":
        monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BytesIO(path.read_bytes())})())
    codes = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning must not leak
        assert peak_bytes(lambda: codes.append(main(argv))) < LIMIT
    assert codes == [1]
    err = capsys.readouterr().err
    name = "standard input" if command == "stdin" else str(path)
    assert f"error: {name}: the image states {side}×{side} = {side * side:,} pixels, over the limit of " in err
    assert "STRIATE_MAX_IMAGE_PIXELS" in err and len(err.strip().splitlines()) == 1


def test_the_cli_pixel_limit_can_be_raised(tmp_path):
    from striate import limits

    path = tmp_path / "a.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(path)
    with limits.raised(max_image_pixels=100):
        with pytest.raises(ValueError, match=r"a.png: the image states 20×20 = 400 pixels, over the limit of 100"):
            images.read(str(path))
    assert images.read(str(path))[0].shape == (20, 20, 1)


@pytest.mark.parametrize("data, message", [
    (b"", "standard input is empty: expected a PNG or JPEG image"),
    (b"hello, not an image\n", "standard input is not a PNG or JPEG image"),
])
def test_standard_input_that_is_no_image_says_so(data, message, model_file, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": io.BytesIO(data)})())
    assert main(["predict", str(model_file), "-"]) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "BytesIO" not in err


@pytest.mark.parametrize("command", ["predict", "features"])
def test_an_any_size_model_refuses_an_image_too_large_for_it_and_says_what_fits(command, tmp_path, capsys):
    import re

    import striate
    from striate import limits

    from ..memory import LIMIT, peak_bytes

    model_path = tmp_path / "fcn.striate"
    striate.models.fcn(seed=0).save(model_path)

    def run(side, traced=False):
        path = tmp_path / f"{side}.png"
        Image.fromarray(np.zeros((side, side), np.uint8)).save(path)
        argv = [command, str(model_path), str(path)] + (["--out", str(tmp_path / "f")] if command == "features" else [])
        codes = []
        if traced:  # refused before anything the size of the image's activations is allocated
            assert peak_bytes(lambda: codes.append(main(argv))) < LIMIT
        else:
            codes.append(main(argv))
        return codes[0], capsys.readouterr().err

    with limits.raised(max_activation=100_000):  # at 100×100 a patch matrix holds 720,000 values
        code, err = run(100, traced=True)
        assert code == 1
        assert re.search(r"error: \S+100.png at 100×100 pixels: layers\[\d\] \(Conv2D\): .* is [\d,]+, over the limit "
                         r"of 100,000 \(striate.limits.MAX_ACTIVATION\): resize the image to (\d+)×\1 pixels or less", err)
        side = int(re.search(r"resize the image to (\d+)×", err).group(1))
        assert 20 < side < 100
        if command == "predict":  # (features draws a page of figures: slow)
            assert run(side)[0] == 0


@pytest.mark.parametrize("mode", ["L", "I;16", "LA"])
def test_a_grey_image_given_to_a_colour_model_gets_a_note(mode, tmp_path, capsys):
    import striate
    from striate import layers as L

    grey = np.full((28, 28), 100, np.uint8)
    path = tmp_path / "grey.png"
    if mode == "I;16":
        Image.fromarray(grey.astype(np.uint16) * 257).save(path)
    elif mode == "LA":
        Image.fromarray(np.stack([grey, np.full_like(grey, 255)], axis=2), "LA").save(path)
    else:
        Image.fromarray(grey).save(path)
    notes = []
    x = images.for_model(str(path), (28, 28, 3), notes=notes)
    assert x.shape == (28, 28, 3) and notes[-1] == "grey image copied into the three colour channels"
    model = tmp_path / "rgb.striate"
    striate.Sequential([L.Flatten(), L.Dense(2)], input_shape=(28, 28, 3), seed=0).save(model)
    assert main(["predict", str(model), str(path)]) == 0
    assert f"note: {path}: " in capsys.readouterr().err
    images.for_model(str(path), (28, 28, 1), notes=(kept := []))
    assert "grey image copied into the three colour channels" not in kept
