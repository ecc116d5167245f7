"""Checks at the API edge: each public function validates its arrays once, here, and then
calls the unchecked math. Messages name the argument, the expected shape and what was seen.

Dimensions: N examples, D features, C classes.
"""
from __future__ import annotations

import numpy as np

from .errors import InputError
from .tolerances import PROB_SUM_TOL


def _as_float(name: str, a) -> np.ndarray:
    """`a` as a float32/float64 array. Integer/bool input becomes float64 (as NumPy's own ufuncs
    do); float16 becomes float32; anything else (complex, object, strings) is refused."""
    arr = np.asarray(a)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype not in (np.float32, np.float64):
        raise InputError(f"{name} must be a float32 or float64 array, got dtype {arr.dtype}")
    return arr


def float_array(name: str, a, ndim: int | tuple[int, ...]) -> np.ndarray:
    """`a` as a float32/float64 array (see _as_float) of `ndim` dims, all finite, with at least
    one column when it has two dims or more."""
    arr = _as_float(name, a)
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


def _where(name: str, index) -> str:
    """z[2, 1] for an entry, z[2, :] for a slice (index holds slice(None) along its axis)."""
    parts = [":" if isinstance(i, slice) else str(int(i)) for i in index]
    return f"{name}[{', '.join(parts)}]"


def masked_logits(name: str, a, ndim: int | None = None) -> np.ndarray:
    """Logits as a float32/float64 array (see _as_float) of at least 1 dim (exactly `ndim` if
    given) whose entries are finite or -inf. -inf is a masked class: exp(-inf) = 0 gives it
    probability 0. NaN and +inf have no softmax (TF silently returns NaN): refused, naming the
    first such entry."""
    arr = _as_float(name, a)
    if arr.ndim == 0:
        raise InputError(f"{name} needs at least 1 dimension, got a scalar")
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    bad = np.isnan(arr) | (arr == np.inf)  # one pass; -inf (a mask) is allowed
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        what = "NaN" if np.isnan(arr[i]) else "+inf"
        raise InputError(f"{_where(name, i)} is {what}; logits must be finite, or -inf to mask "
                         "a class")
    return arr


def classes(name: str, z: np.ndarray, ax) -> None:
    """The axis softmax normalises along (None: the whole array) holds at least one class."""
    if (z.size if ax is None else z.shape[ax]) == 0:
        along = "" if ax is None else f" along axis {ax}"
        raise InputError(f"{name} has shape {z.shape}: needs at least one class{along}")


def not_fully_masked(name: str, z: np.ndarray, ax, what: str) -> None:
    """Every slice along `ax` (None: the whole array) keeps at least one class unmasked: a slice
    of -inf only has no softmax (0 / 0; TF silently returns NaN). Names the first such slice."""
    if ax is None:
        if z.size and np.all(z == -np.inf):
            raise InputError(f"{name} is fully masked (every entry -inf): {what} has no answer")
        return
    dead = np.all(z == -np.inf, axis=ax)  # (shape without ax)
    if dead.any():
        i = list(np.argwhere(dead)[0]) if dead.ndim else []
        i.insert(ax % z.ndim, slice(None))
        raise InputError(f"{_where(name, i)} is fully masked (every entry -inf): {what} has no "
                         "answer there")


def axis(name: str, ax, ndim: int, allow_none: bool = False) -> None:
    """An axis of an array with `ndim` dims: an int in [-ndim, ndim) (or None, if allowed: the
    whole array)."""
    if ax is None and allow_none:
        return
    if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool) or not -ndim <= ax < ndim:
        also = " or None" if allow_none else ""
        raise InputError(f"{name} must be an integer in [{-ndim}, {ndim}){also} for a {ndim}-D "
                         f"array, got {ax!r}")


def no_options(op: str, options: dict) -> None:
    """SciPy's softmax family takes options ours do not (b=, return_sign=, keepdims=): a clear
    refusal instead of Python's TypeError."""
    if options:
        name = sorted(options)[0]
        raise InputError(f"{op} takes only z and axis, got {name}= (SciPy's b, return_sign and "
                         "keepdims are not supported)")


def masked_labels(name: str, z: np.ndarray, kind: str, y: np.ndarray) -> None:
    """No label puts weight on a masked class: there the loss is inf and has no gradient (TF's
    autodiff returns -Y/N at the masked entry, the gradient of nothing). Names the first row."""
    masked = z == -np.inf  # (N, C)
    if not masked.any():
        return
    if kind == "ids":
        hit = masked[np.arange(z.shape[0]), y]  # (N,)
    else:
        hit = np.any(masked & (y > 0), axis=1)  # (N,)
    if hit.any():
        n = int(np.argmax(hit))
        raise InputError(f"{name} row {n} puts its weight on a masked class (logit -inf): the "
                         "loss is inf there and has no gradient")


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
