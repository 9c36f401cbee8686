"""What fit, evaluate and predict check before they compute: the data, the arguments, the loss.

    check_data(x, y, "fit")        arrays of real numbers, finite, x a batch of float inputs
    count(batch_size, "batch_size", "fit")   an int (NumPy ints too, never a bool) ≥ a minimum,
                                   the same check as the layers' (functional/shapes.py)
    DivergenceGuard                stops fit at the first non-finite (or exploding) loss

Why refuse rather than convert: uint8 images used as they are train on values up to 255
(a loss of 64,776 where 2.3 was expected), complex inputs lose their imaginary part,
object and string arrays turn into something, and one NaN in x makes every weight NaN
after the first step — all silently. A message naming the problem costs the user one line.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import TrainingDiverged
from .functional.shapes import count  # noqa: F401 - fit's counts are checked as the layers' are

EXPLODED = 1e6  # a loss this many times the run's first one (and over 1) has diverged, though finite


def _array(value, name: str, where: str) -> np.ndarray:
    """value as an array of real numbers (bool, int or float); ValueError naming it otherwise."""
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as e:  # ragged lists and the like
        raise ValueError(f"{where}: {name} is not an array of numbers: {e}") from None
    if a.dtype.kind not in "biuf":
        what = {"c": "complex numbers (striate computes with real ones)", "O": "Python objects",
                "U": "strings", "S": "bytes", "M": "dates", "m": "time spans", "V": "records"}.get(a.dtype.kind, "")
        raise ValueError(f"{where}: {name} must hold real numbers, got dtype {a.dtype}{': ' + what if what else ''}")
    if a.ndim == 0:
        raise ValueError(f"{where}: {name} must be a batch, (N, ...), got a 0-d array")
    return a


CONSEQUENCE = {"fit": "training on them would make every weight NaN", "evaluate": "the loss would be NaN",
               "predict": "their outputs would be NaN", "input_gradient": "the gradients would be NaN"}


def _finite(a: np.ndarray, name: str, where: str) -> None:
    """ValueError naming the first sample holding NaN or inf.

    One pass decides for the common case, and nothing as large as a is made: for a
    contiguous float32 or float64 array one BLAS call, Σ a², NaN or inf if any value is
    (predict's single images pay about a microsecond); otherwise Σ a — in float32 for
    float16, whose squares overflow past 256 — without the copy a flattened strided view
    would be. Only then is each sample looked at. (Values past 1e19 in float32 overflow
    the squares: NumPy warns of it, and they pass, being finite.)
    """
    if a.dtype.kind != "f" or a.size == 0:
        return
    if a.dtype.itemsize >= 4 and (a.flags.c_contiguous or a.flags.f_contiguous):
        flat = a.ravel(order="K")  # a view
        total = flat.dot(flat)
    else:
        total = np.sum(a, dtype=np.float32 if a.dtype.itemsize < 4 else None)
    if math.isfinite(float(total)):
        return
    bad = next((i for i in range(len(a)) if not np.all(np.isfinite(a[i]))), None)
    if bad is not None:  # (None: finite values whose sum overflowed)
        then = CONSEQUENCE.get(where, "what is computed from them would be NaN")
        raise ValueError(f"{where}: {name} holds NaN or inf values (first in sample {bad}); {then}")


def check_x(x, where: str) -> np.ndarray:
    """x as a float array (N, ...) of finite values."""
    x = _array(x, "x", where)
    if x.dtype.kind != "f":
        hint = (f" — for images stored as {x.dtype}, scale them first, e.g. x / 255"
                if x.dtype.kind in "ui" else "")
        raise ValueError(f"{where}: x must hold floats, got {x.dtype}{hint}")
    _finite(x, "x", where)
    return x


def check_data(x, y, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) after check_x(x) and the same checks on y (ints are labels), equal in length, not empty."""
    x = check_x(x, where)
    y = _array(y, "y", where)
    _finite(y, "y", where)
    if len(x) != len(y):
        raise ValueError(f"{where}: x has {len(x)} samples but y has {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{where}: no samples")
    return x, y


class DivergenceGuard:
    """Stops fit when the loss is NaN or inf, or explodes past EXPLODED × the run's first loss.

    It raises before the step's metrics, callbacks and checkpoint, so the checkpoint on
    disk stays the last one written from finite weights.
    """

    def __init__(self, model, saver=None):
        self.model, self.saver, self.first = model, saver, None

    def check(self, loss, epoch: int, batch: int) -> None:
        loss = float(loss)
        if self.first is None and math.isfinite(loss):
            self.first = loss
        exploded = self.first is not None and loss > EXPLODED * max(abs(self.first), 1.0)
        if math.isfinite(loss) and not exploded:
            return
        what = f"is {loss}" if not math.isfinite(loss) else f"reached {loss:.3g} (it began at {self.first:.3g})"
        raise TrainingDiverged(f"fit: the loss {what} at epoch {epoch + 1}, batch {batch + 1} (optimizer step "
                               f"{self.model.optimizer.iterations}): training diverged. Try a lower learning rate "
                               f"(it is {self.model.optimizer.current_lr:g}). {kept(self.saver)}")


def kept(saver) -> str:
    """What a diverged run leaves behind on disk."""
    path = getattr(saver, "path", None)
    if path is None:
        return "No checkpoint was written."
    if path.exists():
        return (f"The last checkpoint, {path}, holds the last good weights (striate.load({str(path)!r}) gives "
                "them); it was not overwritten.")
    return f"No checkpoint had been written to {path} yet."
