"""BatchNorm and Dropout in a training batch split into shards (striate.engine.shard_groups):
every shard computes with the whole batch's statistics and masks, on threads and in
worker processes, so a sharded step is the whole-batch step; failures neither hang nor
update the running statistics twice."""

import threading
import warnings

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim
from striate.engine import threads as T
from striate.engine import workers


@pytest.fixture(params=["threads", "processes"])
def backend(request):
    """Shards on threads of this process, or in worker processes (striate.engine.workers)."""
    yield from _backend(request.param)


@pytest.fixture
def on_threads():
    """Shards on threads of this process only."""
    yield from _backend("threads")


def _backend(name):
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded: batches run whole")
    saved = T.get_threads(), workers.enabled()
    workers.set_enabled(name == "processes")
    yield name
    T.set_threads(saved[0])
    workers.set_enabled(saved[1])
    workers.shutdown()  # the next test's workers start fresh


def conv_bn(rng):
    c = int(rng.integers(2, 6))
    return [L.Conv2D(c, 3, padding="same", bias=False), L.BatchNorm2D(momentum=float(rng.uniform(0.05, 0.5))),
            L.ReLU()]


def config(seed):
    """A random small network with BatchNorm2D, BatchNorm1D (on (N, C) and (N, L, C)),
    Dropout, Conv and Dense; its input shape, loss and the layers' names."""
    rng = np.random.default_rng(seed)
    kind = ["bn2d", "bn1d", "dropout", "mix", "conv1d"][seed % 5]
    if kind == "bn2d":
        layers = [*conv_bn(rng), L.MaxPool2D(2), *conv_bn(rng), L.Flatten(), L.Dense(4)]
        shape = (6, 6, 2)
    elif kind == "bn1d":
        layers = [L.Flatten(), L.Dense(7), L.BatchNorm1D(affine=bool(rng.integers(2))), L.Tanh(), L.Dense(4)]
        shape = (3, 3, 2)
    elif kind == "dropout":
        layers = [L.Conv2D(3, 3, padding="same"), L.Dropout(float(rng.uniform(0.1, 0.6))), L.Flatten(), L.Dense(4),
                  L.Dropout(0.5)]
        shape = (5, 5, 1)
    elif kind == "mix":
        layers = [*conv_bn(rng), L.Dropout(0.25), L.MaxPool2D(2), L.Flatten(), L.Dense(6, bias=False),
                  L.BatchNorm1D(), L.ReLU(), L.Dropout(0.4), L.Dense(4)]
        shape = (6, 6, 1)
    else:
        layers = [L.Conv1D(4, 3, padding="same"), L.BatchNorm1D(), L.ReLU(), L.Flatten(), L.Dense(4)]
        shape = (8, 2)
    return layers, shape


def build(seed, dtype=np.float64, lr=0.1):
    layers, shape = config(seed)
    model = striate.Sequential(layers, input_shape=shape, seed=seed, dtype=dtype)
    loss = "mse" if isinstance(layers[-1], L.Dropout) else "cross_entropy"
    return model.compile(optim.SGD(lr, momentum=0.9), loss)


def data(model, n, seed):
    rng = np.random.default_rng(seed + 100)
    x = rng.standard_normal((n, *model.input_shape)).astype(model.dtype)
    regression = isinstance(model.layers[-1], L.Dropout)  # its loss is MSE
    return x, rng.standard_normal((n, 4)).astype(model.dtype) if regression else rng.integers(0, 4, n)


def snapshot(model):
    """Everything a training step leaves in the model."""
    return {"weights": [w.copy() for w in model.get_weights()],
            "grads": [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers],
            "state": [{k: s.copy() for k, s in layer.state.items()} for layer in model.layers],
            "rngs": [layer.rng.bit_generator.state for layer in model.layers if isinstance(layer, L.Dropout)]}


