"""Learning-rate schedules: callables step -> lr, counted in optimizer steps (batches).

Pass one as an optimizer's lr: `optim.SGD(lr=CosineDecay(0.1, total_steps=3000))`.
The position is the optimizer's step count, so a resumed run continues the schedule.
"""

from __future__ import annotations

import math


class Schedule:
    def __call__(self, step: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(vars(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _positive(value, name, owner):
    """A finite number > 0 (NaN and inf fail too), or a ValueError naming the argument."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive number, got {value!r}")
    return value


class StepDecay(Schedule):
    """lr · gamma^(step // step_size): multiply by gamma every step_size steps."""

    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = _positive(lr, "lr", "StepDecay")
        self.step_size = int(_positive(step_size, "step_size", "StepDecay"))
        self.gamma = _positive(gamma, "gamma", "StepDecay")

    def __call__(self, step):
        return self.lr * self.gamma ** (step // self.step_size)


class CosineDecay(Schedule):
    """Linear warm-up to lr over warmup_steps, then half a cosine down to min_lr at total_steps."""

    def __init__(self, lr, total_steps, min_lr=0.0, warmup_steps=0):
        self.lr = _positive(lr, "lr", "CosineDecay")
        self.total_steps = int(_positive(total_steps, "total_steps", "CosineDecay"))
        if not isinstance(min_lr, (int, float)) or isinstance(min_lr, bool) or not 0 <= min_lr < math.inf:
            raise ValueError(f"CosineDecay: min_lr must be a number >= 0, got {min_lr!r}")
        self.min_lr = float(min_lr)
        self.warmup_steps = int(warmup_steps)
        if not 0 <= self.warmup_steps < self.total_steps:
            raise ValueError(f"CosineDecay: warmup_steps must lie in [0, total_steps), got {warmup_steps!r}")

    def __call__(self, step):
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        t = min(1.0, (step - self.warmup_steps) / (self.total_steps - self.warmup_steps))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * t))


class OneCycle(Schedule):
    """The one-cycle policy (Smith 2018), as PyTorch's OneCycleLR with cosine annealing.

    Rises from max_lr/div_factor to max_lr over the first pct_start of total_steps, then
    falls to max_lr/(div_factor·final_div_factor).
    """

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
        self.max_lr = _positive(max_lr, "max_lr", "OneCycle")
        self.total_steps = int(_positive(total_steps, "total_steps", "OneCycle"))
        if not isinstance(pct_start, (int, float)) or isinstance(pct_start, bool) or not 0 < pct_start < 1:
            raise ValueError(f"OneCycle: pct_start must lie in (0, 1), got {pct_start!r}")
        self.pct_start = pct_start
        self.div_factor = _positive(div_factor, "div_factor", "OneCycle")
        self.final_div_factor = _positive(final_div_factor, "final_div_factor", "OneCycle")

    def __call__(self, step):
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor
        peak = float(self.pct_start * self.total_steps) - 1
        step = min(step, self.total_steps - 1)
        if step <= peak:
            begin, finish, t = start, self.max_lr, step / peak if peak > 0 else 1.0
        else:
            begin, finish, t = self.max_lr, end, (step - peak) / (self.total_steps - 1 - peak)
        return finish + (begin - finish) / 2.0 * (1 + math.cos(math.pi * t))
