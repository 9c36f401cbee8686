"""Exceptions shared across striate."""


class FormatError(ValueError):
    """A file (model, checkpoint, data set) is not what its format promises.

    The message names the file and what is wrong with it.
    """
