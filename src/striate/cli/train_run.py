"""The run of `striate train`: plan it, resume it, fit, report, save.

What a resumed run does (`--checkpoint FILE --resume`):
- a checkpoint written while training on other images or labels is refused, naming both;
- the same number of epochs carries on bit-identically from where the checkpoint stopped;
- more epochs than the checkpoint's run planned extend it: its learning-rate schedule is
  re-planned over the new total (striate.resuming.RunPlan), and the run says so;
- with a time budget, the number of epochs planned when the run began is kept.
Under mpiexec (comm, engine/mpi.py) every rank runs all of this on its part of each
batch; a time budget's trial steps run over the ranks as training will, the epochs they
plan are rank 0's, and rank 0 alone writes the files. A checkpoint that some rank cannot
read (or reads differently) stops every rank with one message.

Interrupted (Ctrl-C), it says what the checkpoint holds and the command that carries on —
only of a checkpoint that belongs to this run (the one it resumed from, or one it wrote): a
file left there by an earlier run is named as such.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from .. import budget, datasets
from ..callbacks import Callback
from ..engine import mpi
from ..io import checkpoint
from ..progress import plural
from ..resuming import RunPlan, TrainingData
from . import train_watch


class BatchRecorder(Callback):
    """(epoch position, loss, accuracy) of each batch, recovered from fit's running means."""

    def __init__(self, samples: int, batch_size: int, epoch: int = 0):
        self.samples, self.batch_size, self.epoch = samples, batch_size, epoch
        self.batches = -(-samples // batch_size)
        self.points: list[tuple[float, float, float]] = []
        self._previous = None  # (seen, loss sum, accuracy sum) after the last batch; None after a resume

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self._previous = epoch, (0, 0.0, 0.0)

    def on_batch_end(self, batch, logs=None):
        seen = min((batch + 1) * self.batch_size, self.samples)
        sums = (seen, logs["loss"] * seen, logs.get("accuracy", 0.0) * seen)
        if self._previous is not None:
            n = seen - self._previous[0]
            self.points.append((self.epoch + (batch + 1) / self.batches,
                                (sums[1] - self._previous[1]) / n, (sums[2] - self._previous[2]) / n))
        self._previous = sums


def where(pos) -> str:
    return f"in epoch {pos.epoch + 1} after batch {pos.batch}" if pos.batch else f"after epoch {pos.epoch}"


def saved_run(args, data: TrainingData):
    """The checkpoint to resume (None: a fresh run), after checking that it trained on this data."""
    if not (args.resume and Path(args.checkpoint).exists()):
        return None
    ckpt = checkpoint.read(args.checkpoint)
    states = dict(ckpt.callbacks)
    if "TrainingData" in states and (why := data.mismatch(states["TrainingData"])):
        raise ValueError(f"{args.checkpoint}: cannot resume: {why}")
    return ckpt


def epochs_for(args, recipe, model, x, y, x_val, ckpt, say) -> int:
    """The recipe's epochs, or as many as fit its time budget (kept from the checkpoint on resume)."""
    if not recipe.time_budget:
        return recipe.epochs
    planned = dict(ckpt.callbacks).get("RunPlan") if ckpt else None
    if planned:
        say(f"time budget: keeping the {plural(planned['epochs'], 'epoch')} planned when the run began")
        return planned["epochs"]
    steps = -(-len(x) // recipe.batch_size)
    plan = budget.plan_epochs(model, recipe.optimizer_for(steps, 1), recipe.loss_for(), x, y, recipe.batch_size,
                              recipe.time_budget, recipe.max_epochs, x_val, recipe.transforms(args.dataset))
    say(f"time budget {args.time_budget or recipe.time_budget:g}s: {plan}")
    return plan.epochs


def version(path) -> tuple | None:
    """What tells one version of a file from the next (an atomic write makes a new inode), or None if absent."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def interrupted(args, resumed: bool, before: tuple | None) -> int:
    """What Ctrl-C leaves behind, and the command that carries on.

    before: version() of the checkpoint when fit began; resumed: fit carried on from it.
    """
    path, now = args.checkpoint, version(args.checkpoint) if args.checkpoint else None
    if not path:
        text = "nothing was saved (with --checkpoint FILE a run can be resumed)"
    elif now is None:
        text = (f"no checkpoint had been written to {path} yet, so nothing was saved: running the same command again "
                "starts from the beginning (--checkpoint-every STEPS writes checkpoints more often)")
    elif resumed or now != before:  # the checkpoint it carried on from, or one it wrote
        again = "run the same command again" if args.resume else "run the same command with --resume"
        text = (f"{path} keeps the run as it was {where(checkpoint.read(path).position)}: {again} to carry on "
                "from there")
    else:
        text = (f"this run had not written a checkpoint yet, so nothing of it was saved; {path} still holds the "
                "checkpoint an earlier run wrote there. Running the same command again starts this run over")
    print(f"striate train: interrupted; {text}", file=sys.stderr)
    return 130


def run(args, recipe, x, y, test, class_names, build_model, comm=None) -> int:
    x_test, y_test = test
    say = (lambda *a: None) if args.json else print  # noqa: E731 - quiet under --json
    val = None
    with mpi.together(comm):  # e.g. a --config that does not fit the images: one message for every rank
        if args.val_split:
            (x, y), val = datasets.validation_split(x, y, args.val_split, seed=args.seed, stratify=True)
        model = build_model(args, x.shape[1:], len(class_names))
    model.class_names = [str(n) for n in class_names]  # saved with the model: predict names its classes
    name = args.config or args.model
    data = TrainingData(x, y, args.dataset)
    with mpi.together(comm):  # a checkpoint that a rank cannot read stops them all
        ckpt = saved_run(args, data)
    if comm is not None:
        comm.same(ckpt and where(ckpt.position), "the checkpoint to resume from")
        model.distribute(comm)  # before a time budget's trial steps, so that they are timed as they will run
    epochs = epochs_for(args, recipe, model, x, y, (val or test)[0], ckpt, say)
    if comm is not None:
        epochs = comm.bcast_json(epochs)  # timings differ between ranks: rank 0's plan for all
        say(f"training on {comm.size} MPI ranks: each takes {-(-recipe.batch_size // comm.size)} or fewer images "
            f"of every batch of {recipe.batch_size}")
    steps = -(-len(x) // recipe.batch_size)
    model.compile(recipe.optimizer_for(steps, epochs), recipe.loss_for(), ["accuracy"])
    split = f", {len(val[0])} validation" if val else ""
    say(f"{args.dataset}: {len(x)} training{split} and {len(x_test)} test images; "
        f"model {name}, {model.count_params():,} parameters")
    say(f"recipe{'' if args.config else f' {args.model}'}: {recipe.describe()} (options override it)")
    callbacks, x_fit = [], x
    if transforms := recipe.transforms(args.dataset):
        augment = datasets.EpochAugment(x, transforms, seed=args.seed)
        callbacks.append(augment)
        x_fit = augment.images
        say(f"augmenting every epoch: {', '.join(map(repr, augment.transforms))}")
    plan = RunPlan(epochs, epochs * steps)
    callbacks += [data, plan]
    start_epoch = 0
    if ckpt is not None:
        start_epoch = ckpt.position.epoch
        say(f"resuming from {args.checkpoint}, {where(ckpt.position)}")
        before = dict(ckpt.callbacks).get("RunPlan", {"epochs": epochs})["epochs"]
        if epochs > before:
            say(f"extending the run from {before} to {plural(epochs, 'epoch')}: its learning-rate schedule is "
                f"re-planned over all {epochs} and goes on from step {ckpt.optimizer.iterations} of {epochs * steps}")
        elif start_epoch >= epochs:
            say(f"the run has done {plural(start_epoch, 'epoch')} already; give more --epochs than {start_epoch} to "
                "train it further")
    elif args.resume:
        say(f"no checkpoint at {args.checkpoint} yet: starting from the beginning")
    recorder = BatchRecorder(len(x), recipe.batch_size, start_epoch)
    # under MPI only rank 0 serves the page (train_watch.start does nothing without --watch)
    watching, stop_watching = (train_watch.start(args, model, x_test, y_test, steps) if comm is None or comm.rank == 0
                               else ([], lambda: None))
    try:
        return _fit_and_report(args, model, recipe, x_fit, y, val, test, callbacks + watching, recorder, epochs,
                               start_epoch, ckpt, name, comm)
    finally:
        stop_watching()


def _fit_and_report(args, model, recipe, x_fit, y, val, test, callbacks, recorder, epochs, start_epoch, ckpt,
                    name, comm) -> int:
    """fit, then the test accuracy, the files written and the report."""
    x_test, y_test = test
    start, before = time.perf_counter(), version(args.checkpoint) if args.checkpoint else None
    try:
        history = model.fit(x_fit, y, epochs=epochs, batch_size=recipe.batch_size,
                            validation_data=val or (x_test, y_test), verbose=0 if args.json else 1,
                            callbacks=[*callbacks, recorder], checkpoint=args.checkpoint,
                            checkpoint_every=args.checkpoint_every or "epoch", resume=True if args.resume else None,
                            distributed=comm is not None)
    except KeyboardInterrupt:
        return interrupted(args, ckpt is not None, before) if model.rank == 0 else 130
    seconds = time.perf_counter() - start
    done = max(epochs, start_epoch)  # a resumed run may have done more epochs than asked for now
    result = model.evaluate(x_test, y_test)
    written = {}
    if model.rank != 0:  # the others' weights are the same: rank 0 writes them
        return 0
    if args.out:
        model.save(args.out)
        written["model"] = args.out
    if args.plots:
        from .. import viz

        title = f"{name} on {args.dataset}" + (" (validation: held-out training images)" if val
                                                else " (validation: the test set)")
        written["curves"] = str(viz.training_curves(history.history, Path(args.plots) / "curves.png", title,
                                                    recorder.points))
    if args.json:
        print(json.dumps({"dataset": args.dataset, "model": name, "epochs": done, "recipe": recipe.describe(),
                          "seconds": round(seconds, 2), "test_loss": result["loss"],
                          "test_accuracy": result["accuracy"], "history": history.history, "files": written}))
    else:
        print(f"test accuracy: {result['accuracy']:.4f} (loss {result['loss']:.4f}) "
              f"after {plural(done, 'epoch')} in {seconds:.1f}s")
        for what, path in written.items():
            print(f"wrote {what}: {path}")
    return 0

