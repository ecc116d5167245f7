"""Files on disk: SHA-256 of bytes and files, and the one way this project writes a file.

atomic_write puts the bytes in a temporary file in the target folder (PREFIX*.part), flushes
and fsyncs it, renames it over the real name (atomic on POSIX) and fsyncs the folder: a crash
or SIGKILL at any instant leaves the old file or the whole new one under the real name, never a
half-written one. A killed writer's temporary file stays behind; remove_temps clears them.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time

CHUNK = 1 << 16
TMP_PREFIX = ".tmp-"  # atomic_write's temporary files: PREFIX + random + TMP_SUFFIX
TMP_SUFFIX = ".part"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path, data: bytes, *, prefix: str = TMP_PREFIX) -> None:
    """Write `data` to `path`: a temporary file `prefix`*.part in the same folder, flush, fsync,
    rename over `path`, fsync the folder. On any failure the temporary file is removed and
    `path` is untouched. Creates the folder if needed."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)  # atomic: the name holds the old file or the whole new one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)  # the rename itself survives a power cut


def fsync_dir(folder) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_temps(folder, *, prefix: str = TMP_PREFIX, older_than: float = 0.0) -> None:
    """Delete the temporary files (`prefix`*.part) a killed atomic_write left in `folder`,
    those last modified more than `older_than` seconds ago (a younger one may belong to a
    writer running right now)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(TMP_SUFFIX):
            p = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                if older_than <= 0 or time.time() - os.path.getmtime(p) > older_than:
                    os.unlink(p)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
