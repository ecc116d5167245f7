"""The errors numpy_softmax raises. Both are ValueErrors, so `except ValueError` catches them."""


class InputError(ValueError):
    """An array handed to the API has the wrong shape, dtype or values (the message says which)."""


class DataError(ValueError):
    """A data file is missing, corrupt or hostile (the message names the file and what to do)."""
