"""Readers for the two file formats MNIST ships in: IDX (LeCun's, gzipped or not) and
keras-style npz. They check everything before allocating: a header cannot make us reserve more
memory than the file holds, and every failure is a DataError naming the file.
"""
from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib

import numpy as np

from .errors import DataError

IDX_UBYTE = 0x08  # the only element type MNIST uses: unsigned byte
MAX_ITEMS = 10_000_000  # far above any MNIST-like set (70,000); refuses absurd headers
GZIP_MAGIC = b"\x1f\x8b"


def _fix(path) -> str:
    return f"{path}: the file is corrupt; delete it and fetch the data again"


def read_bytes(path, limit: int = 200 * 2**20) -> bytes:
    """The file's bytes, gunzipped if it is gzip. Refuses to inflate past `limit` bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if head != GZIP_MAGIC:
                data = f.read(limit + 1)
            else:
                with gzip.GzipFile(fileobj=f) as g:
                    data = g.read(limit + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path}: gzip stream is cut short or damaged ({e}); "
                        "delete it and fetch the data again") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None
    if len(data) > limit:
        raise DataError(f"{path}: larger than {limit} bytes once unpacked; not an MNIST file")
    return data


def parse_idx(data: bytes, path, expect_ndim: int) -> np.ndarray:
    """Parse IDX bytes: magic 0x0000 0x08 ndim, then ndim big-endian uint32 sizes, then data."""
    if len(data) < 4:
        raise DataError(f"{path}: only {len(data)} bytes, too short for an IDX header; "
                        + _fix(path).split(": ", 1)[1])
    zero, dtype_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or dtype_code != IDX_UBYTE or ndim != expect_ndim:
        raise DataError(f"{path}: wrong IDX magic number 0x{data[:4].hex()} (expected "
                        f"0x000008{expect_ndim:02x}: unsigned bytes, {expect_ndim}-D); "
                        "is this the right file?")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header; " + _fix(path).split(": ", 1)[1])
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if dims[0] > MAX_ITEMS or any(d > 4096 for d in dims[1:]):
        raise DataError(f"{path}: header claims shape {dims}, far beyond any MNIST-like set; "
                        "the file is corrupt or hostile")
    want = int(np.prod(dims, dtype=np.int64))
    have = len(data) - header
    if have != want:
        kind = "truncated" if have < want else "longer than its header says"
        raise DataError(f"{path}: {kind}: header {dims} needs {want} data bytes, file has "
                        f"{have}; delete it and fetch the data again")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path, expect_ndim: int) -> np.ndarray:
    return parse_idx(read_bytes(path), path, expect_ndim)


def read_npz(path) -> dict[str, np.ndarray]:
    """A keras-style mnist.npz: x_train (N, 28, 28), y_train (N,), x_test, y_test, all uint8
    (labels may be any integer type). Never unpickles: allow_pickle=False."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise DataError(f"{path}: npz lacks {', '.join(missing)}; expected the keras "
                                "mnist.npz layout (x_train, y_train, x_test, y_test)")
            out = {k: z[k] for k in keys}
    except DataError:
        raise
    except ValueError as e:  # pickled object arrays land here with allow_pickle=False
        raise DataError(f"{path}: refused: {e}. Only plain numeric arrays are read") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as e:
        raise DataError(f"{path}: not a readable npz ({e}); delete it and fetch again") from None
    return out


def check_arrays(arrs: dict[str, np.ndarray], where) -> dict[str, np.ndarray]:
    """Shapes, dtypes and label range of x_train, y_train, x_test, y_test -> uint8 arrays."""
    out = {}
    for split in ("train", "test"):
        x, y = arrs[f"x_{split}"], arrs[f"y_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise DataError(f"{where}: {split} images must be uint8 (N, 28, 28), got "
                            f"{x.dtype} {x.shape}")
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataError(f"{where}: {split} labels must be integers (N,), got {y.dtype} "
                            f"{y.shape}")
        if x.shape[0] != y.shape[0]:
            raise DataError(f"{where}: {x.shape[0]} {split} images but {y.shape[0]} labels; "
                            "the files do not belong together")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{where}: {split} labels outside 0..9 (found {y.min()}..{y.max()})")
        out[f"x_{split}"] = np.ascontiguousarray(x)
        out[f"y_{split}"] = y.astype(np.uint8)
    return out


IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def find_idx(folder) -> dict[str, str] | None:
    """Paths of the four IDX files in `folder` (plain or .gz), or None if any is missing."""
    found = {}
    for key, stem in IDX_NAMES.items():
        for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"),
                     stem.replace("-idx", ".idx") + ".gz"):
            p = os.path.join(folder, name)
            if os.path.isfile(p):
                found[key] = p
                break
        else:
            return None
    return found


def read_idx_set(paths: dict[str, str]) -> dict[str, np.ndarray]:
    arrs = {k: read_idx(p, 3 if k.startswith("x") else 1) for k, p in paths.items()}
    return check_arrays(arrs, os.path.dirname(paths["x_train"]) or ".")


def npz_bytes(arrs: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrs)
    return buf.getvalue()
