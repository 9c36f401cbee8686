"""striate: convolutional neural networks from first principles on NumPy.

    import striate
    from striate import layers as L, optim

    model = striate.Sequential([L.Conv2D(6, 5, padding=2), L.ReLU(), L.MaxPool2D(2),
                                L.Flatten(), L.Dense(10)], input_shape=(28, 28, 1))
    model.save("model.striate");  model = striate.load("model.striate")
"""

from . import callbacks, datasets, functional, init, layers, losses, metrics, models, optim, schedules, tune
from . import limits  # what a file from a stranger may make striate allocate
from .errors import FormatError
from .functional.switch import reference, reference_path, set_reference
from .model import Sequential
from . import engine  # how a model's layers run: steps, shards, worker processes
from . import io, onnx  # both build on Sequential
from .io import load

__version__ = "0.1.0"

__all__ = ["Sequential", "load", "engine", "FormatError", "io", "onnx", "layers", "losses", "optim", "schedules", "init",
           "metrics", "callbacks", "functional", "models", "datasets", "tune", "limits", "reference", "reference_path",
           "set_reference",
           "__version__"]
