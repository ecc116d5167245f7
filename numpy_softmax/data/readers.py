"""Readers for the two file formats MNIST ships in: IDX (LeCun's, gzipped or not) and
keras-style npz. They check everything before allocating: a header cannot make us reserve more
memory than the file holds, and every failure is a DataError naming the file.

Bounds, all checked before any array is made:
  * a file, or a gzip stream once inflated, is at most MAX_BYTES (a gzip bomb stops there);
  * an IDX header must match the data length exactly (2^31 claimed images in a 16-byte file
    is refused on arithmetic, never allocated);
  * an npz member's .npy header is read first: object dtypes (pickles) and anything but plain
    numbers are refused, and shape x itemsize must equal the member's real length.
"""
from __future__ import annotations

import gzip
import io
import lzma
import os
import struct
import zipfile
import zlib

import numpy as np

from ..errors import DataError

IDX_UBYTE = 0x08  # the only element type MNIST uses: unsigned byte
MAX_ITEMS = 10_000_000  # far above any MNIST-like set (70,000); refuses absurd headers
MAX_BYTES = 64 * 2**20  # the largest MNIST file, train images, unpacks to 47,040,016 bytes
GZIP_MAGIC = b"\x1f\x8b"
# what to do about a bad file: it may be the user's own or the cache's
REPLACE = "replace it with a good copy (a cache file is fetched again once deleted)"
NPY_KINDS = "biuf"  # bool, signed and unsigned integers, floats: all an npz here may hold


def _fix(path) -> str:
    return f"{path}: the file is corrupt; {REPLACE}"


def unpack(raw: bytes, path, limit: int = MAX_BYTES) -> bytes:
    """`raw` itself, or its gunzipped content if it starts with the gzip magic. Inflates in
    64 KiB blocks and stops past `limit` bytes, so a small file cannot expand into gigabytes
    (and no buffer of `limit` bytes is reserved up front)."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as g:
            while len(out) <= limit:
                block = g.read(2**16)
                if not block:
                    break
                out += block
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        raise DataError(f"{path}: gzip stream is cut short or damaged ({e}); "
                        + REPLACE) from None
    if len(out) > limit:
        raise DataError(f"{path}: larger than {limit} bytes once unpacked; not an MNIST file")
    return out


def read_bytes(path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, gunzipped if it is gzip. Refuses files or contents over `limit`."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise DataError(f"{path}: {size} bytes, over the {limit}-byte limit; not an "
                                "MNIST file")
            raw = f.read()  # sized from fstat: no buffer of `limit` bytes reserved
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None
    return unpack(raw, path, limit)


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
    want = 1
    for d in dims:  # Python ints: exact whatever the header claims
        want *= d
    have = len(data) - header
    if have != want:
        kind = "truncated" if have < want else "longer than its header says"
        raise DataError(f"{path}: {kind}: header {dims} needs {want} data bytes, file has "
                        f"{have}; {REPLACE}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path, expect_ndim: int) -> np.ndarray:
    """An IDX file (gzipped or not) as a uint8 array of `expect_ndim` dims."""
    return parse_idx(read_bytes(path), path, expect_ndim)


class _Counting:
    """A read-only file wrapper that counts the bytes read (the .npy header's length)."""

    def __init__(self, f):
        self.f, self.n = f, 0

    def read(self, size=-1) -> bytes:
        b = self.f.read(size)
        self.n += len(b)
        return b


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where, limit: int) -> np.ndarray:
    """One .npy member, header checked before the array is allocated."""
    name = info.filename
    if info.file_size > limit:
        raise DataError(f"{where}: member {name} unpacks to {info.file_size} bytes, over the "
                        f"{limit}-byte limit; not an MNIST file")
    with zf.open(info) as raw:
        f = _Counting(raw)
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DataError(f"{where}: member {name} has .npy format {version}; "
                            "only 1.0 and 2.0 are read")
        if dtype.hasobject:
            raise DataError(f"{where}: member {name} holds pickled Python objects; refused. "
                            "Only plain numeric arrays are read")
        if dtype.kind not in NPY_KINDS or dtype.names is not None or dtype.subdtype is not None:
            raise DataError(f"{where}: member {name} has dtype {dtype}; refused. Only plain "
                            "numeric arrays are read")
        count = 1
        for d in shape:  # Python ints: no overflow whatever the header claims
            count *= d
        nbytes = count * dtype.itemsize
        have = info.file_size - f.n
        if nbytes != have:
            raise DataError(f"{where}: member {name} claims shape {shape} of {dtype} "
                            f"({nbytes} bytes) but holds {have}; the file is corrupt or hostile")
        buf = np.empty(nbytes, dtype=np.uint8)  # (nbytes,) no larger than the member itself
        view, got = memoryview(buf), 0
        while got < nbytes:
            n = raw.readinto(view[got:])
            if not n:
                raise DataError(f"{where}: member {name} is cut short; " + REPLACE)
            got += n
    return buf.view(dtype).reshape(shape, order="F" if fortran else "C")


# What a damaged or hostile zip can raise from zipfile, zlib/lzma/bz2 and numpy's header parser.
_NPZ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, KeyError,
               ValueError, NotImplementedError, RuntimeError, struct.error, OverflowError,
               SyntaxError, TypeError)


def read_npz_arrays(source, where, keys, *, limit: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """The arrays `keys` of an npz (a path, or the file's bytes), never unpickling anything:
    each member's .npy header is checked (plain numeric dtype, size matching its length)
    before its array is allocated. Raises DataError naming `where` for anything else."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        with zipfile.ZipFile(source) as zf:
            members = {i.filename: i for i in zf.infolist()}
            missing = [k for k in keys if k + ".npy" not in members]
            if missing:
                raise DataError(f"{where}: npz lacks {', '.join(missing)}; expected "
                                f"{', '.join(keys)}")
            return {k: _read_member(zf, members[k + ".npy"], where, limit) for k in keys}
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{where}: no such file") from None
    except _NPZ_ERRORS as e:
        raise DataError(f"{where}: not a readable npz ({type(e).__name__}: {e}); "
                        + REPLACE) from None


def read_npz(path, where=None) -> dict[str, np.ndarray]:
    """A keras-style mnist.npz (a path, or its bytes with `where` naming them): x_train
    (N, 28, 28), y_train (N,), x_test, y_test, all uint8 (labels may be any integer type).
    Never unpickles (see read_npz_arrays)."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        return read_npz_arrays(path, where or path, keys)
    except DataError as e:
        if "npz lacks" in str(e):
            raise DataError(f"{e} (the keras mnist.npz layout)") from None
        raise


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
