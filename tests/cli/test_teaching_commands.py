"""summary, explain, convolve and gradcheck; --help everywhere; the command as a process."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

import striate

from striate import image_filters
from striate.cli.main import COMMANDS, build_parser, main

from .conftest import png_size, write_png

SEEDS_39 = """
input_shape = [39, 39, 3]
[[layers]]
type = "Conv2D"
filters = 10
kernel_size = 3
[[layers]]
type = "Conv2D"
filters = 20
kernel_size = 5
stride = 2
[[layers]]
type = "Conv2D"
filters = 40
kernel_size = 5
stride = 2
[[layers]]
type = "Flatten"
"""


def test_summary_fills_in_the_seeds_arithmetic(tmp_path, capsys):
    config = tmp_path / "seeds.toml"
    config.write_text(SEEDS_39)
    assert main(["summary", str(config)]) == 0
    out = capsys.readouterr().out
    assert "(39 + 2·0 − 3)/1 + 1 = 37" in out
    assert "(37 + 2·0 − 5)/2 + 1 = 17" in out and "(17 + 2·0 − 5)/2 + 1 = 7" in out
    assert "3·3·3 + 1 = 28 per filter × 10 = 280" in out
    assert "7·7·40 = 1,960" in out
    assert "3 + (5 − 1)·1 = 7, jump 1·2 = 2" in out and "15×15" in out  # receptive fields 3, 7, 15
    assert "2·3·3·3 per output × 37·37·10 outputs = 739,260" in out
    assert "37·37·10 = 13,690 values × 4 B = 53.5 KiB" in out


def test_summary_of_the_seed_table(capsys):
    assert main(["summary", "seed-table"]) == 0
    out = capsys.readouterr().out
    for row in ["(None, 28, 28, 8)", "(None, 14, 14, 8)", "(None, 10, 10, 16)", "(None, 5, 5, 16)", "(None, 400)"]:
        assert row in out
    assert "5·5·3 + 1 = 76 per filter × 8 = 608" in out and "400 + 1 = 401 per unit × 120 = 48,120" in out
    assert "Total params: 62,958" in out


def test_summary_of_a_file_and_as_json(model_file, capsys):
    assert main(["summary", str(model_file), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["params"] == 61706 and result["input_shape"] == [28, 28, 1]
    first = result["layers"][0]
    assert first["size"] == ["(28 + 2·2 − 5)/1 + 1 = 28"] and first["receptive_field"] == [5, 5]
    assert first["flops"] == 2 * 25 * 28 * 28 * 6 and first["memory"] == 28 * 28 * 6 * 4


def test_summary_input_shape_for_a_built_in(capsys):
    assert main(["summary", "lenet5", "--input-shape", "32x32x3"]) == 0
    assert "(32 + 2·2 − 5)/1 + 1 = 32" in capsys.readouterr().out
    assert main(["summary", "lenet5", "--input-shape", "8x8x1"]) == 1
    assert "kernel height 5" in capsys.readouterr().err


def test_explain_conv_shows_the_4_in_the_top_left_corner(capsys):
    assert main(["explain", "conv"]) == 0
    out = capsys.readouterr().out
    assert "output size: (5 + 2·0 − 3)/1 + 1 = 3" in out
    assert "y[0,0]: the window at rows 0–2, columns 0–2" in out
    assert "  [1 1 1]0 0      1·1 + 1·0 + 1·1" in out and "= 4\n" in out
    assert out.rstrip().endswith("  4 3 4\n  2 4 3\n  2 3 4")


def test_explain_pool(capsys):
    assert main(["explain", "pool"]) == 0
    out = capsys.readouterr().out
    assert "y[0,0] = max(1, 1, 5, 6) = 6" in out and "y[1,1] = max(1, 0, 3, 4) = 4" in out
    assert "output y\n  6 8\n  3 4" in out


def test_explain_backward_routes_to_the_max_and_correlates(capsys):
    assert main(["explain", "backward"]) == 0
    out = capsys.readouterr().out
    assert "dy[0,0] = 1 goes to x[1,1] = 6, the max of its window" in out
    assert "dx\n  0 0 0 0\n  0 1 0 2\n  3 0 0 0\n  0 0 0 4" in out
    assert "dk[r,c] = Σ_i Σ_j x[r+i, c+j] · dy[i,j]" in out
    assert "Checked: these sums equal the dk, db and dx of striate.functional.conv2d_backward." in out


def test_explain_relu_and_softmax(capsys):
    assert main(["explain", "relu"]) == 0
    assert "max(−1, 0) = 0" in capsys.readouterr().out
    assert main(["explain", "softmax"]) == 0
    out = capsys.readouterr().out
    assert "[0.659, 0.2424, 0.09857]" in out and "= 0.417" in out


def test_explain_takes_its_own_numbers(capsys):
    assert main(["explain", "conv", "--input", "1 2 0; 0 1 3; 2 2 1", "--kernel", "[[1, 0], [0, -1]]"]) == 0
    out = capsys.readouterr().out
    assert "+ 2·0 + 1·(−1)" in out and out.endswith("output y = x ⋆ k\n   0 −1\n  −2  0\n")
    assert main(["explain", "pool", "--input", "1 2; 3 4", "--size", "3"]) == 1
    assert "a 3×3 window with stride 3 does not fit a 2×2 input" in capsys.readouterr().err
    assert main(["explain", "conv", "--kernel", "1 2; 3"]) == 1
    assert "--kernel: every row must have the same number of values" in capsys.readouterr().err


def test_convolve_writes_images_of_the_arithmetic_size(tmp_path, capsys):
    image = np.random.default_rng(0).random((37, 30, 3))
    src = write_png(tmp_path / "photo.png", image)
    out = tmp_path / "edges.png"
    assert main(["convolve", str(src), "--kernel", "sobel-x", "--stride", "2", "--out", str(out)]) == 0
    assert "output 18×14 (rows (37 + 2·0 − 3)/2 + 1 = 18)" in capsys.readouterr().out
    assert png_size(out) == (14, 18)
    assert main(["convolve", str(src), "--kernel", "laplace", "--kernel", "gaussian", "--padding", "same",
                 "--out", str(out), "--figure", str(tmp_path / "all.png")]) == 0
    for kernel in ("laplace", "gaussian"):  # "same" padding keeps 37×30
        assert png_size(tmp_path / f"edges-{kernel}.png") == (30, 37)
    assert png_size(tmp_path / "all.png") == (570, 430)


def test_convolve_flip_is_true_convolution(tmp_path):
    image = np.random.default_rng(1).random((12, 12))
    kernel_file = tmp_path / "k.txt"
    kernel_file.write_text("# a lopsided kernel\n1 2 0\n0 0 0\n0 0 -1\n")
    kernel = image_filters.get(str(kernel_file))
    flipped = image_filters.apply(image, kernel, flip=True)
    reference = np.array([[np.sum(image[i:i + 3, j:j + 3] * kernel[::-1, ::-1]) for j in range(10)]
                          for i in range(10)])
    np.testing.assert_allclose(flipped, reference, rtol=1e-5, atol=1e-6)
    src = write_png(tmp_path / "x.png", image)
    assert main(["convolve", str(src), "--kernel", str(kernel_file), "--flip", "--out", str(tmp_path / "y.png")]) == 0
    assert png_size(tmp_path / "y.png") == (10, 10)


def test_kernels_whose_names_end_alike_write_one_image_each(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = write_png(tmp_path / "seven.png", np.random.default_rng(2).random((8, 8)))
    (tmp_path / "other").mkdir()
    (tmp_path / "k.txt").write_text("1 0\n0 0\n")
    (tmp_path / "other" / "k.txt").write_text("0 0\n0 1\n")
    assert main(["convolve", str(src), "--kernel", "k.txt", "--kernel", "other/k.txt", "--kernel", "sobel-x"]) == 0
    out, err = capsys.readouterr()
    assert "note: kernels k.txt and other/k.txt would both write seven-k.png; other/k.txt's result goes to seven-k-2.png" in err
    assert "wrote seven-k.png" in out and "wrote seven-k-2.png" in out and "wrote seven-sobel-x.png" in out
    assert png_size(tmp_path / "seven-k.png") == png_size(tmp_path / "seven-k-2.png") == (7, 7)
    Image = pytest.importorskip("PIL.Image")
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "seven-k.png")),
                              np.asarray(Image.open(tmp_path / "seven-k-2.png")))  # two results, not one twice


@pytest.mark.parametrize("args,message", [
    (["--kernel", "nope"], "unknown kernel 'nope'; choose from sobel-x"),
    (["--padding", "-1"], "--padding must be a whole number ≥ 0 or 'same'"),
    (["--kernel", "gaussian", "--stride", "0"], "--stride must be ≥ 1"),
])
def test_convolve_errors(tmp_path, capsys, args, message):
    src = write_png(tmp_path / "x.png", np.zeros((4, 4)))
    assert main(["convolve", str(src), *args]) == 1
    assert message in capsys.readouterr().err


def test_convolve_refuses_a_kernel_larger_than_the_image(tmp_path, capsys):
    src = write_png(tmp_path / "x.png", np.zeros((4, 4)))
    assert main(["convolve", str(src), "--kernel", "gaussian"]) == 1
    assert "the 5×5 kernel is larger than the 4×4 image" in capsys.readouterr().err


def test_gradcheck_passes_for_lenet5(capsys):
    assert main(["gradcheck", "lenet5", "--samples", "3"]) == 0
    out = capsys.readouterr().out
    assert "Max rel. error" in out and "FAIL" not in out
    assert "22 of 22 gradients within a relative error of 1e-05" in out


def test_gradcheck_catches_a_wrong_backward(monkeypatch, capsys):
    from striate.layers import activation

    monkeypatch.setattr(activation.ReLU, "_backward", staticmethod(lambda dy, y: dy))  # forgets the mask
    assert main(["gradcheck", "lenet5", "--samples", "6", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    failed = {(c["layer"], c["gradient"]) for c in result["checks"] if c["max_relative_error"] > 1e-5}
    assert not result["ok"] and ("#2 ReLU()", "input") in failed


@pytest.mark.parametrize("command", [c.__name__.rsplit(".", 1)[1] for c in COMMANDS])
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert f"example:\n  striate {command}" in out


def test_debug_shows_the_traceback(capsys):
    assert main(["--debug", "summary", "no-such-model"]) == 1
    err = capsys.readouterr().err
    names = ", ".join(striate.models.MODELS)
    assert "Traceback" in err and err.rstrip().endswith(f"no such model file, and not a built-in model ({names})")
    assert main(["summary", "no-such-model", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_parser_lists_every_command():
    help_text = build_parser().format_help()
    for c in COMMANDS:
        assert c.__name__.rsplit(".", 1)[1] in help_text


def run(*args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "striate", *args], cwd=cwd, input=stdin, capture_output=True,
                          timeout=120)


def test_as_a_process_explain_and_an_error(tmp_path):
    done = run("explain", "pool", cwd=tmp_path)
    assert done.returncode == 0 and b"y[0,0] = max(1, 1, 5, 6) = 6" in done.stdout
    done = run("predict", "missing.striate", "x.png", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().count("\n") == 1 and b"Traceback" not in done.stderr


def test_as_a_process_predict_reads_standard_input(model_file, digit_png, tmp_path):
    done = run("predict", str(model_file), "-", "--top", "2", cwd=tmp_path, stdin=digit_png.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("stdin: ") and done.stdout.count(b"%") == 2


def test_convolve_names_each_kernel_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_png(tmp_path / "sunflower.png", np.random.default_rng(0).random((12, 12)))
    assert main(["convolve", "sunflower.png", "--kernel", "sobel-x", "--kernel", "blur"]) == 0
    assert sorted(p.name for p in tmp_path.glob("sunflower-*.png")) == ["sunflower-blur.png", "sunflower-sobel-x.png"]


def test_explain_winograd_writes_both_ways_and_their_agreement(capsys):
    assert main(["explain", "winograd", "--input", "1 2 0 1; 0 1 3 2; 2 1 0 1; 1 0 2 3",
                 "--kernel", "1 2 1; 0 1 0; -1 0 1"]) == 0
    out = capsys.readouterr().out
    x = np.array([[1, 2, 0, 1], [0, 1, 3, 2], [2, 1, 0, 1], [1, 0, 2, 3]])
    k = np.array([[1, 2, 1], [0, 1, 0], [-1, 0, 1]])
    y = [[int(np.sum(x[i:i + 3, j:j + 3] * k)) for j in range(2)] for i in range(2)]
    assert "2×2 outputs × 9 products = 36 multiplications" in out and "M = U ⊙ V, 16 products" in out
    assert "\nY\n" + "\n".join("  " + " ".join(f"{v:>2}" for v in row) for row in y) + "\n" in out
    assert "Checked: Y equals striate.functional.conv2d's output" in out
    assert main(["explain", "winograd", "--tile", "4"]) == 0
    assert "M = U ⊙ V, 36 products" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--input", "1 2; 3 4"], r"--input must be 4×4 \(one input tile of F\(2×2, 3×3\)\), got 2×2"),
    (["--tile", "4", "--input", "1 2 0 1; 0 1 3 2; 2 1 0 1; 1 0 2 3"], "--input must be 6×6 .*got 4×4"),
    (["--kernel", "1 0; 0 1"], r"--kernel must be 3×3 .*got 2×2"),
])
def test_explain_winograd_refuses_other_sizes(args, message, capsys):
    assert main(["explain", "winograd", *args]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(f"striate explain: error: explain winograd: {message}\n", err), err


def test_explain_help_lists_winograd_and_a_bad_tile_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["explain", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "{conv,pool,relu,softmax,backward,winograd}" in out and "striate explain winograd --tile 4" in out
    with pytest.raises(SystemExit) as info:
        main(["explain", "winograd", "--tile", "3"])
    assert info.value.code == 2 and "argument --tile: invalid choice: 3" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["winograd", "--stride", "2"], "explain winograd: --stride does not apply; it takes --input, --kernel, --tile"),
    (["conv", "--tile", "4", "--mode", "avg"], "explain conv: --mode, --tile do not apply; it takes --input, "
                                               "--kernel, --stride, --padding, --steps"),
    (["pool", "--kernel", "1 0; 0 1"], "explain pool: --kernel does not apply"),
    (["softmax", "--grad", "1 2"], "explain softmax: --grad does not apply"),
])
def test_explain_refuses_an_option_its_topic_does_not_read(argv, message, capsys):
    """Silently ignored, `explain winograd --stride 2` would look like an answer about stride 2."""
    assert main(["explain", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"striate explain: error: {message}") and err.count("\n") == 1, err


@pytest.mark.parametrize("topic,defaults", [("conv", ["--padding", "0"]), ("pool", ["--size", "2", "--mode", "max"]),
                                            ("softmax", ["--label", "0"]), ("winograd", ["--tile", "2"])])
def test_explain_without_an_option_uses_its_default(topic, defaults, capsys):
    assert main(["explain", topic]) == 0
    plain = capsys.readouterr().out
    assert main(["explain", topic, *defaults]) == 0
    assert capsys.readouterr().out == plain
