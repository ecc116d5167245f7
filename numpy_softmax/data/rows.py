"""Integer pixels read as float rows, batch by batch: a data format that trains like an array.

Dimensions: N rows, D features, B rows gathered at a time.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError


class ScaledRows:
    """Integer storage read as float rows: X[idx] = data[idx].astype(float32) * float32(scale),
    then cast to `dtype` (float32 or float64).

    This is how the MNIST loader makes Split.images from Split.pixels, so
    ScaledRows(split.pixels, 1/255) has the same rows as split.images (bit for bit, in float32),
    at a quarter of the memory. Shape (N, D) like the array it stands for; train() accepts it
    as X, sgd_epoch reads it through X[idx], fast_epoch through gather().
    """

    def __init__(self, data, scale: float, dtype="float32"):
        data = np.asarray(data)
        if data.dtype.kind not in "iu" or data.ndim != 2:
            raise InputError(f"ScaledRows needs a 2-D integer array (N, D), got dtype "
                             f"{data.dtype} and shape {data.shape}")
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            raise InputError(f"scale must be a finite number > 0, got {scale!r}")
        self.data = data  # (N, D) integers, e.g. uint8 pixels
        self.scale = np.float32(scale)  # the loader multiplies in float32
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise InputError(f"dtype must be float32 or float64, got {self.dtype}")
        self.shape = data.shape
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx) -> np.ndarray:
        rows = self.data[idx].astype(np.float32) * self.scale  # as the loader computes
        return rows.astype(self.dtype, copy=False)

    def astype(self, dtype, copy: bool = True) -> "ScaledRows":
        return ScaledRows(self.data, float(self.scale), dtype)

    def gather(self, idx: np.ndarray, raw: np.ndarray, f32: np.ndarray, out: np.ndarray):
        """out[:] = self[idx] through preallocated buffers raw (B, D) of data's dtype and
        f32 (B, D) float32 (f32 may be `out` itself when dtype is float32). idx must hold
        valid row indices (checked by the caller; negative ones count from the end)."""
        self.data.take(idx, axis=0, out=raw, mode="wrap")  # mode="raise" would buffer `out`
        np.copyto(f32, raw)  # uint8 -> float32, exact; then the multiply in place: the same
        np.multiply(f32, self.scale, out=f32)  # bits as multiply(raw, s, dtype=float32)
        if f32 is not out:
            np.copyto(out, f32)  # float32 -> float64, exact

    def materialize(self) -> np.ndarray:
        """The whole float array (N, D): the float copy this class exists to avoid."""
        return self[slice(None)]

    def array(self) -> np.ndarray:
        """The whole float array (N, D), read-only, and remembering where it came from: its
        .base is a holder of these rows, so source_rows(array) finds them again and train()
        can gather 1 byte per feature instead of 4 (the same numbers). Read-only because that
        promise, array == data * scale, must hold for as long as the array lives."""
        return np.asarray(_Materialized(self))


class _Materialized:
    """Owns a read-only float copy of a ScaledRows and lends it to NumPy (__array_interface__),
    so that the array's .base says which rows it holds."""

    def __init__(self, rows: ScaledRows):
        self.rows = rows
        self.floats = rows.materialize()  # (N, D)
        self.floats.flags.writeable = False
        self.__array_interface__ = self.floats.__array_interface__


def source_rows(X) -> ScaledRows | None:
    """The ScaledRows a float array was made from by ScaledRows.array(), if X is that whole,
    unchanged array (read-only, so it still equals data * scale); None for any other array,
    including a slice or a copy of one."""
    holder = getattr(X, "base", None)
    if not isinstance(holder, _Materialized):
        return None
    f = holder.floats
    same = (isinstance(X, np.ndarray) and X.shape == f.shape and X.dtype == f.dtype
            and X.strides == f.strides and not X.flags.writeable
            and X.__array_interface__["data"][0] == f.__array_interface__["data"][0])
    return holder.rows if same else None
