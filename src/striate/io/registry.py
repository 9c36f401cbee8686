"""The fixed tables of type names, now striate.registry (the engine's worker processes
use them too, and the engine sits below io); kept here for the modules that import it
from io."""

from ..registry import (DTYPES, LAYERS, LOSSES, MODELS, OPTIMIZERS, SCHEDULES, create, describe, describe_model,
                        from_json, to_json, type_name)

__all__ = ["DTYPES", "LAYERS", "LOSSES", "MODELS", "OPTIMIZERS", "SCHEDULES", "create", "describe", "describe_model",
           "from_json", "to_json", "type_name"]
