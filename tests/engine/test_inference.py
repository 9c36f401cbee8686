"""Inference in pieces (striate.engine.inference): the same outputs as one forward pass."""

import numpy as np

import striate
from striate import layers as L
from striate.engine import Runner, inference, threads


def test_predict_in_pieces_equals_one_forward(rng):
    """Inference runs a few MB of activations at a time (striate.engine.inference), in
    pieces of equal size; the outputs are the same as one forward pass over the whole batch."""
    model = striate.Sequential([L.Conv2D(4, 3, padding="same"), L.ReLU(), L.MaxPool2D(2), L.Flatten(),
                                L.Dense(3)], input_shape=(8, 8, 1), seed=0)
    x = rng.standard_normal((101, 8, 8, 1)).astype(np.float32)
    whole = model.forward(x)
    max_bytes = 8 * 8 * 4 * 4 * 20  # 20 images of the widest activation
    assert inference.piece_size(model.layers, model.dtype, max_bytes) == 20 * threads.get_threads()
    runner = Runner(model)
    np.testing.assert_allclose(runner.infer(x, piece=20), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(runner.infer(x, piece=33), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=101), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:7], batch_size=7), whole[:7], rtol=1e-5, atol=1e-6)


def test_a_variable_size_input_is_one_piece():
    model = striate.Sequential([L.Conv2D(2, 3), L.ReLU()], input_shape=(None, None, 1))
    assert inference.piece_size(model.layers, model.dtype) == 1 << 62
