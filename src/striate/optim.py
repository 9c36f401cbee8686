"""Optimizers: SGD (momentum, Nesterov, L2 weight decay) and Adam (decoupled weight decay).

Both follow PyTorch's update rules exactly, so a striate run and a PyTorch run from the
same weights take the same steps. `lr` is a float or a schedule from striate.schedules.

Updates are made in place, their products written into two scratch arrays that every
parameter shares in turn (kept by the optimizer, not in its state; one pair for all, so
it stays in cache from one parameter to the next) rather than into new temporaries; a
layer's grads are read, never changed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functional.fast.workspace import scratch
from .schedules import CosineDecay, OneCycle, Schedule, StepDecay

__all__ = ["Optimizer", "SGD", "Adam", "get", "Schedule", "StepDecay", "CosineDecay", "OneCycle"]


def real(value) -> bool:
    """A finite real number, not a bool. NaN fails every comparison, so `lr <= 0` alone lets it in."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def setting(value, name: str, owner: str, rule: str, ok) -> None:
    """ValueError naming the argument unless value is real() and passes ok."""
    if not real(value) or not ok(value):
        raise ValueError(f"{owner}: {name} must {rule}, got {value!r}")


class Optimizer:
    """Updates every layer's params from its grads; keeps per-parameter state and a step count."""

    def __init__(self, lr):
        if not callable(lr):
            setting(lr, "lr", type(self).__name__, "be a positive number or a schedule", lambda v: v > 0)
        self.lr = lr if callable(lr) else float(lr)
        self.iterations = 0  # steps taken; the schedule's position
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._scratch: dict = {}  # a workspace: one scratch buffer per dtype, shared by the parameters

    @property
    def current_lr(self) -> float:
        return float(self.lr(self.iterations) if callable(self.lr) else self.lr)

    def step(self, layers) -> None:
        """One update of every parameter of `layers` (a list of built layers)."""
        lr = self.current_lr
        self.iterations += 1
        for i, layer in enumerate(layers):
            for key, p in layer.params.items():
                slot = f"{i}.{key}"
                state = self.state.get(slot)
                if state is None:
                    state = self.state[slot] = self._new_state(p)
                elif any(v.dtype != p.dtype for v in state.values()):  # the model was converted (astype)
                    state = self.state[slot] = {k: v.astype(p.dtype) for k, v in state.items()}
                self._update(p, layer.grads[key], state, lr, self._scratch_for(p))

    def _scratch_for(self, p) -> tuple[np.ndarray, np.ndarray]:
        """Two arrays of p's shape and dtype for the products of its update: the front of
        the optimizer's one scratch buffer per dtype, grown to the largest parameter."""
        pair = scratch(self._scratch, p.dtype.str, (2, *p.shape), p.dtype)
        return pair[0], pair[1]

    def get_config(self) -> dict:  # pragma: no cover - abstract
        """The constructor arguments; lr is a number or a Schedule."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """What a resumed run needs besides the settings, as the live arrays (not copies):

            {"iterations": steps taken, "state": {"<layer index>.<param>": {name: array}}}
        """
        return {"iterations": self.iterations, "state": self.state}

    def load_state_dict(self, state: dict, layers) -> None:
        """Restore what state_dict() gave, checking each slot against the layers' parameters."""
        owner = type(self).__name__
        iterations = state["iterations"]
        if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 0:
            raise ValueError(f"{owner}: iterations must be a non-negative int, got {iterations!r}")
        params = {f"{i}.{key}": p for i, layer in enumerate(layers) for key, p in layer.params.items()}
        restored = {}
        for slot, arrays in state["state"].items():
            if slot not in params:
                raise ValueError(f"{owner}: state for {slot!r}, which is no parameter of the model")
            p = params[slot]
            names = set(self._new_state(p))
            if set(arrays) != names:
                raise ValueError(f"{owner}: state of {slot!r} must hold {sorted(names)}, got {sorted(arrays)}")
            for name, a in arrays.items():
                if a.shape != p.shape or a.dtype != p.dtype:
                    raise ValueError(f"{owner}: {name} of {slot!r} must be {p.dtype} of shape {p.shape}, "
                                     f"got {a.dtype} of shape {a.shape}")
            restored[slot] = {name: np.array(a) for name, a in arrays.items()}
        self.iterations, self.state = iterations, restored

    def _new_state(self, p) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _update(self, p, g, state, lr, scratch) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule:

        g ← g + weight_decay·p;   v ← momentum·v + g
        p ← p − lr·(g + momentum·v)   if nesterov, else   p ← p − lr·v
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr)
        setting(momentum, "momentum", "SGD", "lie in [0, 1)", lambda v: 0 <= v < 1)
        if nesterov and momentum == 0:
            raise ValueError("SGD: nesterov=True needs a momentum > 0")
        setting(weight_decay, "weight_decay", "SGD", "be a finite number >= 0", lambda v: v >= 0)
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def get_config(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def _new_state(self, p):
        return {"velocity": np.zeros_like(p)} if self.momentum else {}

    def _update(self, p, g, state, lr, scratch):
        s, t = scratch
        if self.weight_decay:  # g ← g + weight_decay·p, into s: the layer's grads stay as they are
            np.multiply(p, self.weight_decay, out=s)
            g = np.add(g, s, out=s)
        if self.momentum:
            v = state["velocity"]
            v *= self.momentum
            v += g
            if self.nesterov:  # g + momentum·v
                np.multiply(v, self.momentum, out=t)
                g = np.add(g, t, out=t)
            else:
                g = v
        p -= np.multiply(g, lr, out=s)


class Adam(Optimizer):
    """Adam with decoupled weight decay (AdamW when weight_decay > 0), PyTorch's rule:

        p ← p·(1 − lr·weight_decay)
        m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
        p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)
    """

    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(real(b) and 0 <= b < 1 for b in betas)):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas!r}")
        b1, b2 = betas
        setting(eps, "eps", "Adam", "be a finite number > 0", lambda v: v > 0)
        setting(weight_decay, "weight_decay", "Adam", "be a finite number >= 0", lambda v: v >= 0)
        self.betas, self.eps, self.weight_decay = (b1, b2), eps, weight_decay

    def get_config(self):
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay}

    def _new_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _update(self, p, g, state, lr, scratch):
        b1, b2 = self.betas
        t = self.iterations
        s, d = scratch
        if self.weight_decay:
            p *= 1 - lr * self.weight_decay
        m, v = state["m"], state["v"]
        m *= b1
        m += np.multiply(g, 1 - b1, out=s)
        v *= b2
        np.multiply(g, 1 - b2, out=s)
        v += np.multiply(s, g, out=s)  # (1 − β2)·g·g
        np.divide(v, 1 - b2**t, out=d)
        np.sqrt(d, out=d)
        d += self.eps  # the denominator √(v / (1 − β2^t)) + eps
        np.multiply(m, lr / (1 - b1**t), out=s)
        p -= np.divide(s, d, out=s)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def get(optimizer) -> Optimizer:
    """An Optimizer from an instance or a name ("sgd", "adam") with default settings."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; expected a striate.optim.Optimizer or 'sgd' or 'adam'")
