"""The explanations' text helpers and their own-number checks."""

import numpy as np
import pytest

from striate import explain
from striate.explain.text import number, parse_matrix, windowed


def test_numbers_use_a_true_minus_and_few_digits():
    assert [number(v) for v in (3.0, -2, 0.65900114, 1e-5)] == ["3", "−2", "0.659", "1e−05"]


@pytest.mark.parametrize("text,expected", [
    ("1 0 1; 0 1 0", [[1, 0, 1], [0, 1, 0]]),
    ("1,2;3,4", [[1, 2], [3, 4]]),
    ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
    ("2 1 0.1", [[2, 1, 0.1]]),
    ("[2, 1]", [[2, 1]]),
])
def test_parse_matrix(text, expected):
    np.testing.assert_array_equal(parse_matrix(text, "--input"), expected)


@pytest.mark.parametrize("text,message", [
    ("1 a", "expected numbers"), ("1 2; 3", "same number of values"), ("", "same number of values"),
    ('["a"]', "expected numbers"), ("[[", "expected numbers"),
])
def test_parse_matrix_errors_name_the_option(text, message):
    with pytest.raises(ValueError, match=f"--kernel: .*{message}"):
        parse_matrix(text, "--kernel")


def test_windowed_brackets_the_window():
    assert windowed(np.arange(9).reshape(3, 3), range(1, 3), range(0, 2)) == [
        "   0 1 2", "  [3 4]5", "  [6 7]8"]


def test_every_topic_runs_on_its_defaults():
    for name, topic in explain.TOPICS.items():
        assert len(topic().splitlines()) > 10, name


def test_backward_checks_shapes():
    with pytest.raises(ValueError, match=r"--grad must be 3×3 \(the convolution's output\), got 2×2"):
        explain.backward(dy=np.ones((2, 2)))


def test_softmax_of_extreme_logits_gives_the_library_loss_without_warnings(recwarn):
    import striate

    text = explain.softmax([1000, 0, -1000], label=2)
    assert "= 0 − (−2000) = 2000" in text and "inf" not in text
    loss = striate.losses.get("cross_entropy").forward(np.array([[1000.0, 0, -1000]]), np.array([2]))
    assert loss == 2000
    assert len(recwarn) == 0
