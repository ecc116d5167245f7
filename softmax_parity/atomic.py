"""Write files so that a crash never leaves a half-written one under the real name."""
from __future__ import annotations

import json
import os

from numpy_softmax._fetch import atomic_write


def write_json(path, obj) -> None:
    """Serialise `obj` as indented JSON and rename it into place at `path`."""
    atomic_write(path, (json.dumps(obj, indent=2, allow_nan=False) + "\n").encode())


def write_bytes(path, data: bytes) -> None:
    atomic_write(path, data)


__all__ = ["write_json", "write_bytes", "atomic_write", "os"]
