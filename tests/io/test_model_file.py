"""model.save → striate.load: the same architecture, the same weights bit for bit, the same predictions."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim
from striate.io import safefile


def trained(model, steps=3):
    """The model after a few SGD steps on random targets: BatchNorm's running statistics
    move away from 0 and 1, learnable pooling weights from where they started."""
    rng = np.random.default_rng(len(model.layers))
    x = rng.standard_normal((8, *model.input_shape)).astype(model.dtype)
    y = rng.standard_normal((8, *model.output_shape))
    model.compile(optim.SGD(lr=0.05), "mse")
    for _ in range(steps):
        model.train_step(x, y)
    return model


MODELS = {
    "conv_variants": lambda: striate.Sequential([
        L.Conv2D(4, 3, stride=2, padding="same"), L.ReLU(),
        L.Conv2D(6, (3, 2), padding=((1, 0), (2, 1)), dilation=(2, 1), groups=2, bias=False), L.Tanh(),
        L.Conv2D(6, 2, padding="same", kernel_initializer="he_normal"), L.Sigmoid(),
        L.Flatten(), L.Dense(5, bias_initializer="ones"), L.Softmax(),
    ], input_shape=(10, 12, 2), seed=1),
    "pools": lambda: striate.Sequential([
        L.Conv2D(3, 3, padding=1), L.MaxPool2D(3, stride=2, padding=1), L.AvgPool2D(2, padding=(1, 0)),
        L.Flatten(), L.Dense(4, bias=False), L.Softmax(axis=-1),
    ], input_shape=(9, 9, 1), seed=2),
    "dense_only": lambda: striate.Sequential([L.Dense(7), L.ReLU(), L.Dense(3)], input_shape=(5,), seed=3),
    "float64": lambda: striate.Sequential([L.Conv2D(2, 3), L.ReLU(), L.Flatten(), L.Dense(2)],
                                          input_shape=(5, 5, 1), seed=4, dtype=np.float64),
    "lenet5": lambda: striate.models.lenet5(seed=5),
    "normalised": lambda: trained(striate.Sequential([
        L.Conv2D(4, 3, padding=1, padding_mode="reflect"), L.BatchNorm2D(), L.LeakyReLU(0.1), L.Dropout(0.25),
        L.Conv2D(6, 3, stride=2, padding="same", padding_mode="replicate", bias=False),
        L.BatchNorm2D(momentum=0.3, affine=False), L.ELU(0.7), L.GlobalAvgPool2D(),
        L.Dense(5), L.BatchNorm1D(), L.GELU(), L.Dropout(0.5, seed=3), L.Dense(3), L.GELU("tanh"),
    ], input_shape=(8, 8, 3), seed=9)),
    "pool_variants": lambda: trained(striate.Sequential([
        L.SumPool2D(2, stride=1, padding=1), L.LPPool2D(2, 3, stride=2, padding=1), L.ReLU(),
        L.LPPool2D(1.5, 2, stride=1), L.WeightedAvgPool2D(3, stride=1, padding=1, trainable=True),
        L.WeightedAvgPool2D(2, stride=1, sigma=0.7), L.ChannelMaxPool(2), L.AdaptiveMaxPool2D((3, 2)),
        L.AdaptiveAvgPool2D(2), L.GlobalMaxPool2D(keepdims=True), L.Softmax(),
    ], input_shape=(12, 10, 4), seed=10)),
    "decoder": lambda: trained(striate.Sequential([
        L.Dense(32), L.Reshape((4, 4, 2)), L.Conv2DTranspose(3, 3, stride=2, padding=1, output_padding=1),
        L.UpSampling2D(2, interpolation="bilinear"), L.Conv2D(4, 3, padding=1, padding_mode="circular"),
        L.UpSampling2D((1, 2)), L.ELU(),
        L.Conv2DTranspose(4, (2, 3), stride=(1, 2), padding=((1, 0), (0, 1)), dilation=(2, 1), groups=2, bias=False),
        L.AdaptiveAvgPool2D((1, 8)), L.Reshape((8, 4)), L.BatchNorm1D(), L.Reshape((4, 2, 4)),
    ], input_shape=(6,), seed=11)),
    "signal": lambda: trained(striate.Sequential([
        L.Conv1D(4, 3, padding="same", padding_mode="reflect"), L.BatchNorm1D(), L.ReLU(),
        L.Conv1D(6, 3, stride=2, dilation=2, groups=2, padding=(2, 1)), L.ChannelMaxPool(3),
        L.Conv1D(2, 2, padding=1, padding_mode="circular", bias=False), L.Softmax(axis=1),
        L.Flatten(), L.Dense(3),
    ], input_shape=(20, 3), seed=12)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_gives_identical_predictions(name, tmp_path, rng):
    model = MODELS[name]()
    path = tmp_path / f"{name}.striate"
    model.save(path)
    loaded = striate.load(path)
    assert [repr(l) for l in loaded.layers] == [repr(l) for l in model.layers]
    assert [l.get_config() for l in loaded.layers] == [l.get_config() for l in model.layers]
    assert loaded.input_shape == model.input_shape and loaded.dtype == model.dtype
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    for mine, theirs in zip(model.layers, loaded.layers):
        assert sorted(mine.state) == sorted(theirs.state)
        for key, value in mine.state.items():
            assert theirs.state[key].dtype == value.dtype
            np.testing.assert_array_equal(theirs.state[key], value)
    x = rng.standard_normal((3, *model.input_shape)).astype(model.dtype)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_every_layer_type_is_covered_by_the_round_trips():
    used = {type(l).__name__ for make in MODELS.values() for l in make().layers}
    assert used == set(striate.registry.LAYERS)


def test_a_loaded_model_trains_and_rebuilds_with_its_own_initialisers(tmp_path, rng):
    model = MODELS["dense_only"]()
    model.save(tmp_path / "m.striate")
    loaded = striate.load(tmp_path / "m.striate").compile("sgd", "cross_entropy")
    loaded.fit(rng.random((8, 5)), rng.integers(0, 3, 8), verbose=0)
    fresh = loaded.layers[0].build((5,), rng)  # the initialisers are the real ones again
    assert fresh == (7,) and np.any(loaded.layers[0].params["kernel"] != 0)


def test_saving_needs_a_built_model_with_finite_weights(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        striate.Sequential([L.Dense(2)]).save(tmp_path / "m.striate")
    model = MODELS["dense_only"]()
    model.layers[2].params["bias"][1] = np.nan
    with pytest.raises(ValueError, match=r"cannot save Dense #3: its bias holds NaN or inf"):
        model.save(tmp_path / "m.striate")
    assert not (tmp_path / "m.striate").exists()


def test_saving_a_custom_layer_says_what_can_be_saved(tmp_path):
    class Twice(L.ReLU):
        pass

    model = striate.Sequential([Twice()], input_shape=(3,))
    with pytest.raises(ValueError, match=r"cannot save layer .*only these types can be saved: Conv2D"):
        model.save(tmp_path / "m.striate")


def test_files_are_plain_safetensors(tmp_path):
    """The safetensors package reads striate's files, and striate reads its files."""
    st = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    model = MODELS["pools"]()
    model.save(tmp_path / "m.striate")
    tensors = st.load_file(str(tmp_path / "m.striate"))
    assert sorted(tensors) == sorted(f"layers.{i}.{k}" for i, l in enumerate(model.layers) for k in l.params)
    np.testing.assert_array_equal(tensors["layers.0.kernel"], model.layers[0].params["kernel"])
    with safe_open(str(tmp_path / "m.striate"), "np") as f:
        metadata = f.metadata()
    # Written again by the reference implementation (its own layout and header): still loads.
    st.save_file(tensors, str(tmp_path / "again.striate"), metadata=metadata)
    again = striate.load(tmp_path / "again.striate")
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_safefile_round_trips_every_dtype(tmp_path):
    tensors = {code: np.arange(6).reshape(2, 3).astype(dtype) for code, dtype in safefile.DTYPES.items()}
    tensors["empty"] = np.zeros((0, 4), np.float32)
    tensors["scalar"] = np.array(2.5)
    path = tmp_path / "t.safetensors"
    path.write_bytes(b"".join(bytes(c) for c in safefile.encode(tensors, {"k": "v"})))
    back, metadata = safefile.read(path)
    assert metadata == {"k": "v"} and sorted(back) == sorted(tensors)
    for name, a in tensors.items():
        assert back[name].dtype == a.dtype.newbyteorder("<") and back[name].shape == a.shape
        np.testing.assert_array_equal(back[name], a)
    st = pytest.importorskip("safetensors.numpy")
    theirs = st.load_file(str(path))
    for name, a in tensors.items():
        np.testing.assert_array_equal(theirs[name], a)
