"""The properties a user's function must have, checked in order on one case, and the
hypothesis search that finds and shrinks a failing case.

In order (the first that breaks is the one reported):
  does not raise   the function returns for every finite input
  output form      loss_and_grads returns (loss, (dW, db)), sgd_step (W, b)
  shape            each output has the reference's shape (a loss: one number)
  dtype            each output array has the input's dtype
  input unchanged  no input array is modified
  finite           finite wherever the reference is
  rows sum to 1    softmax; rows sum to 0: grad_logits (within the budget)
  value            |got - expected| within the budget, entry by entry
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from . import inputs


@dataclass
class Called:
    """A function's outputs on one case (parts, as float arrays) or why there are none."""

    parts: dict | None = None
    mutated: str | None = None  # which input changed, and where
    error: str | None = None    # "ValueError: ..." when it raised
    form: str | None = None     # what was returned instead of the expected form


@dataclass
class Outcome:
    property: str | None = None  # None: every property holds
    expected: object = None
    got: object = None
    where: list = field(default_factory=list)  # the part and index of the worst entry
    called: Called | None = None


def _arrays(x):
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (tuple, list)):
        for v in x:
            yield from _arrays(v)


def call(name: str, fn, case) -> Called:
    args = inputs.arguments(name, case)
    before = [a.copy() for a in _arrays(args)]
    try:
        result = fn(*args)
    except Exception as e:  # the user's function: any exception is its failure
        return Called(error=f"{type(e).__name__}: {e}".strip()[:300])
    mutated = None
    for k, (a, b) in enumerate(zip(before, _arrays(args))):
        if not np.array_equal(a, b, equal_nan=True):
            i = tuple(int(j) for j in np.argwhere(~((a == b) | (np.isnan(a) & np.isnan(b))))[0])
            mutated = f"input {k} changed at {list(i)}: {a[i]!r} -> {b[i]!r}"
            break
    try:
        p = inputs.parts(name, result)
    except (TypeError, ValueError):
        return Called(mutated=mutated, form=type(result).__name__)
    return Called(parts=p, mutated=mutated)


def _num(x):
    x = float(x)
    return x if np.isfinite(x) else repr(x)  # JSON has no NaN or inf


def _shape_ok(name, k, g, e) -> bool:
    if k in inputs.SCALARS.get(name, ()):
        return g.size == 1
    return g.shape == np.shape(e)


def evaluate(name: str, fn, case) -> Outcome:
    """The first property of the module docstring that fails on `case`, or Outcome()."""
    c = call(name, fn, case)
    if c.error:
        return Outcome("does not raise", "a result", c.error, called=c)
    if c.form:
        return Outcome("output form", inputs.SIGNATURES[name], c.form, called=c)
    expected, allowed, rows = inputs.reference(name, case)
    dt = (case.z if case.z is not None else case.X).dtype
    got = {}
    for k, e in expected.items():
        g = np.asarray(c.parts[k])
        if g.dtype.kind not in "fiu":
            return Outcome("output form", "numbers", f"{k}: dtype {g.dtype}", [k], c)
        if not _shape_ok(name, k, g, e):
            return Outcome("shape", list(np.shape(e)), list(g.shape), [k], c)
        if k not in inputs.SCALARS.get(name, ()) and g.dtype != dt:
            return Outcome("dtype", dt.name, g.dtype.name, [k], c)
        got[k] = g.astype(np.float64).reshape(np.shape(e))
    if c.mutated:
        return Outcome("input unchanged", "inputs unchanged", c.mutated, called=c)
    for k, e in expected.items():
        bad = np.isfinite(e) & ~np.isfinite(got[k])
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0]) if np.ndim(e) else ()
            return Outcome("finite", _num(e[i]), _num(got[k][i]), [k, *i], c)
    if rows is not None:
        err = np.abs(got["out"].sum(axis=1) - inputs.ROWS[name])  # (N,)
        if (err > rows).any():
            n = int(np.argmax(err / rows))
            return Outcome(f"rows sum to {inputs.ROWS[name]:g}", inputs.ROWS[name],
                           _num(got["out"][n].sum()), ["out", n], c)
    for k, e in expected.items():
        with np.errstate(invalid="ignore"):
            over = np.abs(got[k] - e) / allowed[k]
        over = np.where(np.isfinite(e), over, 0.0)
        if np.ndim(over) and over.max() > 1 or not np.ndim(over) and over > 1:
            i = tuple(int(j) for j in np.unravel_index(np.argmax(over), np.shape(e)))
            return Outcome("value", _num(e[i]), _num(got[k][i]), [k, *i], c)
    return Outcome(called=c)


def agree(a: Called, b: Called, allowed: dict) -> bool:
    """Do two calls give the same answer: same error-free outputs, shapes, dtypes, NaN and inf
    in the same places, finite values within `allowed`, the input changed by both or neither."""
    if a.parts is None or b.parts is None or bool(a.mutated) != bool(b.mutated):
        return False
    for k in a.parts:
        x, y = np.asarray(a.parts[k]), np.asarray(b.parts[k])
        if x.shape != y.shape and x.size + y.size != 2:
            return False
        if x.ndim and x.dtype != y.dtype or x.dtype.kind not in "fiu" or y.dtype.kind not in "fiu":
            return False
        x, y = x.astype(np.float64).reshape(y.shape), y.astype(np.float64)
        fin = np.isfinite(x) & np.isfinite(y)
        if not np.array_equal(np.where(fin, 0.0, x), np.where(fin, 0.0, y), equal_nan=True):
            return False
        tol = np.asarray(allowed[k])
        tol = tol if tol.shape == y.shape else tol.max()
        if np.any(np.where(fin, np.abs(x - y) > tol, False)):
            return False
    return True


def search(name: str, fn, dtype, labels, examples: int, seed: int):
    """(the minimal failing case, its Outcome), or None when `examples` cases all pass. The
    shrinking keeps to the property that failed first (no slipping to another failure)."""
    first = []

    def fails(case) -> bool:
        prop = evaluate(name, fn, case).property
        if prop is None:
            return False
        first[:] = first or [prop]
        return prop == first[0]

    opts = settings(max_examples=examples, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), derandomize=False)
    try:
        case = find(inputs.strategy(name, dtype, labels), fails, settings=opts,
                    random=random.Random(seed))
    except NoSuchExample:
        return None
    return case, evaluate(name, fn, case)