def train(seed, n, shards, steps=1, dtype=np.float64):
    T.set_threads(shards)
    model = build(seed, dtype)
    x, y = data(model, n, seed)
    if shards > 1:
        assert model.shards(n, training=True) is not None and len(model.shards(n, training=True)) == shards
    results = [model.train_step(x, y) for _ in range(steps)]
    return [r[0] for r in results], results[-1][1], snapshot(model)


def assert_same(sharded, whole, rtol=1e-10, atol=1e-12):
    (loss_s, out_s, snap_s), (loss_w, out_w, snap_w) = sharded, whole
    np.testing.assert_allclose(loss_s, loss_w, rtol=rtol)
    np.testing.assert_allclose(out_s, out_w, rtol=rtol, atol=atol)
    assert snap_s["rngs"] == snap_w["rngs"]  # each Dropout's Generator moved as in the whole batch
    for key in ("weights", "grads", "state"):
        for a, b in zip(snap_s[key], snap_w[key]):
            if isinstance(a, dict):
                assert a.keys() == b.keys()
                for k in a:
                    np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=atol, err_msg=f"{key} {k}")
            else:
                np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=key)


CASES = [(seed, n, shards) for seed, (n, shards) in zip(range(10), [(35, 2), (50, 3), (67, 2), (97, 3), (33, 2),
                                                                    (49, 3), (81, 2), (64, 3), (45, 2), (53, 3)])]


@pytest.mark.parametrize("seed, n, shards", CASES)
def test_a_sharded_step_is_the_whole_batch_step(backend, seed, n, shards):
    assert_same(train(seed, n, shards), train(seed, n, 1))


@pytest.mark.parametrize("seed", [3, 4])
def test_a_few_sgd_steps_in_shards_end_at_the_whole_batch_weights(backend, seed):
    assert_same(train(seed, 70, 3, steps=4), train(seed, 70, 1, steps=4), rtol=1e-9, atol=1e-11)


def test_float32_shards_agree_with_the_whole_batch_to_rounding(backend):
    assert_same(train(3, 96, 2, dtype=np.float32), train(3, 96, 1, dtype=np.float32), rtol=2e-4, atol=2e-5)


def test_dropout_masks_are_the_whole_batchs_bit_for_bit(backend):
    """A model ending in Dropout outputs 0 exactly where the mask drops: the same places."""
    for seed in (2, 7):
        (_, out_s, snap_s), (_, out_w, snap_w) = train(seed, 50, 3), train(seed, 50, 1)
        assert np.array_equal(out_s == 0, out_w == 0)
        assert (out_w == 0).mean() > 0.2
        assert snap_s["rngs"] == snap_w["rngs"]


def test_the_reference_path_shards_as_well(backend):
    with striate.reference():
        assert_same(train(3, 64, 2), train(3, 64, 1))


def test_fashion_net_trains_in_shards(backend):
    model = striate.models.get("fashion", seed=0)
    T.set_threads(2)
    assert model.shards(128, training=True) == [(0, 64), (64, 128)]


def test_a_dropout_of_unknown_input_size_keeps_batches_whole(backend):
    T.set_threads(2)
    assert not L.Dropout(0.5).shardable  # not built: no shape to draw a batch's mask for
    model = striate.Sequential([L.Conv2D(2, 3), L.Dropout(0.5), L.GlobalAvgPool2D(), L.Dense(2)],
                               input_shape=(None, None, 1))
    assert model.shards(64, training=True) is None


