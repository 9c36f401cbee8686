"""EpochAugment: new augmented images every epoch, and resumed runs that see the same ones."""

import numpy as np
import pytest

from striate.callbacks import Callback
from striate.datasets import EpochAugment, RandomFlip, RandomShift

from ..io import training_run as run


def transforms():
    return [RandomShift(1), RandomFlip()]


def test_each_epoch_draws_its_own_images_and_the_original_stays():
    x, _ = run.data()
    before = x.copy()
    aug = EpochAugment(x, transforms(), seed=3)
    first = aug.images.copy()
    aug.on_epoch_begin(1)
    assert not np.array_equal(first, aug.images) and np.array_equal(x, before)
    aug.on_epoch_begin(0)
    assert np.array_equal(first, aug.images)  # epoch 0's draw depends on (seed, 0) alone
    assert np.array_equal(EpochAugment(x, transforms(), seed=3).images, first)


class Crash(Exception):
    pass


class CrashAtStep(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations == self.step:
            raise Crash


@pytest.mark.parametrize("step", [2, 5, 8])
def test_a_resumed_run_sees_the_same_augmented_images(tmp_path, step):
    x, y = run.data()

    def fit(net, extra=(), **kwargs):
        aug = EpochAugment(x, transforms(), seed=0)
        history = net.fit(aug.images, y, epochs=run.EPOCHS, batch_size=run.BATCH, verbose=0,
                          callbacks=[aug, *extra], **kwargs)
        return run.snapshot(net, history)

    unbroken = fit(run.model())
    path = tmp_path / "run.ckpt"
    with pytest.raises(Crash):
        fit(run.model(), [CrashAtStep(step)], checkpoint=path, checkpoint_every=1)
    assert fit(run.model(), checkpoint=path, checkpoint_every=1, resume=True) == unbroken


@pytest.mark.parametrize("args,message", [
    (dict(x=np.zeros((2, 3)), transforms=[]), "expected images"),
    (dict(x=np.zeros((2, 3, 3, 1)), transforms=[1]), "must be callable"),
    (dict(x=np.zeros((2, 3, 3, 1)), transforms=[], seed=-1), "seed must be a non-negative int"),
])
def test_arguments_are_checked(args, message):
    with pytest.raises(ValueError, match=message):
        EpochAugment(**args)
