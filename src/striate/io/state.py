"""Training state ↔ JSON plus tensors: optimizer, position, RNG, callbacks.

Arrays never go into the JSON: `split` moves each one into the file's tensors under a
name built from where it sat, leaving {"__tensor__": name} in its place; `join` puts
them back. Everything read is checked and reported as a FormatError naming the file.
"""

from __future__ import annotations

import math

import numpy as np

from .. import registry, schedules
from ..callbacks import Callback
from ..errors import FormatError
from ..position import Position

REF = "__tensor__"
MAX_COUNT = 2**53  # steps, epochs, samples: past it a count no longer converts to a float exactly


# ---- arrays inside JSON -------------------------------------------------------
def split(value, name: str, tensors: dict):
    """value with every ndarray moved to tensors[<name>.<key path>] and a reference left behind."""
    if isinstance(value, np.ndarray):
        if name in tensors:
            raise ValueError(f"two arrays of the training state would both be saved as {name!r}")
        if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
            raise ValueError(f"cannot checkpoint {name}: it holds NaN or inf values (the run diverged?)")
        tensors[name] = value
        return {REF: name}
    if isinstance(value, dict):
        return {str(k): split(v, f"{name}.{k}", tensors) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [split(v, f"{name}.{i}", tensors) for i, v in enumerate(value)]
    return registry.to_json(value, name)


def join(value, tensors: dict, used: set, where: str):
    """The inverse of split: references replaced by the file's tensors (each used once)."""
    if isinstance(value, dict):
        if set(value) == {REF}:
            name = value[REF]
            if not isinstance(name, str) or name not in tensors or name in used:
                raise FormatError(f"{where}: refers to tensor {name!r:.100}, which is missing or used twice")
            array = tensors[name]
            if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
                raise FormatError(f"{where}: tensor {name!r} holds NaN or inf values; striate refuses them")
            used.add(name)
            return array.astype(array.dtype.newbyteorder("="), order="C", copy=False)
        return {k: join(v, tensors, used, where) for k, v in value.items()}
    if isinstance(value, list):
        return [join(v, tensors, used, where) for v in value]
    return value


# ---- optimizer ----------------------------------------------------------------
def encode_optimizer(optimizer, tensors: dict) -> dict:
    """{"type", "config", "state"}; a Schedule lr becomes {"type", "config"} of its own."""
    config = dict(optimizer.get_config())
    lr = config["lr"]
    if isinstance(lr, schedules.Schedule):
        config["lr"] = registry.describe(lr, registry.SCHEDULES, "schedule")
    elif callable(lr):
        raise ValueError(f"cannot checkpoint an optimizer whose lr is a plain function ({lr!r}); "
                         "use a striate.schedules.Schedule, which can be saved")
    return {"type": registry.type_name(optimizer, registry.OPTIMIZERS, "optimizer"),
            "config": registry.to_json(config, "optimizer"),
            "state": split(optimizer.state_dict(), "optimizer", tensors)}


def decode_optimizer(entry, layers, tensors: dict, used: set, where: str):
    """The optimizer an entry describes, its state loaded and checked against `layers`."""
    if not isinstance(entry, dict) or set(entry) != {"type", "config", "state"}:
        raise FormatError(f"{where}: optimizer must be an object with type, config and state")
    config = entry["config"]
    if isinstance(config, dict) and isinstance(config.get("lr"), dict):
        config = {**config, "lr": registry.create(config["lr"], registry.SCHEDULES, "schedule", where)}
    optimizer = registry.create({"type": entry["type"], "config": config}, registry.OPTIMIZERS, "optimizer", where)
    state = join(entry["state"], tensors, used, f"{where} optimizer state")
    iterations = state.get("iterations") if isinstance(state, dict) else None
    if type(iterations) is int and iterations > MAX_COUNT:
        raise FormatError(f"{where}: optimizer iterations {iterations:.3g} is past {MAX_COUNT:,}: no run takes so many steps")
    if not (isinstance(state, dict) and set(state) == {"iterations", "state"} and isinstance(state["state"], dict)
            and all(isinstance(s, dict) and all(isinstance(a, np.ndarray) for a in s.values())
                    for s in state["state"].values())):
        raise FormatError(f"{where}: optimizer state must be {{iterations, state: {{slot: {{name: tensor}}}}}}")
    try:
        optimizer.load_state_dict(state, layers)
    except ValueError as e:
        raise FormatError(f"{where}: {e}") from None
    try:  # the schedule at the saved step: settings that only fail once the run goes on fail here
        lr = optimizer.current_lr
    except Exception as e:  # noqa: BLE001 - the schedule's settings come from the file
        raise FormatError(f"{where}: optimizer config lr: the schedule fails at step {optimizer.iterations}: {e}") from None
    if not (math.isfinite(lr) and lr >= 0):
        raise FormatError(f"{where}: optimizer config lr: the learning rate at step {optimizer.iterations} is {lr}")
    return optimizer


# ---- position and RNG ---------------------------------------------------------
def encode_position(pos: Position) -> dict:
    return {"epoch": pos.epoch, "batch": pos.batch, "seen": pos.seen, "sums": pos.sums,
            "rng": pos.rng_state, "stopped": pos.stopped}


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def decode_position(entry, where: str) -> Position:
    """A Position, its fields checked; the RNG state is tried on a fresh Generator."""
    keys = {"epoch", "batch", "seen", "sums", "rng", "stopped"}
    if not isinstance(entry, dict) or set(entry) != keys:
        raise FormatError(f"{where}: position must be an object with {', '.join(sorted(keys))}")
    if not all(_count(entry[k]) and entry[k] <= MAX_COUNT for k in ("epoch", "batch", "seen")) \
            or not isinstance(entry["stopped"], bool):
        raise FormatError(f"{where}: position epoch, batch and seen must be ints >= 0, stopped a bool")
    sums = entry["sums"]
    if not isinstance(sums, dict) or not all(isinstance(v, float) and math.isfinite(v) for v in sums.values()):
        raise FormatError(f"{where}: position sums must map metric names to finite floats")
    check_rng_state(entry["rng"], where)
    return Position(entry["epoch"], entry["batch"], entry["seen"], sums, entry["rng"], entry["stopped"])


def check_rng_state(rng_state, where: str) -> None:
    """FormatError unless rng_state is a state numpy's default bit generator takes as it is."""
    try:  # the bit generator's own setter knows its state's layout; let it judge
        rng = np.random.default_rng()
        rng.bit_generator.state = rng_state
        ok = rng.bit_generator.state == rng_state
    except Exception as e:  # whatever the setter makes of the file's values
        name = type(rng.bit_generator).__name__
        raise FormatError(f"{where}: the RNG state is not a valid {name} state: {e}") from None
    if not ok:
        raise FormatError(f"{where}: the RNG state does not round-trip; it is not a valid state")


# ---- layers' own generators (Dropout's) -------------------------------------------
def random_layers(layers) -> dict[str, object]:
    """{"layers.<i>": layer} for each layer drawing from a Generator of its own (layer.rng)."""
    return {f"layers.{i}": layer for i, layer in enumerate(layers)
            if isinstance(getattr(layer, "rng", None), np.random.Generator)}


def encode_layer_rngs(layers) -> dict:
    """{"layers.<i>": bit_generator.state} of every layer with its own Generator."""
    return {name: layer.rng.bit_generator.state for name, layer in random_layers(layers).items()}


def decode_layer_rngs(entry, layers, where: str) -> dict:
    """The generator states, one for each layer that has a Generator, each checked.

    A checkpoint written before layers had generators has no entry: {} then, which
    only fits a model without such layers.
    """
    entry = {} if entry is None else entry
    expected = random_layers(layers)
    if not isinstance(entry, dict) or set(entry) != set(expected):
        got = sorted(entry) if isinstance(entry, dict) else entry
        raise FormatError(f"{where}: rngs must hold the generator state of each of the layers "
                          f"{sorted(expected)}, got {got!r:.200}")
    for name, rng_state in entry.items():
        check_rng_state(rng_state, f"{where} rngs {name} ({expected[name].name})")
    return entry


# ---- callbacks ----------------------------------------------------------------
def stateful(callbacks) -> list:
    """The callbacks that keep state across a resume (they override get_state)."""
    return [cb for cb in callbacks if type(cb).get_state is not Callback.get_state]


def encode_callbacks(callbacks, tensors: dict) -> list:
    return [{"type": type(cb).__name__, "state": split(cb.get_state(), f"callbacks.{i}", tensors)}
            for i, cb in enumerate(stateful(callbacks))]


def decode_callbacks(entries, tensors: dict, used: set, where: str) -> list[tuple[str, dict]]:
    """[(type name, state with arrays)], restored onto fit's callbacks when resuming."""
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and set(e) == {"type", "state"} and isinstance(e["type"], str)
            and isinstance(e["state"], dict) for e in entries):
        raise FormatError(f"{where}: callbacks must be a list of {{type, state}} objects")
    return [(e["type"], join(e["state"], tensors, used, f"{where} callback {e['type']}")) for e in entries]
