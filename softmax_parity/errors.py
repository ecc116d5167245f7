"""Errors the CLI turns into one line on stderr."""


class UsageError(ValueError):
    """The user asked for something that cannot be done as asked (exit status 2)."""