def run_with_timeout(fn, seconds=120):
    """fn() in a thread: its result or exception, or a failure when it does not return."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the step did not return within {seconds} s: a shard waits forever"
    if "error" in box:
        raise box["error"]
    return box["result"]


@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_shard_that_raises_fails_the_step_without_hanging(backend, where):
    """A bad label in one shard fails its loss, after the forward's all-reduces and before
    the backward's: the other shards must not wait for it, the loss's own error (the one
    the whole batch raises) is what surfaces, and the next step trains as usual."""
    T.set_threads(1)
    reference = build(3)
    x, y = data(reference, 60, 3)
    bad = y.copy()
    bad[[5, 25, 45][where]] = 99
    with pytest.raises(Exception) as whole:
        reference.train_step(x, bad)
    expected = reference.train_step(x, y)
    T.set_threads(3)
    model = build(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no worker is lost over it
        with pytest.raises(type(whole.value), match="99"):
            run_with_timeout(lambda: model.train_step(x, bad))
    got = run_with_timeout(lambda: model.train_step(x, y))
    assert_same((*got, snapshot(model)), (*expected, snapshot(reference)))


def test_a_layer_that_raises_in_one_shard_only_on_threads(backend):
    class Picky(L.ReLU):  # not in the registry: runs on threads
        def forward(self, x, training=False):
            if self.shard_group is not None and self.shard_group.index == 1:
                raise FloatingPointError("shard 1 refuses")
            return super().forward(x, training)

    T.set_threads(3)
    model = striate.Sequential([L.Flatten(), L.Dense(6), L.BatchNorm1D(), Picky(), L.BatchNorm1D(), L.Dense(3)],
                               input_shape=(4,), seed=0, dtype=np.float64).compile("sgd", "cross_entropy")
    x, y = np.random.default_rng(0).standard_normal((60, 4)), np.arange(60) % 3
    with pytest.raises(FloatingPointError, match="shard 1 refuses"):
        run_with_timeout(lambda: model.train_step(x, y))


def test_a_worker_killed_mid_step_leaves_the_batch_to_threads_and_the_statistics_updated_once(rng):
    if not T.blas_available():
        pytest.skip("threadpoolctl found no BLAS library to keep single-threaded: batches run whole")
    saved = T.get_threads(), workers.enabled()
    try:
        T.set_threads(2)
        workers.set_enabled(True)
        model, x, y = build(3), *data(build(3), 64, 3)
        second_bn = [layer for layer in model.layers if isinstance(layer, (L.BatchNorm1D, L.BatchNorm2D))][1]
        forward = second_bn.forward
        kill = {"now": False}

        def killing_forward(x, training=False):  # shard 0's second BatchNorm: the first has updated its state
            if kill["now"] and training:
                kill["now"] = False
                del second_bn.forward  # the threads' replicas, made next, copy the layer as it was
                worker = workers.running()[0]
                worker.proc.kill()
                worker.proc.wait()
            return forward(x, training)

        second_bn.forward = killing_forward  # before the model plans its steps
        model.train_step(x, y)
        assert workers.running() and workers.running()[0].key is not None  # a worker took the second shard
        kill["now"] = True
        with pytest.warns(RuntimeWarning, match="gone|exited"):
            loss, out = run_with_timeout(lambda: model.train_step(x, y))
        assert not workers.enabled()
        T.set_threads(1)
        reference = build(3)
        reference.train_step(x, y)
        expected = reference.train_step(x, y)
        assert_same((loss, out, snapshot(model)), (*expected, snapshot(reference)))
    finally:
        T.set_threads(saved[0])
        workers.set_enabled(saved[1])
        workers.shutdown()


def test_a_sharded_batch_norm_step_matches_pytorch_on_the_whole_batch(backend):
    from ..oracle import torch

    T.set_threads(2)
    model = striate.Sequential([L.Conv2D(3, 3, padding="same", bias=False), L.BatchNorm2D(momentum=0.2), L.ReLU(),
                                L.Flatten(), L.Dense(4)], input_shape=(5, 5, 2), seed=1, dtype=np.float64)
    model.compile(optim.SGD(0.1), "cross_entropy")
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((45, 5, 5, 2)) * 2 + 1, rng.integers(0, 4, 45)
    conv, bn, dense = model.layers[0], model.layers[1], model.layers[4]
    tconv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False).double()
    tconv.weight.data[...] = torch.tensor(np.ascontiguousarray(conv.params["kernel"].transpose(3, 2, 0, 1)))
    tbn = torch.nn.BatchNorm2d(3, momentum=0.2).double()
    tdense = torch.nn.Linear(75, 4).double()
    tdense.weight.data[...] = torch.tensor(np.ascontiguousarray(dense.params["kernel"].T))
    tdense.bias.data[...] = torch.tensor(dense.params["bias"])
    tx = torch.tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    z = torch.relu(tbn(tconv(tx))).permute(0, 2, 3, 1).reshape(45, -1)
    tout = tdense(z)
    tloss = torch.nn.functional.cross_entropy(tout, torch.tensor(y))
    tloss.backward()

    assert model.shards(45, training=True) is not None
    loss, out = model.train_step(x, y)
    np.testing.assert_allclose(loss, tloss.item(), rtol=1e-10)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.state["running_mean"], tbn.running_mean.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.state["running_var"], tbn.running_var.numpy(), rtol=1e-10)
    np.testing.assert_allclose(bn.grads["gamma"], tbn.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn.grads["beta"], tbn.bias.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(conv.grads["kernel"], tconv.weight.grad.numpy().transpose(2, 3, 1, 0),
                               rtol=1e-9, atol=1e-12)


def test_two_models_training_at_once_on_threads_do_not_wait_for_each_other(on_threads):
    """Each step's shards wait for each other; two steps from two threads of the program,
    3 shards each on one pool, must both finish, each with its whole-batch result."""
    expected = [train(seed, 60, 1) for seed in (3, 8)]
    T.set_threads(3)
    models = [build(seed) for seed in (3, 8)]
    batches = [data(m, 60, seed) for m, seed in zip(models, (3, 8))]
    results = [None, None]

    def one(i):
        results[i] = models[i].train_step(*batches[i])

    def both():
        pair = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in pair:
            t.start()
        for t in pair:
            t.join()

    run_with_timeout(both)
    for model, result, want in zip(models, results, expected):
        assert_same((*result, snapshot(model)), want)


def test_a_dropout_also_in_another_model_keeps_its_own_mask(backend):
    """Adding a layer to a second Sequential renumbers it (layer.index); the masks drawn for
    a sharded step are found by the layer's place in the model being trained instead, so
    two Dropouts that now share an index still take their own masks, and the workers that
    hold the model go on serving it."""
    def build_pair():
        first, second = L.Dropout(0.5), L.Dropout(0.5)
        model = striate.Sequential([L.Dense(6), first, L.Dense(6), second, L.Dense(3)], input_shape=(4,), seed=0,
                                   dtype=np.float64)
        return model.compile(optim.SGD(0.1), "cross_entropy"), first

    x, y = np.random.default_rng(1).standard_normal((64, 4)), np.arange(64) % 3
    T.set_threads(1)
    model, _ = build_pair()
    whole = [model.train_step(x, y) for _ in range(2)], snapshot(model)
    T.set_threads(2)
    model, first = build_pair()
    striate.Sequential([L.Dense(6), L.Dense(6), L.Dense(6), first])  # first.index becomes 4, the second's
    assert model.layers[1].index == model.layers[3].index == 4
    steps = []
    for _ in range(2):
        steps.append(model.train_step(x, y))
        if backend == "processes":
            steps[-1] = (*steps[-1], [w.proc.pid for w in workers.running()])
    for (loss, out, *_), (loss_w, out_w) in zip(steps, whole[0]):
        np.testing.assert_allclose(loss, loss_w, rtol=1e-12)
        np.testing.assert_allclose(out, out_w, rtol=1e-12, atol=1e-14)
    assert snapshot(model)["rngs"] == whole[1]["rngs"]
    if backend == "processes":  # no worker refused its shard and was replaced
        assert steps[0][2] and steps[0][2] == steps[1][2]
