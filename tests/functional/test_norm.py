"""Batch normalisation's evaluation pass (running statistics as constants): its backward
against finite differences, as input_gradient uses it."""

import numpy as np

from striate.functional import norm as F

from ..gradcheck import check_op


def test_evaluation_backward_matches_finite_differences(rng):
    x = rng.standard_normal((3, 4, 5, 2))
    gamma, beta = rng.standard_normal(2), rng.standard_normal(2)
    mean, var = rng.standard_normal(2), rng.random(2) + 0.5
    inv_std = 1 / np.sqrt(var + 1e-5)
    y = F.batch_norm_eval(x, gamma, beta, mean, var, 1e-5)
    dy = rng.standard_normal(y.shape)
    grads = F.batch_norm_eval_backward(dy, ((x - mean) * inv_std, inv_std), gamma)
    check_op(lambda: F.batch_norm_eval(x, gamma, beta, mean, var, 1e-5), grads, (x, gamma, beta), dy)
