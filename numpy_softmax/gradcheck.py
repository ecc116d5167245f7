"""Finite-difference gradient checking: is a claimed gradient the gradient of f?

Point it at a scalar function f(x) and the gradient you claim for it at x (an array, or a
function returning one); it compares that gradient with central differences of f, in float64:

    numeric_i = (f(x - 2h e_i) - 8 f(x - h e_i) + 8 f(x + h e_i) - f(x + 2h e_i)) / 12h   (order 4)
    numeric_i = (f(x + h e_i) - f(x - h e_i)) / 2h                                         (order 2)
    rel_i     = |analytic_i - numeric_i| / max(|analytic_i|, |numeric_i|, floor)

The floor keeps entries whose true gradient is 0 or tiny (MNIST border pixels are always 0)
from dividing finite-difference noise by nothing: below the floor an entry is held to the
absolute error threshold * floor instead. The floor used is the larger of the one given and
noise / threshold, where noise = 2 eps max(|f(x)|, f_scale) sum|w| / h estimates the rounding
noise of the stencil (eps = 2.2e-16, w its weights; f_scale, if given, is the magnitude of
f's intermediate values when they are much larger than f itself, e.g. logits ~1e4 around a
loss ~1): no entry is asked to be more exact than finite differences can measure, and every
error above both threshold * |gradient| and that noise fails.

Small inputs (x.size <= max_full) get every entry checked; large ones get n_samples entries
drawn at random. Either way n_directions random unit directions v add a check of the whole
gradient at once: v . grad against (f(x + h v) - f(x - h v)) / 2h (same stencil, along v).

Why order 4 by default: on a real MNIST batch (float64, loss ~2.3) the order-2 difference has
~5e-11 absolute error at its best step (h ~ 1e-5; rounding in f grows as h shrinks, truncation
as h grows), the order-4 one ~8e-13 at h = 1e-3, which is what lets a check with threshold 1e-7
reach down to gradient entries of 1e-5.

Pure NumPy; never imports TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import InputError
from .tolerances import GRADCHECK_BAR

# Stencils: offsets k (in steps of h) and weights w, numeric = sum_k w_k f(x + k h) / h.
_STENCILS = {
    2: ((-1, 1), (-0.5, 0.5)),
    4: ((-2, -1, 1, 2), (1 / 12, -8 / 12, 8 / 12, -1 / 12)),
}


@dataclass(frozen=True)
class Entry:
    """One checked entry: its index in x, the claimed and the finite-difference derivative."""

    index: tuple
    analytic: float
    numeric: float
    rel_error: float


@dataclass(frozen=True)
class GradcheckReport:
    """What gradcheck found. `passed` is True when every check is finite and within threshold."""

    name: str
    shape: tuple
    mode: str                       # "full" (every entry), "sampled" or "not run" (see problem)
    n_entries: int                  # entries compared one by one
    n_directions: int               # random directions compared
    max_rel_error: float            # over entries and directions
    median_rel_error: float         # over entries
    direction_max_rel_error: float  # over directions (nan when n_directions == 0)
    worst: tuple                    # of Entry, largest rel_error first
    threshold: float
    h: float
    order: int
    floor: float                    # the floor used: max(floor given, noise / threshold)
    noise: float                    # estimated absolute rounding noise of the stencil
    passed: bool
    problem: str | None = None      # why the check could not run or what was not finite

    def summary(self) -> str:
        """A few lines for people: verdict, figures, worst entries."""
        verdict = "PASS" if self.passed else "FAIL"
        if self.mode == "not run":
            return f"{self.name}: {verdict}: {self.problem}"
        lines = [f"{self.name} {self.shape}: {verdict}  max rel error {self.max_rel_error:.2e} "
                 f"(threshold {self.threshold:.0e}), median {self.median_rel_error:.2e}, "
                 f"{self.mode} {self.n_entries} entries + {self.n_directions} directions "
                 f"(max {self.direction_max_rel_error:.2e}); h={self.h:g}, order {self.order}, "
                 f"floor {self.floor:.2g}"]
        if self.problem:
            lines.append(f"  problem: {self.problem}")
        for e in self.worst:
            lines.append(f"  worst {e.index}: analytic {e.analytic:+.10e}  numeric "
                         f"{e.numeric:+.10e}  rel {e.rel_error:.2e}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def rel_error(a, n, floor: float) -> np.ndarray:
    """|a - n| / max(|a|, |n|, floor), elementwise; 0 where all three are 0; inf if not finite."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    den = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.abs(a - n) / den
    r = np.where((den == 0) & (a == n), 0.0, r)  # both exactly 0 with floor 0: agree
    return np.where(np.isfinite(r), r, np.inf)  # NaN / inf anywhere is a failure, never a pass


def _scalar(f, x: np.ndarray) -> float:
    v = np.asarray(f(x))
    if v.size != 1:
        raise InputError(f"gradcheck needs f(x) to return a scalar, got shape {v.shape}")
    return float(v.reshape(()))


def _directional(f, x: np.ndarray, v: np.ndarray, h: float, order: int) -> float:
    """d/dt f(x + t v) at t = 0 by the central stencil of `order` (v may be a unit basis e_i)."""
    offsets, weights = _STENCILS[order]
    total = 0.0
    for k, w in zip(offsets, weights):
        total += w * _scalar(f, x + (k * h) * v)
    return total / h


def _entry_derivative(f, x: np.ndarray, i: int, h: float, order: int) -> float:
    """The stencil along entry i, perturbing one entry of a float64 copy (no (size,) basis
    vector: the work per entry is f's alone)."""
    offsets, weights = _STENCILS[order]
    xp = x.copy()
    flat = xp.reshape(-1)  # a view of xp
    x0 = flat[i]
    total = 0.0
    for k, w in zip(offsets, weights):
        flat[i] = x0 + k * h
        total += w * _scalar(f, xp)
    return total / h


