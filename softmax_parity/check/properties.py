"""The properties a user's function must have, checked in order on one case, and the
hypothesis search that finds and shrinks a failing case.

Every one that breaks is reported, the most serious first:
  does not raise   the function returns for every finite input
  output form      the role's form: (loss, dZ), (loss, (dW, db)), one array, ...
  shape            each output has the reference's shape (a loss: one number)
  finite           finite wherever the reference is
  rows sum to 1    softmax; rows sum to 0: grad_logits (within the budget)
  value            |got - expected| within the budget, entry by entry
  dtype            each output array has the input's dtype
  input unchanged  no input array is modified
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, find, settings
from hypothesis.errors import NoSuchExample

from . import inputs
from .contract import ROLE_TEXT


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


def call(spec, fn, case) -> Called:
    args = inputs.arguments(spec, case)
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
        p = inputs.parts(spec, result)
    except (TypeError, ValueError, IndexError) as e:
        return Called(mutated=mutated, form=str(e) or type(result).__name__)
    return Called(parts=p, mutated=mutated)


def json_number(x):
    """x as a float, or its repr when not finite (JSON has no NaN or inf)."""
    x = float(x)
    return x if np.isfinite(x) else repr(x)  # JSON has no NaN or inf


def _shape_ok(name, k, g, e) -> bool:
    if k in inputs.SCALARS.get(name, ()):
        return g.size == 1
    return g.shape == np.shape(e)


ORDER = ("does not raise", "output form", "shape", "finite", "rows sum to", "value", "dtype",
         "input unchanged")  # the most serious first


def rank(outcome: "Outcome") -> int:
    return next(i for i, p in enumerate(ORDER) if outcome.property.startswith(p))


def failures(spec, fn, case) -> list:
    """Every property of the module docstring that fails on `case`, one Outcome per property
    and output part, the most serious first ([] when all hold)."""
    name = inputs.contract_of(spec).role
    c = call(spec, fn, case)
    if c.error:
        return [Outcome("does not raise", "a result", c.error, called=c)]
    if c.form:
        return [Outcome("output form", ROLE_TEXT[name].signature, c.form, called=c)]
    expected, allowed, rows = inputs.reference(spec, case)
    expected = {k: np.asarray(v, dtype=np.float64) for k, v in expected.items()}
    dt = (case.z if case.z is not None else case.X).dtype
    out, got = [], {}
    for k, e in expected.items():
        if k not in c.parts:
            out.append(Outcome("output form", f"a part {k}", "none", [k], c))
            continue
        try:
            g = np.asarray(c.parts[k])
        except ValueError as err:  # ragged lists
            out.append(Outcome("output form", "an array", str(err)[:100], [k], c))
            continue
        if g.dtype.kind not in "fiu":
            out.append(Outcome("output form", "numbers", f"{k}: dtype {g.dtype}", [k], c))
            continue
        if not _shape_ok(name, k, g, e):
            out.append(Outcome("shape", list(np.shape(e)), list(g.shape), [k], c))
            continue
        if k not in inputs.SCALARS.get(name, ()) and g.dtype != dt:
            out.append(Outcome("dtype", dt.name, g.dtype.name, [k], c))
        got[k] = g.astype(np.float64).reshape(np.shape(e))
    for k, g in got.items():
        e = expected[k]
        bad = np.isfinite(e) & ~np.isfinite(g)
        if bad.any():
            i = tuple(int(j) for j in np.argwhere(bad)[0]) if np.ndim(e) else ()
            out.append(Outcome("finite", json_number(e[i]), json_number(g[i]), [k, *i], c))
            continue
        if rows is not None and k == "out":
            err = np.abs(g.sum(axis=1) - inputs.ROWS[name])  # (N,)
            if (err > rows).any():
                n = int(np.argmax(err / rows))
                out.append(Outcome(f"rows sum to {inputs.ROWS[name]:g}", inputs.ROWS[name],
                                   json_number(g[n].sum()), [k, n], c))
        with np.errstate(invalid="ignore"):
            over = np.abs(g - e) / allowed[k]
        over = np.where(np.isfinite(e), over, 0.0)
        if np.ndim(over) and over.max() > 1 or not np.ndim(over) and over > 1:
            i = tuple(int(j) for j in np.unravel_index(np.argmax(over), np.shape(e)))
            out.append(Outcome("value", json_number(e[i]), json_number(g[i]), [k, *i], c))
    if c.mutated:
        out.append(Outcome("input unchanged", "inputs unchanged", c.mutated, called=c))
    return sorted(out, key=rank)


def key(outcome: "Outcome") -> tuple:
    """What makes two failures different: the property and the output part."""
    return (outcome.property.split(" to ")[0], outcome.where[0] if outcome.where else None)


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


def _settings(examples: int):
    return settings(max_examples=examples, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck), derandomize=False)


def search(spec, fn, dtype, labels, examples: int, seed: int) -> list:
    """[(the minimal failing case, its Outcome)] for every distinct failure (property and
    output part) that `examples` cases show, the most serious first; [] when all pass. One
    pass finds which failures occur; each is then shrunk on its own (so "N times too large"
    is not hidden behind N = 1, nor a -inf loss behind a float64 dW)."""
    seen = {}

    def explore(case) -> bool:
        for o in failures(spec, fn, case):
            seen.setdefault(key(o), o)
        return False

    try:
        find(inputs.strategy(spec, dtype, labels), explore, settings=_settings(examples),
             random=random.Random(seed))
    except NoSuchExample:
        pass
    out = []
    for k in sorted(seen, key=lambda k: rank(seen[k])):
        def fails(case, k=k) -> bool:
            return any(key(o) == k for o in failures(spec, fn, case))
        try:
            case = find(inputs.strategy(spec, dtype, labels), fails,
                        settings=_settings(examples), random=random.Random(seed))
        except NoSuchExample:  # flaky: seen once, not found again
            continue
        out.append((case, next(o for o in failures(spec, fn, case) if key(o) == k)))
    return out
