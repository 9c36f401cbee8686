"""Sequential: a stack of layers with Keras's workflow — summary, compile, fit, evaluate, predict.

How the layers run (fused steps, shards on threads or worker processes, inference in
pieces) is the engine's business (striate.engine); the model holds the structure and the
workflow around it.
"""

from __future__ import annotations

import numpy as np

from . import classifier
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optim as optim_mod
from . import inputs, registry
from .callbacks import Callback, History
from .engine import Runner, mpi
from .layers.base import Layer
from .position import Position
from .progress import ProgressBar


class Sequential:
    """A network that applies its layers one after another.

    Args:
        layers: list of Layer instances.
        input_shape: shape of one sample, no batch axis, e.g. (28, 28, 1); builds the
            layers at once. Without it the model builds on the first batch it sees.
        seed: seeds the one numpy.random.Generator behind initialisation and shuffling,
            so two runs with the same seed are bit-identical.
        dtype: float32 (default) or float64 (for gradient checks).
    """

    def __init__(self, layers=None, input_shape=None, seed=None, dtype=np.float32):
        self.layers: list[Layer] = []
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        self.input_shape = None
        self.optimizer = self.loss = None
        self.metrics: list[tuple[str, object]] = []
        self.stop_training = False
        self.class_names: list[str] | None = None  # label i is class_names[i]; saved in model files
        self._engine = Runner(self)  # runs the layers: steps, shards, pieces (striate.engine)
        for layer in layers or []:
            self.add(layer)
        if input_shape is not None:
            self.build(input_shape)

    # ---- structure ------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Sequential: expected a striate layer, got {layer!r}")
        if layer in self.layers:
            raise ValueError(f"Sequential: {layer!r} is already in this model; use a new instance")
        self.layers.append(layer)
        layer.index = len(self.layers)
        if self.input_shape is not None:
            prev = self.layers[-2].output_shape if len(self.layers) > 1 else self.input_shape
            layer.build(prev, self.rng, self.dtype)

    def build(self, input_shape) -> tuple:
        """Build every layer in order; returns the model's output shape (no batch axis)."""
        shape = tuple(input_shape)
        self.input_shape = shape
        for layer in self.layers:
            shape = layer.build(shape, self.rng, self.dtype)
        return shape

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.layers else self.input_shape

    def count_params(self) -> int:
        return sum(layer.num_params for layer in self.layers)

    # ---- weights and files ----------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter, layer by layer, in each layer's params order."""
        return [p.copy() for layer in self.layers for p in layer.params.values()]

    def check_weights(self, weights, where: str = "set_weights") -> None:
        """ValueError unless `weights` has the count, shapes and dtype of get_weights()."""
        params = [(layer, key, p) for layer in self.layers for key, p in layer.params.items()]
        if len(weights) != len(params):
            raise ValueError(f"{where}: the model has {len(params)} weight arrays, got {len(weights)}")
        for (layer, key, p), w in zip(params, weights):
            w = np.asarray(w)
            if w.shape != p.shape or w.dtype != p.dtype:
                raise ValueError(f"{where}: {layer.name} {key} must be {p.dtype} of shape {p.shape}, "
                                 f"got {w.dtype} of shape {w.shape}")

    def set_weights(self, weights) -> None:
        """Copy arrays in get_weights() order into the parameters, after checking them."""
        self.check_weights(weights)
        arrays = iter(weights)
        for layer in self.layers:
            for p in layer.params.values():
                p[...] = next(arrays)

    def twin(self, input_shape=None) -> Sequential:
        """A new model of the same layers with its own copies of the weights, the state and the
        class names; `input_shape` fixes the size of a model for any image size."""
        copy = Sequential([type(layer)(**layer.get_config()) for layer in self.layers],
                          input_shape=tuple(input_shape or self.input_shape), seed=0, dtype=self.dtype)
        for mine, theirs in zip(copy.layers, self.layers):
            for group in ("params", "state"):
                for key, value in getattr(theirs, group).items():
                    getattr(mine, group)[key][...] = value
        copy.class_names = self.class_names
        return copy

    def distribute(self, comm=None) -> Sequential:
        """Train, evaluate and predict over MPI ranks from now on (striate.engine.mpi).

        Run the script under `mpiexec -n P`: every rank builds the same model and calls
        fit, evaluate and predict with the same arguments; each takes its part of every
        batch, and all of them end with the same weights and results. fit(distributed=True)
        calls this. comm: an engine.mpi.Communicator, default every rank (MPI_COMM_WORLD).
        """
        self._engine.distribute(comm if comm is not None else mpi.world())
        return self

    @property
    def rank(self) -> int:
        """This process's MPI rank once distributed (only rank 0 prints and writes files), else 0."""
        return 0 if self._engine.comm is None else self._engine.comm.rank

    def save(self, path) -> None:
        """Write architecture and weights to one safe file (safetensors + JSON); see striate.load."""
        registry.file_support("save")(self, path)  # striate.io's, which sits above the model

    def summary(self, print_fn=print) -> str:
        """A Keras-like table: each layer, its output shape and parameter count; totals."""
        if not self.built:
            raise RuntimeError("Sequential.summary(): build the model first (give input_shape)")
        rows = [("#", "Layer", "Output shape", "Params")]
        rows.append(("", "Input", str((None, *self.input_shape)), ""))
        for layer in self.layers:
            rows.append((str(layer.index), repr(layer), str((None, *layer.output_shape)), f"{layer.num_params:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        fmt = lambda r: "  ".join(  # noqa: E731 - local table formatter
            c.rjust(w) if i in (0, 3) else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
        ).rstrip()
        out = [fmt(rows[0]), line.replace("-", "="), *map(fmt, rows[1:]), line.replace("-", "=")]
        total = self.count_params()
        out.append(f"Total params: {total:,} ({total * self.dtype.itemsize / 1024:,.1f} KiB)")
        text = "\n".join(out)
        if print_fn is not None:
            print_fn(text)
        return text

    def __repr__(self):
        return f"Sequential({len(self.layers)} layers, input_shape={self.input_shape})"

    # ---- passes ---------------------------------------------------------------
    def _ensure_built(self, x) -> None:
        if not self.built:
            self.build(np.shape(x)[1:])

    def forward(self, x, training: bool = False):
        """Run every layer; training=True keeps the caches backward needs. A model not
        built yet is built for x first, as fit and predict do."""
        self._ensure_built(x)
        return self._engine.forward(x, training)

    __call__ = forward

    def backward(self, dy) -> np.ndarray:
        """Back-propagate dy (the gradient of the output) through every layer, filling
        their grads; returns dx, the gradient with respect to the model's input.

        It follows forward(x, training=True) of this model, which may run a ReLU fused
        with its neighbour (striate.engine.steps): a layer's own backward follows only
        its own forward.
        """
        return self._engine.backward(dy)

    def input_gradient(self, x, y, loss=None) -> np.ndarray:
        """d loss(model(x), y) / d x: the gradient of the loss with respect to the input,
        for the model as it predicts (BatchNorm uses its running statistics, Dropout is
        off), e.g. for saliency maps or adversarial examples.

        Nothing in the model changes: weights, grads, running statistics, layer caches and
        generators stay as they were (the pass runs on frozen replicas of the layers,
        Layer.replica(frozen=True)). The batch runs whole, never in shards.

        Args:
            x: inputs (N, *input_shape); y: labels or targets, as for fit.
            loss: a loss or its name; defaults to the compiled loss.
        Returns:
            dx of x's shape, in the model's dtype.
        """
        loss = losses_mod.get(loss) if loss is not None else self.loss
        if loss is None:
            raise RuntimeError("Sequential.input_gradient(): compile the model first or give loss=")
        x, y = inputs.check_data(x, y, "input_gradient")
        self._ensure_built(x)
        return self._engine.input_gradient(x, y, loss)

    def shards(self, n: int, training: bool = False):
        """The (start, stop) shards a batch of n is split into across threads or worker
        processes (striate.engine.threads), or None when it runs whole."""
        return self._engine.shards(n, training)

    # ---- training -------------------------------------------------------------
    def compile(self, optimizer="sgd", loss="cross_entropy", metrics=()):
        """Choose the optimizer, the loss and the metrics to report."""
        self.optimizer = optim_mod.get(optimizer)
        self.loss = losses_mod.get(loss)
        self.metrics = [metrics_mod.get(m) for m in metrics]
        return self

    def train_step(self, x, y):
        """Forward, loss, backward, one optimizer step. Returns (loss, predictions).

        Large batches are split into shards (striate.engine): the first runs here, the
        others in worker processes or, failing those, on threads with replicas of the
        layers; each shard's loss gradient is weighted by its share of the batch, so the
        shards' gradients add up to the batch's before the step.
        """
        self._ensure_built(x)
        loss, out = self._engine.train(x, y)
        self.optimizer.step(self.layers)
        return loss, out

    def _infer(self, x):
        """forward(x) for inference, in pieces and shards (striate.engine.inference)."""
        self._ensure_built(x)
        return self._engine.infer(x)

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None, shuffle=True, verbose=1, callbacks=None,
            initial_epoch=0, checkpoint=None, checkpoint_every="epoch", resume=None, distributed=False) -> History:
        """Train for `epochs` passes over (x, y) in shuffled mini-batches.

        Args:
            x: inputs (N, *input_shape); y: labels (N,) or targets.
            validation_data: (x_val, y_val), evaluated after every epoch.
            verbose: 0 silent, 1 a progress bar and a line per epoch, 2 a line per epoch.
            callbacks: list of striate.callbacks.Callback.
            checkpoint: a path; a checkpoint (weights, optimizer, RNG, position, history,
                callbacks) is written there atomically at the end of every epoch, and
                every `checkpoint_every` optimizer steps when that is an int.
            resume: a checkpoint path to continue from, or True for `checkpoint` if that
                file exists. The run ends bit-identical to one never interrupted.
            distributed: True to train over the MPI ranks of `mpiexec -n P` (distribute()):
                batch_size is the global batch, split over the ranks; rank 0 alone prints
                and writes checkpoints, which every rank reads to resume (a rank that
                finds none, or another position, stops every rank: engine.mpi.RanksStopped).
        Returns:
            History with per-epoch "loss", metric names, and "val_" versions.
        """
        if self.optimizer is None:
            raise RuntimeError("Sequential.fit(): call compile(optimizer, loss, metrics) first")
        x, y = inputs.check_data(x, y, "fit")
        epochs, batch_size = inputs.count(epochs, "epochs", "fit"), inputs.count(batch_size, "batch_size", "fit")
        initial_epoch = inputs.count(initial_epoch, "initial_epoch", "fit", minimum=0)
        self._ensure_built(x)
        if distributed and self._engine.comm is None:
            self.distribute()
        if self.rank != 0:
            verbose = 0
        history = History()
        cbs: list[Callback] = [*(callbacks or []), history]  # History last: it sees what others add to logs
        for cb in cbs:
            cb.model = self
        self.stop_training = False
        for cb in cbs:
            cb.on_train_begin()
        n = len(x)
        pos = Position(epoch=initial_epoch)
        saver = None
        try:  # the checkpoint's lock is let go however fit ends, from here on
            if checkpoint is not None or resume not in (None, False):
                checkpointer = registry.file_support("checkpointer")  # striate.io's, above the model
                with mpi.together(self._engine.comm):  # rank 0's lock, any rank's read: all ranks stop if one fails
                    saver = checkpointer(self, cbs, checkpoint, checkpoint_every,
                                         {"batch_size": batch_size, "samples": n, "shuffle": bool(shuffle)},
                                         write=self.rank == 0)
                    pos = saver.resume(resume) or pos  # weights, optimizer, RNG, callbacks as they were
            if (comm := self._engine.comm) is not None:  # a checkpoint only some ranks read would split the run
                comm.same([pos.epoch, pos.batch, self.optimizer.iterations], "the [epoch, batch, step] fit starts from")
                comm.synchronize(self)  # every rank starts from rank 0's weights and RNGs
            guard = inputs.DivergenceGuard(self, saver)
            last = 0 if pos.stopped else epochs  # a run that stopped early stays stopped
            for epoch in range(pos.epoch, last):
                if pos.batch == 0:  # (a run resumed mid-epoch has begun this epoch already)
                    pos.start(epoch, self.rng, ["loss", *(name for name, _ in self.metrics)])
                    for cb in cbs:
                        cb.on_epoch_begin(epoch)
                order = self.rng.permutation(n) if shuffle else np.arange(n)
                bar = ProgressBar(n, f"Epoch {epoch + 1}/{epochs} ") if verbose == 1 else None
                sums = pos.sums
                for b in range(pos.batch, -(-n // batch_size)):
                    idx = order[b * batch_size : (b + 1) * batch_size]
                    xb, yb = x[idx], y[idx]
                    loss, out = self.train_step(xb, yb)
                    guard.check(loss, epoch, b)  # NaN or exploding: stop before the checkpoint
                    sums["loss"] += loss * len(idx)
                    for name, fn in self.metrics:
                        sums[name] += float(fn(out, yb)) * len(idx)
                    pos.batch, pos.seen = b + 1, pos.seen + len(idx)
                    logs = {k: v / pos.seen for k, v in sums.items()}
                    for cb in cbs:
                        cb.on_batch_end(b, logs)
                    if bar:
                        bar.update(pos.seen, logs)
                    if saver:
                        saver.after_batch(pos)
                logs = {k: v / pos.seen for k, v in sums.items()}
                if validation_data is not None:
                    val = self.evaluate(*validation_data, batch_size=max(batch_size, 256))
                    logs.update({f"val_{k}": v for k, v in val.items()})
                summary = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
                if bar:
                    bar.finish(summary)
                elif verbose == 2:
                    print(f"Epoch {epoch + 1}/{epochs} - {summary}", flush=True)
                for cb in cbs:
                    cb.on_epoch_end(epoch, logs)
                if comm is not None:  # the ranks still one model, all stopping or none
                    comm.same_model(self, f"epoch {epoch + 1}")
                pos.finish(epoch, self.rng, self.stop_training)
                if saver:
                    saver.after_epoch(pos)
                if self.stop_training:
                    break
        finally:
            if saver:
                saver.close()  # the checkpoint's lock, however fit ends
        for cb in cbs:
            cb.on_train_end()
        return history

    def evaluate(self, x, y, batch_size=256) -> dict[str, float]:
        """Loss and metrics over (x, y), computed in batches: {"loss": ..., "accuracy": ...}."""
        # never compiled (just loaded): a classifier is scored with cross-entropy and accuracy
        loss, metrics = (self.loss, self.metrics) if self.loss is not None else classifier.default_scoring(self)
        x, y = inputs.check_data(x, y, "evaluate")
        batch_size = inputs.count(batch_size, "batch_size", "evaluate")
        sums = {"loss": 0.0, **{name: 0.0 for name, _ in metrics}}
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            out = self._infer(xb)
            sums["loss"] += loss.forward(out, yb) * len(xb)
            for name, fn in metrics:
                sums[name] += fn(out, yb) * len(xb)
        return {k: v / len(x) for k, v in sums.items()}

    def predict(self, x, batch_size=256) -> np.ndarray:
        """Outputs of the last layer for every sample of x, computed in batches."""
        x = inputs.check_x(x, "predict")
        self._ensure_built(x)
        batch_size = inputs.count(batch_size, "batch_size", "predict")
        if 0 < len(x) <= batch_size:  # one batch: its output is new, unless a view of x itself
            out = self._infer(x)
            return out.copy() if np.may_share_memory(out, x) else out
        out = None
        for start in range(0, len(x), batch_size):
            yb = self._infer(x[start : start + batch_size])
            if out is None:
                out = np.empty((len(x), *yb.shape[1:]), dtype=yb.dtype)
            out[start : start + len(yb)] = yb
        if out is None:
            raise ValueError("predict: no samples")
        return out

    def predict_proba(self, x, batch_size=256) -> np.ndarray:
        """Class probabilities (N, K), rows summing to 1: softmax of predict(x) (striate.classifier)."""
        return classifier.probabilities(self, self.predict(x, batch_size=batch_size))
