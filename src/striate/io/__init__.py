"""Safe model files, checkpoints for resuming, and the safetensors container under both.

    model.save("lenet.striate");  model = striate.load("lenet.striate")
    model.fit(x, y, checkpoint="run.ckpt", checkpoint_every=100, resume=True)

Modules: safefile (the safetensors format, checked), atomic (crash-safe writes), lock
(one run per checkpoint), document (a JSON document + checksum in the metadata),
model_file (save / load), class_names, file_kind (what a file that is no model is),
state and checkpoint (training state, fit's checkpoints), config (a network described
layer by layer in TOML). Type names become classes only through striate.registry.

io sits above the model and the model never imports it: what the model needs of io
(model.save, fit's checkpoints) is put in striate.registry.FILES here, on import.
"""

from ..registry import FILES
from . import checkpoint, config, document, file_kind, model_file
from .model_file import save

FILES.update(save=model_file.save, checkpointer=checkpoint.Checkpointer)

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
