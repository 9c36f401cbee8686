"""The shape arithmetic `striate summary` prints: sizes, parameters, receptive fields, FLOPs."""

import numpy as np
import pytest

import striate
from striate import arithmetic
from striate import layers as L


@pytest.mark.parametrize("args,text", [
    ((37, 5, 2, (0, 0)), "(37 + 2·0 − 5)/2 + 1 = 17"),
    ((28, 3, 2, (1, 1)), "⌊(28 + 2·1 − 3)/2⌋ + 1 = 14"),  # 27/2 rounds down
    ((28, 4, 1, (1, 2)), "(28 + 1 + 2 − 4)/1 + 1 = 28"),  # "same" with an even kernel
    ((28, 3, 1, (2, 2), 2), "(28 + 2·2 − 5)/1 + 1 = 28  (dilated kernel: 2·(3 − 1) + 1 = 5)"),
])
def test_size_text(args, text):
    assert arithmetic.size_text(*args) == text


def test_every_number_agrees_with_the_layers():
    model = striate.Sequential([L.Conv2D(4, 3, stride=2, padding="same"), L.ReLU(), L.AvgPool2D(3, stride=1),
                                L.Conv2D(6, (3, 5), groups=2), L.Flatten(), L.Dense(7, bias=False), L.Softmax()],
                               input_shape=(16, 20, 2))
    rows = arithmetic.analyse(model)
    for row, layer in zip(rows, model.layers):
        assert row.output_shape == layer.output_shape and row.params == layer.num_params
        assert row.memory == 4 * int(np.prod(layer.output_shape))
    conv, _, pool, grouped, flat, dense, soft = rows
    # "same" with stride 2: one row and column of padding, at the bottom and right
    assert conv.size == ["height (16 + 0 + 1 − 3)/2 + 1 = 8", "width  (20 + 0 + 1 − 3)/2 + 1 = 10"]
    assert pool.size == ["height (8 + 2·0 − 3)/1 + 1 = 6", "width  (10 + 2·0 − 3)/1 + 1 = 8"]
    assert grouped.params_text == "3·5·2 + 1 = 31 per filter × 6 = 186 (groups=2: each filter sees 2 of 4 channels)"
    assert dense.params_text == "96 per unit × 7 = 672"  # no bias
    assert conv.receptive_field == (3, 3) and conv.jump == (2, 2)
    assert pool.receptive_field == (7, 7) and pool.jump == (2, 2)  # 3 + (3 − 1)·2
    assert grouped.receptive_field == (11, 15)  # 7 + (3 − 1)·2, 7 + (5 − 1)·2
    assert flat.receptive_field == (16, 20) and soft.receptive_field == (16, 20)  # the whole image
    assert grouped.flops == 2 * 3 * 5 * 2 * 6 * grouped.output_shape[0] * grouped.output_shape[1]
    assert dense.flops == 2 * flat.output_shape[0] * 7 and pool.flops == 9 * 6 * 8 * 4


def test_report_needs_a_built_model():
    with pytest.raises(ValueError, match="not built"):
        arithmetic.analyse(striate.Sequential([L.ReLU()]))


def test_human_bytes():
    assert [arithmetic.human_bytes(n) for n in (40, 1536, 3 << 20)] == ["40 B", "1.5 KiB", "3.0 MiB"]
