"""Sequential: summary, fit/evaluate/predict, determinism, and a whole LeNet-5 against PyTorch."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim


def lenet(seed=0, dtype=np.float32):
    model = striate.models.lenet5(seed=seed)
    return model if dtype == np.float32 else striate.Sequential(
        [type(l)(**l.get_config()) for l in model.layers], input_shape=(28, 28, 1), seed=seed, dtype=dtype)


def blobs(rng, n=256):
    """Two classes of 8×8 images: bright top half vs bright bottom half, plus noise."""
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    x[y == 0, :4] += 1
    x[y == 1, 4:] += 1
    return x, y


def test_summary_lists_every_layer_and_the_total():
    text = striate.models.lenet5().summary(print_fn=None)
    assert "Conv2D(6, 5, padding=2)  (None, 28, 28, 6)" in text
    assert "Dense(10)" in text and "(None, 10)" in text
    assert "Total params: 61,706" in text


def test_fit_learns_and_reports_history(rng):
    x, y = blobs(rng)
    model = striate.Sequential([L.Conv2D(4, 3, padding="same"), L.ReLU(), L.MaxPool2D(2),
                                L.Flatten(), L.Dense(2)], input_shape=(8, 8, 1), seed=0)
    model.compile(optim.SGD(lr=0.1, momentum=0.9), "cross_entropy", ["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=32, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2]
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = model.evaluate(x, y)
    assert result["accuracy"] > 0.95
    assert result["loss"] == pytest.approx(history.history["val_loss"][-1])


def test_predict_in_batches_equals_one_forward(rng):
    model = striate.models.lenet5(seed=1)
    x = rng.random((37, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(model.predict(x, batch_size=8), model.forward(x), rtol=1e-5, atol=1e-6)


def test_same_seed_gives_bit_identical_training(rng):
    x, y = rng.random((96, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 96)
    runs = []
    for _ in range(2):
        model = striate.models.lenet5(seed=7)
        model.compile(optim.Adam(lr=1e-3), "cross_entropy")
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        runs.append([p.copy() for layer in model.layers for p in layer.params.values()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    other = striate.models.lenet5(seed=8)
    assert not np.array_equal(other.layers[0].params["kernel"], striate.models.lenet5(seed=7).layers[0].params["kernel"])


def test_model_builds_lazily_from_the_first_batch(rng):
    model = striate.Sequential([L.Conv2D(2, 3), L.Flatten(), L.Dense(3)], seed=0)
    assert not model.built
    y = model.predict(rng.random((4, 6, 6, 2)))
    assert y.shape == (4, 3) and model.input_shape == (6, 6, 2)


def torch_lenet(model):
    """The same LeNet-5 in PyTorch (NCHW), weights copied from a float64 striate model."""
    from .oracle import torch

    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    ).double()
    pairs = []
    for ours, theirs in zip([l for l in model.layers if l.params], [m for m in net if hasattr(m, "weight")]):
        k = ours.params["kernel"]
        if k.ndim == 4:
            w = k.transpose(3, 2, 0, 1)
        else:
            w = k.T
            if theirs.in_features == 400:  # striate flattens (h, w, c); torch flattens (c, h, w)
                w = w.reshape(120, 5, 5, 16).transpose(0, 3, 1, 2).reshape(120, 400)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(np.ascontiguousarray(w)))
            theirs.bias.copy_(torch.tensor(ours.params["bias"]))
        pairs.append((ours, theirs))
    return net, pairs


def to_striate_layout(ours, theirs_grad):
    g = theirs_grad.numpy()
    if g.ndim == 4:
        return g.transpose(2, 3, 1, 0)
    if g.shape == (120, 400):
        g = g.reshape(120, 16, 5, 5).transpose(0, 2, 3, 1).reshape(120, 400)
    return g.T


@pytest.mark.parametrize("batch", [8, 48])  # 48: split across threads (striate.engine.threads)
def test_whole_lenet5_matches_pytorch_forward_gradients_and_sgd_steps(batch, rng):
    from .oracle import torch

    model = lenet(seed=3, dtype=np.float64)
    net, pairs = torch_lenet(model)
    x = rng.random((batch, 28, 28, 1))
    y = rng.integers(0, 10, batch)
    model.compile(optim.SGD(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), "cross_entropy")
    topt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    tx, ty = torch.tensor(x.transpose(0, 3, 1, 2).copy()), torch.tensor(y)
    for step in range(3):
        loss, out = model.train_step(x, y)
        topt.zero_grad()
        tout = net(tx)
        tloss = torch.nn.functional.cross_entropy(tout, ty)
        tloss.backward()
        np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-9, atol=1e-11)
        assert loss == pytest.approx(tloss.item(), rel=1e-10)
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours.grads["kernel"], to_striate_layout(ours, theirs.weight.grad),
                                       rtol=1e-8, atol=1e-11, err_msg=f"step {step} {ours.name}")
            np.testing.assert_allclose(ours.grads["bias"], theirs.bias.grad.numpy(), rtol=1e-8, atol=1e-11)
        topt.step()
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.params["bias"], theirs.bias.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_adam_matches_pytorch_adamw(rng):
    from .oracle import torch

    model = lenet(seed=5, dtype=np.float64)
    net, pairs = torch_lenet(model)
    model.compile(optim.Adam(lr=3e-3, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.05), "cross_entropy")
    topt = torch.optim.AdamW(net.parameters(), lr=3e-3, betas=(0.8, 0.99), eps=1e-7, weight_decay=0.05)
    x, y = rng.random((6, 28, 28, 1)), rng.integers(0, 10, 6)
    tx, ty = torch.tensor(x.transpose(0, 3, 1, 2).copy()), torch.tensor(y)
    for _ in range(4):
        model.train_step(x, y)
        topt.zero_grad()
        torch.nn.functional.cross_entropy(net(tx), ty).backward()
        topt.step()
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.params["kernel"], to_striate_layout(ours, theirs.weight.detach()),
                                   rtol=1e-7, atol=1e-10)


def test_schedules_match_pytorch():
    from .oracle import torch

    p = [torch.nn.Parameter(torch.zeros(1))]
    cases = [
        (optim.StepDecay(0.1, step_size=3, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5), 0.1),
        (optim.CosineDecay(0.1, total_steps=10, min_lr=0.01),
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, eta_min=0.01), 0.1),
        (optim.OneCycle(0.2, total_steps=20), lambda o: torch.optim.lr_scheduler.OneCycleLR(o, 0.2, total_steps=20), 0.2),
    ]
    for ours, make, lr in cases:
        opt = torch.optim.SGD(p, lr=lr)
        sched = make(opt)
        for step in range(10):
            assert ours(step) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9), (ours, step)
            opt.step()
            sched.step()


def test_predict_between_training_forward_and_backward_keeps_the_cache(rng):
    model = striate.models.lenet5(seed=0)
    x = rng.random((4, 28, 28, 1), dtype=np.float32)
    out = model.forward(x, training=True)
    model.predict(x[:2])  # inference must not disturb the training pass
    model.backward(np.ones_like(out))
    assert model.layers[0].grads["kernel"].any()


def test_optimizers_take_numpy_scalars_and_follow_a_dtype_change(rng):
    model = striate.Sequential([L.Flatten(), L.Dense(3)], input_shape=(2, 2, 1), seed=0)
    model.compile(optim.SGD(lr=np.float32(0.1), momentum=0.9), "cross_entropy")
    x, y = rng.random((8, 2, 2, 1)), rng.integers(0, 3, 8)
    model.train_step(x, y)
    for layer in model.layers:
        layer.astype(np.float64)
    model.train_step(x, y)
    assert model.optimizer.state["1.kernel"]["velocity"].dtype == np.float64
    assert isinstance(model.optimizer.lr, float)


def test_relu_in_place_after_conv_and_dense_changes_nothing_that_callers_see(rng):
    """Sequential runs a ReLU that follows a Conv2D or Dense in place; outputs, gradients
    and the caller's arrays must be as with every layer run on its own."""
    model = striate.Sequential([L.ReLU(), L.Conv2D(4, 3), L.ReLU(), L.Flatten(), L.Dense(5), L.ReLU()],
                               input_shape=(6, 6, 2), seed=0)
    x = rng.standard_normal((3, 6, 6, 2)).astype(np.float32)
    x_before = x.copy()
    out = x
    expected = []
    for layer in model.layers:
        out = layer.forward(out.copy(), training=True)
        expected.append(out)
    g = np.ones_like(out)
    for layer in reversed(model.layers):  # each layer's own backward after its own forward
        g = layer.backward(g)
    grads_expected = [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]
    got = model.forward(x, training=True)
    np.testing.assert_array_equal(x, x_before)  # the first ReLU did not touch the caller's x
    np.testing.assert_array_equal(got, expected[-1])
    for got_g, exp_g in zip(_grads_after_backward(model, np.ones_like(got)), grads_expected):
        for key in exp_g:
            np.testing.assert_array_equal(got_g[key], exp_g[key])


