"""Losses: `forward(pred, target) -> float` then `backward() -> dpred`."""

from __future__ import annotations

import numbers

import numpy as np

from .functional import loss as F


class Loss:
    """A loss keeps the gradient of its last forward for backward()."""

    def __init__(self):
        self._grad = None

    def backward(self) -> np.ndarray:
        """d loss / d pred, same shape as the pred given to forward()."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}: call forward(pred, target) before backward()")
        return self._grad

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropy(Loss):
    """Softmax cross-entropy from logits, averaged over the batch.

    pred: logits (N, K). target: integer labels (N,) in [0, K), or class probabilities
    (N, K) such as one-hot rows. loss = mean_n(−log softmax(pred_n)[target_n]); the
    gradient (softmax − onehot) / N is computed in the same pass.

    label_smoothing ε (as PyTorch's): the target of each row becomes (1 − ε)·onehot + ε/K,
    so a confident right answer still costs a little and the logits stay moderate.
    """

    def __init__(self, label_smoothing: float = 0.0):
        super().__init__()
        if (not isinstance(label_smoothing, numbers.Real) or isinstance(label_smoothing, bool)
                or not 0.0 <= label_smoothing <= 1.0):
            raise ValueError(f"CrossEntropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def get_config(self) -> dict:
        return {"label_smoothing": self.label_smoothing} if self.label_smoothing else {}

    def __repr__(self) -> str:
        return f"CrossEntropy(label_smoothing={self.label_smoothing:g})" if self.label_smoothing else "CrossEntropy()"

    def forward(self, pred, target) -> float:
        pred = np.asarray(pred)
        target = np.asarray(target)
        if pred.ndim != 2:
            raise ValueError(f"CrossEntropy expected logits of shape (N, classes), got {pred.shape}")
        if target.ndim == 1:
            if target.shape[0] != pred.shape[0]:
                raise ValueError(f"CrossEntropy: {pred.shape[0]} predictions but {target.shape[0]} labels")
            if not np.issubdtype(target.dtype, np.integer):
                if not np.all(np.mod(target, 1) == 0):
                    raise ValueError("CrossEntropy expected integer class labels, got non-integer values")
                target = target.astype(np.int64)
            if target.size and (target.min() < 0 or target.max() >= pred.shape[1]):
                raise ValueError(
                    f"CrossEntropy: labels must lie in [0, {pred.shape[1]}), got values from "
                    f"{target.min()} to {target.max()}"
                )
        elif target.shape != pred.shape:
            raise ValueError(
                f"CrossEntropy expected labels of shape ({pred.shape[0]},) or probabilities of shape "
                f"{pred.shape}, got {target.shape}"
            )
        else:
            target = target.astype(pred.dtype, copy=False)
        loss, self._grad = F.softmax_cross_entropy(pred, target, self.label_smoothing)
        return loss


class MSE(Loss):
    """Mean squared error over every element: mean((pred − target)²)."""

    def forward(self, pred, target) -> float:
        pred = np.asarray(pred)
        target = np.asarray(target)
        if target.ndim == pred.ndim - 1 and pred.shape[-1] == 1:
            target = target.reshape(pred.shape)
        if target.shape != pred.shape:
            raise ValueError(f"MSE expected targets of shape {pred.shape}, got {target.shape}")
        loss, self._grad = F.mse(pred, target.astype(pred.dtype, copy=False))
        return loss


LOSSES = {
    "cross_entropy": CrossEntropy,
    "crossentropy": CrossEntropy,
    "sparse_categorical_crossentropy": CrossEntropy,
    "categorical_crossentropy": CrossEntropy,
    "mse": MSE,
    "mean_squared_error": MSE,
}


def get(loss) -> Loss:
    """A Loss instance from an instance or a name ("cross_entropy", "mse", Keras's names)."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]()
    raise ValueError(f"unknown loss {loss!r}; expected a striate.losses.Loss or one of {', '.join(LOSSES)}")
