"""Safe model files, checkpoints for resuming, and the safetensors container under both.

    model.save("lenet.striate");  model = striate.load("lenet.striate")
    model.fit(x, y, checkpoint="run.ckpt", checkpoint_every=100, resume=True)

Modules: safefile (the safetensors format, checked), atomic (crash-safe writes),
document (a JSON document + checksum in the metadata), registry (type names → classes),
model_file (save / load), state and checkpoint (training state, fit's checkpoints),
config (a network described layer by layer in TOML).
"""

from . import checkpoint, config, document, file_kind, model_file
from .model_file import save

__all__ = ["load", "save"]


def load(path):
    """The model in a striate file — a model file or a checkpoint — ready for predict.

    Nothing in the file is executed, imported or unpickled: layer types come from a
    fixed table, their arguments are JSON values, the weights are raw numbers. Any
    inconsistency raises striate.FormatError naming the file.
    """
    file_kind.check(path)  # a TOML, ONNX, image ... file: say what it is
    doc, tensors = document.read(path)
    if doc["kind"] == "checkpoint":
        return checkpoint.from_document(doc, tensors, path).model
    return model_file.from_document(doc, tensors, path)
