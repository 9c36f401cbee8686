"""Exceptions shared across striate."""


class FormatError(ValueError):
    """A file (model, checkpoint, data set) is not what its format promises.

    The message names the file and what is wrong with it.
    """


class TrainingDiverged(FloatingPointError):
    """fit stopped: the loss became NaN or inf (or exploded). The message names the epoch and
    batch, suggests a lower learning rate and says which checkpoint holds the last good weights.

    Trained over MPI ranks, it is decided from numbers every rank shares (the reduced loss,
    the identical weights), so every rank raises it at once: nothing to abort."""

    every_rank = True
