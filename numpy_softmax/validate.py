"""Checks at the API edge: each public function validates its arrays once, here, and then
calls the unchecked math. Messages name the argument, the expected shape and what was seen.

Dimensions: N examples, D features, C classes.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .tolerances import PROB_SUM_TOL


def float_array(name: str, a, ndim: int | tuple[int, ...]) -> np.ndarray:
    """`a` as a float32/float64 array of `ndim` dims, all finite. Integer/bool input becomes
    float64 (as NumPy's own ufuncs do); float16 becomes float32; anything else is refused."""
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.float32, np.float64):
        raise InputError(f"{name} must be a float32 or float64 array, got dtype {arr.dtype}")
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise InputError(f"{name} must be {want}, got shape {arr.shape}")
    if arr.size == 0 and arr.ndim >= 1 and 0 in arr.shape[1:]:
        raise InputError(f"{name} has shape {arr.shape}: needs at least one class (column)")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise InputError(f"{name} holds {bad} NaN or inf value(s); inputs must be finite")
    return arr


def axis(name: str, ax, ndim: int) -> None:
    """An axis of an array with `ndim` dims: an int in [-ndim, ndim)."""
    if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool) or not -ndim <= ax < ndim:
        raise InputError(f"{name} must be an integer in [{-ndim}, {ndim}) for a {ndim}-D array, "
                         f"got {ax!r}")


def labels(name: str, y, n: int, c: int, dtype) -> tuple[str, np.ndarray]:
    """Classify and check labels for N rows and C classes.

    Returns ("ids", int64 array (N,)) or ("probs", float array (N, C) of `dtype`)."""
    arr = np.asarray(y)
    if arr.ndim == 1:
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
                raise InputError(f"{name} are class ids but hold non-integer values; "
                                 "pass integers in [0, C) or probability rows of shape (N, C)")
            arr = arr.astype(np.int64)
        elif arr.dtype.kind not in "iu":
            raise InputError(f"{name} must be integer class ids, got dtype {arr.dtype}")
        if arr.shape[0] != n:
            raise InputError(f"{name} has {arr.shape[0]} entries but the logits have {n} rows")
        if arr.size and (arr.min() < 0 or arr.max() >= c):
            lo, hi = int(arr.min()), int(arr.max())
            raise InputError(f"{name} must lie in [0, {c}) for {c} classes, found values in "
                             f"[{lo}, {hi}]")
        return "ids", arr.astype(np.int64, copy=False)
    if arr.ndim == 2:
        if arr.shape != (n, c):
            raise InputError(f"{name} as probability rows must have shape ({n}, {c}) to match "
                             f"the logits, got {arr.shape}")
        p = float_array(name, arr, 2).astype(dtype, copy=False)
        if np.any(p < 0) or np.any(p > 1):
            raise InputError(f"{name} probability rows must lie in [0, 1]")
        sums = p.sum(axis=1, dtype=np.float64)  # (N,)
        tol = PROB_SUM_TOL[np.dtype(dtype)]
        if p.size and np.max(np.abs(sums - 1.0)) > tol:
            i = int(np.argmax(np.abs(sums - 1.0)))
            raise InputError(f"{name} row {i} sums to {sums[i]:.8g}, not 1 (tolerance {tol:g}); "
                             "probability labels must be distributions")
        return "probs", p
    raise InputError(f"{name} must be class ids (N,) or probability rows (N, C), "
                     f"got shape {arr.shape}")
