"""One small, fully seeded training run, shared by the resume tests and their child processes."""

import numpy as np

import striate
from striate import callbacks as C
from striate import layers as L
from striate import optim, schedules

EPOCHS, BATCH = 3, 16  # 50 samples: batches of 16, 16, 16, 2; 12 optimizer steps


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    x[np.arange(50), y, y] += 2.0  # something to learn
    return x, y


OPTIMIZERS = {
    "sgd": lambda: optim.SGD(lr=schedules.StepDecay(0.1, step_size=5, gamma=0.5), momentum=0.9,
                             nesterov=True, weight_decay=1e-3),
    "adam": lambda: optim.Adam(lr=schedules.CosineDecay(0.01, total_steps=12, warmup_steps=2), weight_decay=0.01),
    "sgd_per_epoch": lambda: optim.SGD(lr=0.05, momentum=0.5),
}


NETS = {
    "plain": lambda: [L.Conv2D(3, 3, padding="same"), L.ReLU(), L.MaxPool2D(2), L.Flatten(), L.Dense(3)],
    # running statistics (layer.state) and a Generator of its own in each Dropout
    "batch_norm_dropout": lambda: [L.Conv2D(3, 3, padding="same"), L.BatchNorm2D(), L.ReLU(), L.Dropout(0.3),
                                   L.MaxPool2D(2), L.Flatten(), L.Dense(6), L.BatchNorm1D(), L.Dropout(0.5),
                                   L.Dense(3)],
}


def model(optimizer="sgd", net="plain"):
    net = striate.Sequential(NETS[net](), input_shape=(8, 8, 1), seed=0)
    return net.compile(OPTIMIZERS[optimizer](), "cross_entropy", ["accuracy"])


def callbacks(optimizer="sgd"):
    cbs = [C.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)]
    if optimizer == "sgd_per_epoch":
        cbs.append(C.LearningRateScheduler(lambda epoch, lr: lr * 0.7))
    return cbs


def fit(net, optimizer="sgd", extra=(), **kwargs):
    x, y = data()
    return net.fit(x, y, epochs=EPOCHS, batch_size=BATCH, verbose=0, validation_data=(x[:20], y[:20]),
                   callbacks=[*callbacks(optimizer), *extra], **kwargs)


def snapshot(net, history):
    """Everything that must match bit for bit between an unbroken and a resumed run."""
    opt = net.optimizer
    return {"weights": [w.tobytes() for w in net.get_weights()],
            "state": [a.tobytes() for layer in net.layers for a in layer.state.values()],
            "layer_rngs": [layer.rng.bit_generator.state for layer in net.layers if hasattr(layer, "rng")],
            "optimizer": (opt.iterations, opt.current_lr,
                          {slot: {k: a.tobytes() for k, a in s.items()} for slot, s in opt.state.items()}),
            "rng": net.rng.bit_generator.state, "history": history.history, "epochs": history.epoch}


class Crash(Exception):
    """Stands for whatever stops a run: a power cut, an out-of-memory kill, Ctrl-C."""


class CrashAt(C.Callback):
    """Raise Crash after optimizer step `step`, or at the end of epoch `epoch`, before the checkpoint."""

    def __init__(self, step=None, epoch=None):
        self.step, self.epoch = step, epoch

    def on_batch_end(self, batch, logs=None):
        if self.model.optimizer.iterations == self.step:
            raise Crash

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Crash
