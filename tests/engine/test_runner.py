"""Input gradients (Runner.input_gradient, through Sequential.input_gradient): d loss / d x
for the model as it predicts, equal to PyTorch's in eval mode, and nothing in the model moves."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import models


def float64(model):
    for layer in model.layers:
        layer.astype(np.float64)
    return model


def randomise_batch_norm(model, rng):
    """Running statistics and affine parameters away from their initial 0 and 1."""
    for layer in model.layers:
        if isinstance(layer, (L.BatchNorm1D, L.BatchNorm2D)):
            c = layer.state["running_mean"].shape
            layer.state["running_mean"][...] = rng.standard_normal(c) * 0.3
            layer.state["running_var"][...] = rng.uniform(0.5, 2.0, c)
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, c)
            layer.params["beta"][...] = rng.standard_normal(c) * 0.1


def torch_twin(model):
    """The same network in PyTorch (NCHW), weights and running statistics copied.

    Before Flatten the maps go back to NHWC, so that the Dense kernels need no reordering.
    """
    from ..oracle import torch

    nn = torch.nn

    class ToNHWC(nn.Module):
        def forward(self, x):
            return x.permute(0, 2, 3, 1)

    modules = []
    for layer in model.layers:
        p, s = layer.params, layer.state
        if isinstance(layer, L.Conv2D):
            kh, kw, cin, f = p["kernel"].shape
            m = nn.Conv2d(cin, f, (kh, kw), padding=layer.get_config()["padding"], bias="bias" in p).double()
            m.weight.data[...] = torch.tensor(np.ascontiguousarray(p["kernel"].transpose(3, 2, 0, 1)))
        elif isinstance(layer, L.Dense):
            m = nn.Linear(*p["kernel"].shape, bias="bias" in p).double()
            m.weight.data[...] = torch.tensor(np.ascontiguousarray(p["kernel"].T))
        elif isinstance(layer, (L.BatchNorm1D, L.BatchNorm2D)):
            cls = nn.BatchNorm2d if isinstance(layer, L.BatchNorm2D) else nn.BatchNorm1d
            m = cls(len(p["gamma"]), eps=layer.eps, momentum=layer.momentum).double()
            m.weight.data[...] = torch.tensor(p["gamma"])
            m.running_mean[...] = torch.tensor(s["running_mean"])
            m.running_var[...] = torch.tensor(s["running_var"])
        elif isinstance(layer, L.ReLU):
            m = nn.ReLU()
        elif isinstance(layer, L.MaxPool2D):
            m = nn.MaxPool2d(layer.get_config()["kernel_size"])
        elif isinstance(layer, L.Dropout):
            m = nn.Dropout(layer.rate)
        elif isinstance(layer, L.Flatten):
            modules.append(ToNHWC())
            m = nn.Flatten()
        else:
            raise AssertionError(f"no PyTorch twin for {layer!r}")
        if "bias" in p:
            m.bias.data[...] = torch.tensor(p["bias"])
        elif "beta" in p:
            m.bias.data[...] = torch.tensor(p["beta"])
        modules.append(m)
    return nn.Sequential(*modules).eval()


def torch_input_gradient(net, x, y):
    from ..oracle import torch

    tx = torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)), requires_grad=True)
    torch.nn.functional.cross_entropy(net(tx), torch.tensor(y)).backward()
    return tx.grad.numpy().transpose(0, 2, 3, 1)


@pytest.mark.parametrize("name", ["lenet5", "fashion"])
def test_input_gradient_matches_pytorch_in_eval_mode(name, rng):
    pytest.importorskip("torch")
    model = float64(models.get(name, seed=1)).compile("sgd", "cross_entropy")
    randomise_batch_norm(model, rng)
    net = torch_twin(model)
    x, y = rng.random((5, 28, 28, 1)), rng.integers(0, 10, 5)
    dx = model.input_gradient(x, y)
    assert dx.shape == x.shape and dx.dtype == np.float64
    np.testing.assert_allclose(dx, torch_input_gradient(net, x, y), rtol=1e-8, atol=1e-12)


def snapshot(model):
    """Every weight, grad, state array and generator of the model, copied."""
    return ([{k: v.copy() for k, v in layer.params.items()} for layer in model.layers],
            [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers],
            [{k: v.copy() for k, v in layer.state.items()} for layer in model.layers],
            [layer.rng.bit_generator.state for layer in model.layers if isinstance(layer, L.Dropout)],
            model.rng.bit_generator.state)


def assert_same(a, b):
    for arrays_a, arrays_b in zip(a[:3], b[:3]):
        for da, db in zip(arrays_a, arrays_b):
            assert da.keys() == db.keys()
            for key in da:
                np.testing.assert_array_equal(da[key], db[key])
    assert a[3:] == b[3:]


def test_input_gradient_changes_nothing_in_the_model(rng):
    """Weights, grads, running statistics, generators stay bit-identical, and a training
    pass begun before the call still back-propagates as if there had been none."""
    model = models.fashion(seed=2).compile("sgd", "cross_entropy")
    randomise_batch_norm(model, rng)
    x, y = rng.random((6, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, 6)
    model.train_step(x, y)  # grads and optimizer state exist
    dropouts = [layer for layer in model.layers if isinstance(layer, L.Dropout)]
    generators = [layer.rng.bit_generator.state for layer in dropouts]
    out = model.forward(x, training=True)
    model.backward(np.ones_like(out))
    expected = [{k: v.copy() for k, v in layer.grads.items()} for layer in model.layers]
    for layer, state in zip(dropouts, generators):  # the same training pass again, the same masks
        layer.rng.bit_generator.state = state
    model.forward(x, training=True)  # its caches must survive input_gradient
    before = snapshot(model)
    dx = model.input_gradient(x, y)
    assert np.all(np.isfinite(dx)) and np.any(dx != 0)
    assert_same(snapshot(model), before)
    model.backward(np.ones_like(out))
    for layer, want in zip(model.layers, expected):
        for key in want:
            np.testing.assert_array_equal(layer.grads[key], want[key])


def test_input_gradient_takes_a_loss_or_asks_for_one(rng):
    model = striate.Sequential([L.Flatten(), L.Dense(3)], input_shape=(2, 2, 1), seed=0, dtype=np.float64)
    x, y = rng.random((4, 2, 2, 1)), rng.standard_normal((4, 3))
    with pytest.raises(RuntimeError, match="compile the model first or give loss="):
        model.input_gradient(x, y)
    dx = model.input_gradient(x, y, loss="mse")
    kernel = model.layers[1].params["kernel"]
    out = model.predict(x)
    # mse = mean((out − y)²) over all N·3 values: d/dx = 2 (out − y) / (N·3) · kernelᵀ
    np.testing.assert_allclose(dx.reshape(4, 4), 2 * (out - y) / out.size @ kernel.T, rtol=1e-12)
