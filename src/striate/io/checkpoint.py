"""Checkpoints: all a stopped run needs to carry on as if it had never stopped.

A checkpoint is a striate file of kind "checkpoint" (document.py): a model file (its
weights and its layers' state, such as BatchNorm's running statistics) plus

    tensors  "optimizer.state.<layer>.<param>.<name>"   momentum, Adam's moments
             "callbacks.<i>.<...>"                        e.g. EarlyStopping's best weights
    JSON     "training": {"optimizer": {type, config (lr: a number or a schedule), state},
                          "loss": "CrossEntropy", "loss_config": {label_smoothing, ...},
                          "fit": {batch_size, samples, shuffle},
                          "position": {epoch, batch, seen, sums, rng, stopped},
                          "rngs": {"layers.<i>": state of that layer's Generator (Dropout)},
                          "callbacks": [{type, state}]}

Why a resumed run ends bit-identical to an unbroken one: every number the next step
depends on is restored exactly — weights, layer state and optimizer arrays byte for
byte, floats through JSON's shortest round-trip repr, each Generator's state as its
integers — and the position holds the model's RNG state from *before* the epoch's
shuffle plus the batch index, so the resumed run redraws the same permutation and
continues from that batch; a Dropout layer's own Generator is saved as it stands, so
the next mask it draws is the one the unbroken run drew.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import registry
from ..errors import FormatError, TrainingDiverged
from ..inputs import count, kept
from ..model import Sequential
from ..position import Position
from . import document, model_file, state
from .lock import CheckpointLock


@dataclass
class Checkpoint:
    """A checkpoint read back and checked: a model holding its weights, and its training state."""

    model: Sequential
    optimizer: object
    loss: str
    fit: dict
    position: Position
    callbacks: list  # [(type name, state)] of fit's stateful callbacks, in order
    rngs: dict  # {"layers.<i>": bit_generator.state} of the layers with a Generator of their own
    saved_loss: object | None = None  # the loss with its settings (label smoothing); None in older checkpoints


def write(path, model: Sequential, callbacks, fit_args: dict, pos: Position) -> None:
    """Write the checkpoint of a model in the middle of fit, atomically."""
    tensors = model_file.weights(model)
    training = {"optimizer": state.encode_optimizer(model.optimizer, tensors),
                "loss": registry.type_name(model.loss, registry.LOSSES, "loss"),
                "loss_config": registry.describe(model.loss, registry.LOSSES, "loss")["config"],
                "fit": fit_args, "position": state.encode_position(pos),
                "rngs": state.encode_layer_rngs(model.layers),
                "callbacks": state.encode_callbacks(callbacks, tensors)}
    document.write(path, "checkpoint", {"model": model_file.describe(model), "training": training}, tensors)


def read(path) -> Checkpoint:
    """Read and check every part of a checkpoint file."""
    doc, tensors = document.read(path, kinds=("checkpoint",))
    return from_document(doc, tensors, path)


def from_document(doc: dict, tensors: dict, path) -> Checkpoint:
    """The Checkpoint a document and its tensors describe; every tensor must be used."""
    if set(doc) != {"format", "format_version", "kind", "model", "training"}:
        raise FormatError(f"{path}: a checkpoint's document has the keys format, format_version, kind, "
                          f"model and training, got {sorted(doc)}")
    model = model_file.rebuild(doc["model"], tensors, path)
    used = set(model_file.tensor_names(model))
    where = f"{path}: training"
    training = doc["training"]
    keys = {"optimizer", "loss", "loss_config", "fit", "position", "rngs", "callbacks"}
    if not isinstance(training, dict) or not keys - {"rngs", "loss_config"} <= set(training) <= keys:
        raise FormatError(f"{where}: expected an object with {', '.join(sorted(keys))}")
    optimizer = state.decode_optimizer(training["optimizer"], model.layers, tensors, used, where)
    if not isinstance(training["loss"], str) or training["loss"] not in registry.LOSSES:
        raise FormatError(f"{where}: unknown loss {training['loss']!r:.100}; known: {', '.join(registry.LOSSES)}")
    saved_loss = None  # "loss_config" is absent in older checkpoints; its settings must make a loss
    if "loss_config" in training:
        saved_loss = registry.create({"type": training["loss"], "config": training["loss_config"]}, registry.LOSSES,
                                     "loss", where)
    fit = _check_fit(training["fit"], where)
    position = state.decode_position(training["position"], where)
    _check_position(position, fit, where)
    rngs = state.decode_layer_rngs(training.get("rngs"), model.layers, where)  # absent in older checkpoints
    callbacks = state.decode_callbacks(training["callbacks"], tensors, used, where)
    model_file.expect_tensors(tensors, used, path)
    return Checkpoint(model, optimizer, training["loss"], fit, position, callbacks, rngs, saved_loss)


def _check_fit(fit, where) -> dict:
    if not (isinstance(fit, dict) and set(fit) == {"batch_size", "samples", "shuffle"}
            and all(type(fit[k]) is int and fit[k] >= 1 for k in ("batch_size", "samples"))
            and isinstance(fit["shuffle"], bool)):
        raise FormatError(f"{where}: fit must be {{batch_size: int >= 1, samples: int >= 1, shuffle: bool}}, "
                          f"got {fit!r:.200}")
    return fit


def _check_position(pos: Position, fit: dict, where) -> None:
    """Batch, samples seen and the running sums must agree with each other and the data size."""
    batches = -(-fit["samples"] // fit["batch_size"])
    seen = min(pos.batch * fit["batch_size"], fit["samples"])
    if pos.batch > batches or pos.seen != seen or (pos.batch == 0) != (not pos.sums):
        raise FormatError(f"{where}: position batch {pos.batch}, seen {pos.seen} and sums do not agree "
                          f"with {fit['samples']} samples in batches of {fit['batch_size']}")


def restore(ckpt: Checkpoint, model: Sequential, callbacks, fit_args: dict, path) -> Position:
    """Load a checkpoint into a compiled model and fit's callbacks; returns where to go on from.

    The optimizer is the checkpoint's (same type as compiled, with its saved settings,
    schedule and state). ValueError when the model, data or callbacks differ from the run
    that wrote it: a run continued with other ones would not be that run.
    """
    ours, theirs = model_file.describe(model), model_file.describe(ckpt.model)
    if any(ours[key] != theirs[key] for key in ("input_shape", "dtype", "layers")):
        def show(m):
            return f"{m.dtype.name} {m.input_shape} → {', '.join(map(repr, m.layers))}"

        raise ValueError(f"{path} was written by a different model: {show(ckpt.model)}; this model is {show(model)}")
    if fit_args != ckpt.fit:
        raise ValueError(f"{path} was written by fit with {ckpt.fit}; this fit has {fit_args}")
    for what, mine, saved in (("loss", type(model.loss).__name__, ckpt.loss),
                              ("optimizer", type(model.optimizer).__name__, type(ckpt.optimizer).__name__)):
        if mine != saved:
            raise ValueError(f"{path} was written with the {what} {saved}; this model is compiled with {mine}")
    if ckpt.saved_loss is not None and ckpt.saved_loss.get_config() != model.loss.get_config():
        raise ValueError(f"{path} was written with the loss {ckpt.saved_loss!r}; this model is compiled with "
                         f"{model.loss!r}")
    pos = ckpt.position
    names = ["loss", *(name for name, _ in model.metrics)]
    if pos.batch and sorted(pos.sums) != sorted(names):
        raise ValueError(f"{path} stopped mid-epoch tracking {sorted(pos.sums)}; this model tracks {sorted(names)}")
    mine = state.stateful(callbacks)
    if [type(cb).__name__ for cb in mine] != [name for name, _ in ckpt.callbacks]:
        raise ValueError(f"{path} was written with the callbacks {[name for name, _ in ckpt.callbacks]}; "
                         f"this fit has {[type(cb).__name__ for cb in mine]}")
    model.set_weights(ckpt.model.get_weights())
    for layer, saved in zip(model.layers, ckpt.model.layers):  # same architecture: same state arrays
        for key, value in saved.state.items():
            layer.state[key][...] = value
    layers = state.random_layers(model.layers)
    for name, rng_state in ckpt.rngs.items():
        layers[name].rng.bit_generator.state = rng_state
    model.optimizer = ckpt.optimizer
    model.rng.bit_generator.state = pos.rng_state
    for cb, (name, saved) in zip(mine, ckpt.callbacks):
        try:
            cb.set_state(saved)
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as e:
            raise FormatError(f"{path}: the state of callback {name} does not fit it: {e}") from e
    model.stop_training = pos.stopped
    return pos


class Checkpointer:
    """fit's link to checkpoints: restores one to resume, writes them as training goes.

    Args:
        model, callbacks: the model being fitted and all of fit's callbacks.
        path: where to write checkpoints (None: write none).
        every: "epoch" (at each epoch's end) or an int N (also every N optimizer steps).
        fit_args: {batch_size, samples, shuffle}, which a resumed fit must share.
        write: False on MPI ranks other than 0: they read the checkpoint to resume, but
            neither lock nor write it.
    """

    def __init__(self, model, callbacks, path, every, fit_args, write: bool = True):
        if not (isinstance(every, str) and every == "epoch"):
            try:
                every = count(every, "checkpoint_every", "fit")  # NumPy ints too
            except ValueError:
                raise ValueError(f"fit: checkpoint_every must be 'epoch' or a positive int, got {every!r}") from None
        self.model, self.callbacks, self.every, self.fit_args = model, callbacks, every, fit_args
        self.path = None if path is None else Path(path)
        self.write = bool(write)
        # before anything is read: a second run on this checkpoint fails here, at once
        self.lock = None if self.path is None or not self.write else CheckpointLock(self.path)

    def close(self) -> None:
        """Let the checkpoint's lock go (fit calls it when it returns)."""
        if self.lock is not None:
            self.lock.release()

    def resume(self, resume) -> Position | None:
        """Restore the checkpoint `resume` names (True: self.path, if it exists yet)."""
        if resume is None or resume is False:
            return None
        if resume is True:
            if self.path is None:
                raise ValueError("fit: resume=True continues from checkpoint=PATH; give the path")
            if not self.path.exists():
                return None  # the first run of a resumable script: nothing to resume yet
            resume = self.path
        return restore(read(resume), self.model, self.callbacks, self.fit_args, resume)

    def after_batch(self, pos: Position) -> None:
        if self.path is not None and self.every != "epoch" and self.model.optimizer.iterations % self.every == 0:
            self._write(pos)

    def after_epoch(self, pos: Position) -> None:
        if self.path is not None:
            self._write(pos)

    def _write(self, pos: Position) -> None:
        """Write a checkpoint, unless a weight is past what a file may hold (NaN, inf, or beyond
        limits.MAX_ABS_WEIGHT, as model_file.weights checks): the run has diverged, and the
        checkpoint on disk stays the last good one. The check runs on every MPI rank, the
        write on rank 0 alone: all ranks hold the same weights, so all of them stop together."""
        if bad := model_file.first_bad(self.model):
            layer, key, problem = bad
            when = f"epoch {pos.epoch + 1}, batch {pos.batch}" if pos.batch else f"the end of epoch {pos.epoch}"
            raise TrainingDiverged(
                f"fit: training diverged at {when} (optimizer step {self.model.optimizer.iterations}): "
                f"{layer.name}'s {key} {problem}. Try a lower learning rate (it is "
                f"{self.model.optimizer.current_lr:g}). {kept(self)}")
        if self.write:
            write(self.path, self.model, self.callbacks, self.fit_args, pos)
