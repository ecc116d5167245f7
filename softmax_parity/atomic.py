"""Write files so that a crash never leaves a half-written one under the real name.

write_bytes is numpy_softmax.data.atomic_write itself (temp file, fsync, rename, fsync folder):
the project has one such implementation; write_json serialises through it."""
from __future__ import annotations

import json

from numpy_softmax.data import atomic_write as write_bytes


def write_json(path, obj) -> None:
    """Serialise `obj` as indented JSON and rename it into place at `path`."""
    write_bytes(path, (json.dumps(obj, indent=2, allow_nan=False) + "\n").encode())


__all__ = ["write_json", "write_bytes"]
