"""Weight initialisers, all drawn from one numpy.random.Generator so that a seed fixes a run.

Fans follow Keras: a Dense kernel (in, out) has fan_in = in, fan_out = out; a Conv2D
kernel (kh, kw, Cin, F) has fan_in = kh·kw·Cin and fan_out = kh·kw·F.

- Glorot/Xavier keeps the variance of activations *and* gradients roughly constant
  through linear or tanh layers: Var(w) = 2 / (fan_in + fan_out).
- He/Kaiming halves nothing: a ReLU zeroes half its inputs, so Var(w) = 2 / fan_in keeps
  the signal from shrinking layer after layer in ReLU networks.
"""

from __future__ import annotations

import numpy as np


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a kernel shape: (in, out) or (kh, kw, in, out)."""
    if len(shape) < 2:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2]))
    return receptive * shape[-2], receptive * shape[-1]


def glorot_uniform(shape, rng):
    fan_in, fan_out = fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def glorot_normal(shape, rng):
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape, rng):
    limit = np.sqrt(6.0 / fans(shape)[0])
    return rng.uniform(-limit, limit, size=shape)


def he_normal(shape, rng):
    return rng.normal(0.0, np.sqrt(2.0 / fans(shape)[0]), size=shape)


def zeros(shape, rng=None):
    return np.zeros(shape)


def ones(shape, rng=None):
    return np.ones(shape)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
    "ones": ones,
}


def get(name: str, owner: str = "initializer"):
    """Look up an initialiser by name; the error lists the names there are."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"{owner}: unknown initializer {name!r}; expected one of {', '.join(sorted(INITIALIZERS))}"
        ) from None
