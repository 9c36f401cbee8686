"""Hostile TOML configs: each a ValueError naming the file and the layer, with no
weight drawn past striate.limits.MAX_PARAMS."""

import pytest

from striate import limits
from striate.io import config

from ..memory import raises_cheaply

HEAD = "input_shape = [28, 28, 1]\n"


def conv(kernel_size):
    return HEAD + f'[[layers]]\ntype = "Conv2D"\nfilters = 4\nkernel_size = {kernel_size}\n'


def dense(units):
    return HEAD + f'[[layers]]\ntype = "Flatten"\n[[layers]]\ntype = "Dense"\nunits = {units}\n'


@pytest.mark.parametrize("text,message", [
    (HEAD + '[[layers]]\ntype = ["Dense"]\n', r"layers\[0\]: unknown layer type \['Dense'\]; known types: "),
    (conv(2**32), r"layers\[0\] \(Conv2D\): its kernel \(4294967296, 4294967296, 1, 4\) brings the parameters to "
                  r"a total that is 73,786,976,294,838,206,464, over the limit of 268,435,456"),
    (conv(10**18), r"layers\[0\] \(Conv2D\): its kernel \(1000000000000000000, 1000000000000000000, 1, 4\)"),
    (conv(2**70), r"layers\[0\] \(Conv2D\): kernel_size is an integer of 22 digits"),
    (dense(10**9), r"layers\[1\] \(Dense\): its kernel \(784, 1000000000\) brings the parameters to a total that is "
                   r"784,000,000,000, over the limit"),
    (dense(500000), r"layers\[1\] \(Dense\): its kernel \(784, 500000\) brings the parameters to a total that is "
                    r"392,000,000, over the limit of 268,435,456 \(striate.limits.MAX_PARAMS"),
    (HEAD + '[[layers]]\ntype = "Dropout"\nrate = nan\n', r"layers\[0\] \(Dropout\): rate is nan: settings must be finite"),
    (HEAD + '[[layers]]\ntype = "LeakyReLU"\nnegative_slope = -inf\n', r"negative_slope is -inf"),
    (HEAD + '[[layers]]\ntype = "Reshape"\ntarget_shape = ' + "[" * 20 + "1" + "]" * 20 + "\n",
     r"layers\[0\] \(Reshape\): target_shape nests arrays deeper than 8 levels"),
])
def test_hostile_configs_are_value_errors_naming_the_file(tmp_path, text, message):
    path = tmp_path / "net.toml"
    path.write_text(text)
    error = raises_cheaply(ValueError, lambda: config.load(path, seed=0), message)
    assert error.startswith(str(path))


def test_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "net.toml"
    path.write_bytes(HEAD.encode() + b'[[layers]]\ntype = "Dense\xff\xfe"\n')
    with pytest.raises(ValueError, match=r"net.toml: not valid TOML: UnicodeDecodeError"):
        config.read(path)


def test_arrays_nested_past_the_parsers_recursion(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ValueError, match=r"net.toml: not valid TOML"):
        config.read(path)


def test_the_parameter_limit_can_be_raised(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(dense(10))
    with limits.raised(max_params=100):
        with pytest.raises(ValueError, match=r"7,840, over the limit of 100"):
            config.load(path)
    assert config.load(path).count_params() == 7850


# ---- malformed configs kept in crashes/: each one is refused with a FormatError ------------------
def test_a_huge_input_is_refused_before_the_first_kernel_is_drawn(tmp_path):
    """input_shape [28, 28, 999000]: Conv2D's kernel (5, 5, 999000, 6) is within MAX_PARAMS, and was
    drawn (1.2 GB of float64) before the input's own size was compared with MAX_ACTIVATION."""
    from pathlib import Path

    path = tmp_path / "net.toml"
    path.write_bytes((Path(__file__).parent / "crashes" / "config-huge-input-channels.toml").read_bytes())
    raises_cheaply(ValueError, lambda: config.load(path), r"input_shape \(28, 28, 999000\): one sample's size is "
                                                          r"783,216,000, over the limit of 134,217,728")