def _grads_after_backward(model, dy):
    model.backward(dy)
    return [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]


def test_predict_never_hands_back_a_view_of_the_input():
    """A model that only reshapes returns its input's memory; predict must copy it."""
    model = striate.Sequential([L.Flatten()], input_shape=(2, 2, 1))
    x = np.ones((3, 2, 2, 1), np.float32)
    y = model.predict(x)
    y[...] = 5
    assert np.all(x == 1)


def test_predict_proba_rows_are_softmax_of_predict(rng):
    model = striate.models.lenet5(seed=0)
    x = rng.random((5, 28, 28, 1), np.float32)
    probs = model.predict_proba(x)
    logits = model.predict(x).astype(np.float64)
    expected = np.exp(logits - logits.max(1, keepdims=True))
    assert probs.shape == (5, 10) and np.allclose(probs, expected / expected.sum(1, keepdims=True))
    assert np.allclose(probs.sum(axis=1), 1)
    with_softmax = striate.Sequential([L.Flatten(), L.Dense(3), L.Softmax()], input_shape=(2, 2, 1), seed=0)
    assert np.array_equal(with_softmax.predict_proba(x[:, :2, :2]), with_softmax.predict(x[:, :2, :2]))
    with pytest.raises(ValueError, match=r"predict_proba: the model's outputs have shape \(28, 28, 1\) per sample"):
        striate.models.autoencoder(seed=0).predict_proba(x)


def test_a_loaded_classifier_evaluates_without_compile(tmp_path, rng):
    model = striate.models.lenet5(seed=0)
    model.save(tmp_path / "m.striate")
    x, y = rng.random((6, 28, 28, 1), np.float32), rng.integers(0, 10, 6)
    loaded = striate.load(tmp_path / "m.striate")
    result = loaded.evaluate(x, y)
    model.compile("sgd", "cross_entropy", ["accuracy"])
    assert result == pytest.approx(model.evaluate(x, y)) and set(result) == {"loss", "accuracy"}
    with pytest.raises(RuntimeError, match=r"does not output class scores; call compile\(loss=...\) first"):
        striate.models.autoencoder(seed=0).evaluate(x, x)
