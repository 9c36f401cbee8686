"""Bad input gets a clear error naming the layer, what it got and what it expected."""

import numpy as np
import pytest

import striate
from striate import layers as L
from striate import optim


def lenet():
    return striate.models.get("lenet5")


def test_wrong_channel_count_names_the_layer_and_shapes():
    model = striate.Sequential([L.Conv2D(6, 5), L.ReLU(), L.Conv2D(16, 5)], input_shape=(28, 28, 1))
    with pytest.raises(ValueError, match=r"^Conv2D #3 expected 6 input channels, got input of shape \(64, 12, 12, 16\)$"):
        model.layers[2].forward(np.zeros((64, 12, 12, 16)))


def test_wrong_input_shape_to_a_model_names_the_first_layer():
    with pytest.raises(ValueError, match=r"Conv2D #1 expected input of shape \(N, 28, 28, 1\), got \(2, 32, 32, 1\)"):
        lenet().predict(np.zeros((2, 32, 32, 1)))


def test_dense_needs_flatten():
    with pytest.raises(ValueError, match=r"Dense #2 expected input_shape \(in_features,\), got \(4, 4, 3\); add Flatten"):
        striate.Sequential([L.ReLU(), L.Dense(3)], input_shape=(4, 4, 3))


@pytest.mark.parametrize("kwargs,message", [
    (dict(filters=0, kernel_size=3), r"Conv2D: filters must be a positive int, got 0"),
    (dict(filters=4, kernel_size=3, stride=0), r"Conv2D: stride must be >= 1, got 0"),
    (dict(filters=4, kernel_size=(3, 3, 3)), r"Conv2D: kernel_size must be an int or a pair of ints, got \(3, 3, 3\)"),
    (dict(filters=4, kernel_size=3, padding="full"), r"Conv2D: padding must be 'valid', 'same', an int or a pair, got 'full'"),
    (dict(filters=4, kernel_size=3, padding=-1), r"Conv2D: padding must be >= 0, got -1"),
    (dict(filters=5, kernel_size=3, groups=2), r"Conv2D: filters \(5\) must be divisible by groups \(2\)"),
    (dict(filters=4, kernel_size=3, kernel_initializer="magic"), r"unknown initializer 'magic'"),
])
def test_conv_constructor_validates_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.Conv2D(**kwargs)


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"Conv2D #1: kernel height 7 \(kernel_size 7, dilation 1\) is larger than the padded input height 6"):
        striate.Sequential([L.Conv2D(2, 7, padding=1)], input_shape=(4, 4, 1))


def test_same_padding_with_stride_needs_a_divisible_size():
    with pytest.raises(ValueError, match=r"padding='same' with stride 2 needs an input size divisible by the stride, got height 7"):
        striate.Sequential([L.Conv2D(2, 3, stride=2, padding="same")], input_shape=(7, 8, 1))


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"Conv2D #1: input channels \(3\) must be known and divisible by groups \(2\)"):
        striate.Sequential([L.Conv2D(4, 3, groups=2)], input_shape=(5, 5, 3))


def test_pool_padding_at_most_half_the_kernel():
    with pytest.raises(ValueError, match=r"MaxPool2D: padding must be at most half the kernel size"):
        L.MaxPool2D(2, padding=2)


def test_backward_before_forward_training():
    layer = L.Dense(3)
    layer.build((4,))
    layer.forward(np.zeros((2, 4)))  # not training: no cache
    with pytest.raises(RuntimeError, match=r"forward\(x, training=True\) first"):
        layer.backward(np.zeros((2, 3)))


def test_backward_with_a_wrong_gradient_shape():
    layer = L.ReLU()
    layer.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match=r"ReLU: backward expected dy of shape \(2, 3\), got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))


def test_fit_before_compile_and_mismatched_lengths():
    model = lenet()
    with pytest.raises(RuntimeError, match="call compile"):
        model.fit(np.zeros((4, 28, 28, 1)), np.zeros(4, int))
    model.compile(optim.SGD(0.1), "cross_entropy")
    with pytest.raises(ValueError, match="x has 4 samples but y has 3"):
        model.fit(np.zeros((4, 28, 28, 1)), np.zeros(3, int))


def test_labels_out_of_range():
    model = lenet().compile("sgd", "cross_entropy")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\), got values from 0 to 12"):
        model.fit(np.zeros((2, 28, 28, 1)), np.array([0, 12]), verbose=0)


@pytest.mark.parametrize("make,message", [
    (lambda: optim.SGD(lr=-1), r"SGD: lr must be a positive number or a schedule, got -1"),
    (lambda: optim.SGD(lr=0.1, momentum=1.5), r"SGD: momentum must lie in \[0, 1\), got 1.5"),
    (lambda: optim.Adam(betas=(0.9, 1.0)), r"Adam: betas must lie in \[0, 1\)"),
    (lambda: optim.get("rmsprop"), r"unknown optimizer 'rmsprop'"),
])
def test_optimizer_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("make,message", [  # NaN passes `lr <= 0` and `weight_decay < 0` unnoticed
    (lambda: optim.SGD(lr=NAN), r"SGD: lr must be a positive number or a schedule, got nan"),
    (lambda: optim.SGD(lr=INF), r"SGD: lr must be a positive number or a schedule, got inf"),
    (lambda: optim.SGD(momentum=NAN), r"SGD: momentum must lie in \[0, 1\), got nan"),
    (lambda: optim.SGD(weight_decay=NAN), r"SGD: weight_decay must be a finite number >= 0, got nan"),
    (lambda: optim.SGD(weight_decay=INF), r"SGD: weight_decay must be a finite number >= 0, got inf"),
    (lambda: optim.Adam(lr=NAN), r"Adam: lr must be a positive number or a schedule, got nan"),
    (lambda: optim.Adam(betas=(NAN, 0.999)), r"Adam: betas must lie in \[0, 1\), got \(nan, 0.999\)"),
    (lambda: optim.Adam(eps=NAN), r"Adam: eps must be a finite number > 0, got nan"),
    (lambda: optim.Adam(eps=INF), r"Adam: eps must be a finite number > 0, got inf"),
    (lambda: optim.Adam(weight_decay=NAN), r"Adam: weight_decay must be a finite number >= 0, got nan"),
    (lambda: optim.StepDecay(NAN, 10), r"StepDecay: lr must be a positive number, got nan"),
    (lambda: optim.StepDecay(0.1, 10, gamma=INF), r"StepDecay: gamma must be a positive number, got inf"),
    (lambda: optim.CosineDecay(INF, 10), r"CosineDecay: lr must be a positive number, got inf"),
    (lambda: optim.CosineDecay(0.1, 10, min_lr=NAN), r"CosineDecay: min_lr must be a number >= 0, got nan"),
    (lambda: optim.OneCycle(NAN, 10), r"OneCycle: max_lr must be a positive number, got nan"),
    (lambda: optim.OneCycle(0.1, 10, pct_start=NAN), r"OneCycle: pct_start must lie in \(0, 1\), got nan"),
])
def test_optimizers_and_schedules_refuse_nan_and_inf(make, message):
    with pytest.raises(ValueError, match=message):
        make()
