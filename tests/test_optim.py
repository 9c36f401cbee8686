"""The optimizers' in-place updates (striate.optim) against torch.optim, step by step, in
float64, for every combination of momentum, Nesterov and weight decay; a layer's grads
are read and left as they were."""

import numpy as np
import pytest

from striate import optim


class Params:
    """The part of a layer an optimizer sees: params and grads."""

    def __init__(self, rng, dtype=np.float64):
        self.params = {"kernel": rng.standard_normal((6, 5)).astype(dtype),
                       "bias": rng.standard_normal(5).astype(dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}


SGD_SETTINGS = [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.8, nesterov=True),
                dict(lr=0.1, weight_decay=0.01), dict(lr=0.1, momentum=0.9, weight_decay=0.02),
                dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.03)]
ADAM_SETTINGS = [dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.01, weight_decay=0.1)]


def run_both(make_ours, make_torch, rng, steps=6):
    torch = pytest.importorskip("torch")
    layer = Params(rng)
    twins = [torch.nn.Parameter(torch.tensor(p)) for p in layer.params.values()]
    ours, theirs = make_ours(), make_torch(torch, twins)
    for _ in range(steps):
        for (key, g), twin in zip(layer.grads.items(), twins):
            g[...] = rng.standard_normal(g.shape)
            twin.grad = torch.tensor(g)
        grads_before = {k: g.copy() for k, g in layer.grads.items()}
        ours.step([layer])
        theirs.step()
        for key, g in layer.grads.items():
            np.testing.assert_array_equal(g, grads_before[key])  # grads are left as they were
        for p, twin in zip(layer.params.values(), twins):
            np.testing.assert_allclose(p, twin.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_sgd_steps_equal_torch(settings, rng):
    run_both(lambda: optim.SGD(**settings), lambda torch, ps: torch.optim.SGD(ps, **settings), rng)


@pytest.mark.parametrize("settings", ADAM_SETTINGS)
def test_adam_steps_equal_torch_adamw(settings, rng):  # (AdamW decays by 0.01 unless told)
    run_both(lambda: optim.Adam(**settings),
             lambda torch, ps: torch.optim.AdamW(ps, **{"weight_decay": 0.0, **settings}), rng)


@pytest.mark.parametrize("make", [lambda: optim.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                                  lambda: optim.Adam(0.01, weight_decay=0.1)])
def test_a_dtype_change_gets_new_scratch_and_state_holds_no_scratch(make, rng):
    layer = Params(rng, np.float32)
    opt = make()
    layer.grads = {k: np.ones_like(p) for k, p in layer.params.items()}
    opt.step([layer])
    state_names = {name for slot in opt.state_dict()["state"].values() for name in slot}
    assert state_names <= {"velocity", "m", "v"}  # the scratch arrays are not saved with the state
    layer.params = {k: p.astype(np.float64) for k, p in layer.params.items()}
    layer.grads = {k: np.ones_like(p) for k, p in layer.params.items()}
    before = {k: p.copy() for k, p in layer.params.items()}
    opt.step([layer])
    for key, p in layer.params.items():
        assert p.dtype == np.float64
        assert np.all(p < before[key])  # a positive gradient: every parameter went down


@pytest.mark.parametrize("make", [lambda: optim.SGD(0.1), lambda: optim.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: optim.Adam(0.01, weight_decay=0.1)])
def test_parameters_are_updated_in_place(make, rng):
    """Thread replicas share a layer's arrays and the engine copies them into its workers' shared
    memory: a step must write into the same arrays, so a view taken before it sees the new values."""
    layer = Params(rng)
    arrays = dict(layer.params)
    views = {k: p.reshape(-1) for k, p in layer.params.items()}  # a view, not a copy
    before = {k: p.copy() for k, p in layer.params.items()}
    layer.grads = {k: rng.standard_normal(p.shape) for k, p in layer.params.items()}
    make().step([layer])
    for key, p in layer.params.items():
        assert p is arrays[key]
        assert not np.array_equal(p, before[key])
        np.testing.assert_array_equal(views[key], p.reshape(-1))