def gradcheck(f: Callable[[np.ndarray], float], x, grad, *, name: str = "x",
              h: float = 1e-3, order: int = 4, floor: float = GRADCHECK_BAR["floor"],
              threshold: float = GRADCHECK_BAR["threshold"],
              max_full: int = 1000, n_samples: int = 200, n_directions: int = 10,
              n_worst: int = 5, seed: int = 0, f_scale: float = 0.0) -> GradcheckReport:
    """Check a claimed gradient of the scalar function f at x against finite differences.

    f:         f(x) -> scalar, called with float64 arrays of x's shape (so it runs in float64
               if its own constants allow it: cast what it closes over to float64).
    x:         the point, any float or int array; copied to float64, never modified.
    grad:      the claimed df/dx at x, an array of x's shape, or a function grad(x) -> array.
    h, order:  step and stencil (4: O(h^4) error, 4 calls of f per entry; 2: O(h^2), 2 calls;
               for order 2 use h ~ 1e-5). h is absolute: scale x to O(1) or choose h to match.
    floor:     smallest denominator of the relative error (see the module docstring; the one
               used is at least the stencil's noise / threshold).
    threshold: pass when every relative error (entries and directions) is <= threshold.
    max_full:  check every entry when x.size <= max_full, else n_samples random entries.
    n_directions: random unit directions (standard normal, normalised) for v . grad checks.
    seed:      drives the sampled entries and the directions (np.random.default_rng(seed)).
    f_scale:   magnitude of f's intermediate values, if larger than |f(x)| (see the module
               docstring); it only raises the noise estimate, hence the floor.
    Returns a GradcheckReport; a gradient of the wrong shape or with NaN/inf fails the report
    (it does not raise). Raises InputError for arguments that make no check possible.
    """
    if order not in _STENCILS:
        raise InputError(f"order must be 2 or 4, got {order!r}")
    for label, v in (("h", h), ("threshold", threshold)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{label} must be a finite number > 0, got {v!r}")
    for label, v in (("floor", floor), ("f_scale", f_scale)):
        if not (np.isfinite(v) and v >= 0):
            raise InputError(f"{label} must be a finite number >= 0, got {v!r}")
    x = np.array(x, dtype=np.float64)  # a float64 copy: the caller's array is never touched
    if x.size == 0:
        raise InputError("gradcheck needs a non-empty x")
    if not np.all(np.isfinite(x)):
        raise InputError("x holds NaN or inf; finite differences need a finite point")
    a = np.asarray(grad(x.copy()) if callable(grad) else grad)
    if a.dtype.kind not in "fiu":
        raise InputError(f"grad must be a numeric array, got dtype {a.dtype}")
    a = a.astype(np.float64)

    noise = 0.0

    def report(mode, n_entries, n_dirs, rel_all, rel_entries, rel_dirs, worst, problem):
        finite = problem is None
        mx = float(np.max(rel_all)) if rel_all.size else float("nan")
        return GradcheckReport(
            name=name, shape=tuple(x.shape), mode=mode, n_entries=n_entries,
            n_directions=n_dirs, max_rel_error=mx,
            median_rel_error=float(np.median(rel_entries)) if rel_entries.size else float("nan"),
            direction_max_rel_error=float(np.max(rel_dirs)) if rel_dirs.size else float("nan"),
            worst=worst, threshold=threshold, h=h, order=order, floor=floor, noise=noise,
            passed=bool(finite and rel_all.size and mx <= threshold), problem=problem)

    if a.shape != x.shape:
        empty = np.zeros(0)
        return report("not run", 0, 0, empty, empty, empty, (),
                      f"the gradient has shape {a.shape}, x has shape {x.shape}")

    f0 = _scalar(f, x.copy())
    weights = _STENCILS[order][1]
    eps = np.finfo(np.float64).eps
    noise = 2 * eps * max(abs(f0), f_scale) * float(np.sum(np.abs(weights))) / h  # f's rounding
    floor = max(floor, noise / threshold) if np.isfinite(noise) else floor

    rng = np.random.default_rng(seed)
    if x.size <= max_full:
        mode, idx = "full", np.arange(x.size)
    else:
        mode, idx = "sampled", np.sort(rng.choice(x.size, size=min(n_samples, x.size),
                                                   replace=False))
    a_flat = a.reshape(-1)
    num = np.array([_entry_derivative(f, x, int(i), h, order) for i in idx])  # (n_entries,)
    rel_e = rel_error(a_flat[idx], num, floor)  # (n_entries,)

    a_dir, n_dir = [], []
    for _ in range(n_directions):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)  # a unit direction: h means the same step length as per entry
        a_dir.append(float(np.sum(a * v)))  # v . grad
        n_dir.append(_directional(f, x, v, h, order))
    rel_d = rel_error(np.array(a_dir), np.array(n_dir), floor)  # (n_directions,)

    order_e = np.argsort(-rel_e, kind="stable")[:n_worst]
    worst = tuple(Entry(tuple(int(j) for j in np.unravel_index(int(idx[k]), x.shape)),
                        float(a_flat[idx[k]]), float(num[k]), float(rel_e[k])) for k in order_e)
    problem = None
    bad = int(np.sum(~np.isfinite(rel_e)) + np.sum(~np.isfinite(rel_d)))
    if bad or not np.all(np.isfinite(a)):
        problem = (f"{int(np.sum(~np.isfinite(a)))} non-finite entries in the claimed gradient, "
                   f"{bad} checks with NaN/inf (analytic or numeric)")
    rel_all = np.concatenate([rel_e, rel_d])
    return report(mode, int(idx.size), n_directions, rel_all, rel_e, rel_d, worst, problem)
