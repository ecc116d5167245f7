"""`softmax-parity check`'s error budgets (softmax_parity.check.budget) against the exact oracle
(parity_tests.exact, mpmath at 60 digits): every correct way of computing an op lies inside its
budget, measured against the exact value of the op on the same float inputs (not against the
float64 reference), and every catalogued mistake (softmax_parity.mistakes) lies outside it on
a probe where it shows.

Measured worst fraction of the budget used, max |got - exact| / budget over every probe below
(`.venv/bin/python -m pytest -q -s -p no:cacheprovider tests/check/test_budget_exact.py`, which
prints them; "rows": |sum_c got - 1| for softmax, |sum_c got| for grad_logits, against the rows'
budget; "-": not a formulation of that op, or the kernels themselves in float64):

                       kernels  exp(log1p  logaddexp  max-shift  matmul,  float64
                                log_sm)    .reduce               one-hot  cast
    softmax   float32  0.049    0.070      0.081      0.049      0.049    0.016
              float64  0.037    0.062      0.062      0.037      0.034    -
       rows   float32  0.031    0.044      0.056      0.031      0.031    0.015
              float64  0.050    0.050      0.050      0.050      0.025    -
log_softmax   float32  0.038    -          0.047      0.045      0.045    0.023
              float64  0.044    -          0.049      0.044      0.044    -
  logsumexp   float32  0.029    -          0.045      0.059      0.059    0.025
              float64  0.056    -          0.050      0.056      0.056    -
cross_entropy float32  0.013    -          0.013      0.013      0.013    0.006
              float64  0.011    -          0.012      0.011      0.011    -
grad_logits   float32  0.100    0.100      0.100      0.100      0.100    0.091
              float64  0.059    0.151      0.151      0.059      0.059    -
       rows   float32  0.016    0.025      0.031      0.016      0.016    0.006
              float64  0.016    0.028      0.028      0.016      0.016    -

The worst, 0.15, is a tame row (grad_logits float64 through exp(z - lse)); float32's 0.10 is the
dominant-class rows: correct code uses at most ~1/7 of the budget (its error is at most 0.6 eps
times the scale, and CHECK_ULPS is 4). The mistakes part prints, for every catalogued mistake,
the probes that put it outside the budget and what fails on the check's own inputs.

Dimensions: N examples, C classes; z (N, C) logits, y (N,) class ids.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Callable, NamedTuple

import numpy as np
import pytest

from numpy_softmax import kernels
from softmax_parity import mistakes as mk
from softmax_parity.check import budget, inputs
from softmax_parity.check.strategies import CHECK_FORMS, LOGIT_SCALES, make_logits

pytest.importorskip("mpmath")
from parity_tests import accuracy, exact  # noqa: E402  (needs mpmath, a dev dependency)

DTYPES = {"float32": np.float32, "float64": np.float64}
OPS = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "grad_logits")
LABELLED = ("cross_entropy", "grad_logits")


# --- the probes: fixed seeded draws, then the check's own draws and probes ------------------------

class Probe(NamedTuple):
    name: str
    source: str        # "fixed" (made here) or "check" (the check's draws and probes)
    z: np.ndarray      # (N, C) of the dtype
    y: np.ndarray      # (N,) class ids


def _fixed(dtype) -> list:
    """Tame rows, a dominant class, near-ties, large |z|, C = 1000, N = 1, rows of one value."""
    f32 = np.dtype(dtype) == np.float32
    rng = np.random.default_rng(1234)
    out = []

    def add(name, z, y=None):
        z = np.asarray(z, dtype=np.float64).astype(dtype)
        y = rng.integers(0, z.shape[1], z.shape[0]) if y is None else np.asarray(y)
        out.append(Probe(name, "fixed", z, y))

    add("tame N=6 C=5", rng.uniform(-3.0, 3.0, (6, 5)))
    add("tame N=C=4", rng.uniform(-3.0, 3.0, (4, 4)))  # square: a transposed dZ has dZ's shape
    add("tame spread 10 N=5 C=8", rng.uniform(-10.0, 10.0, (5, 8)))

    # one class per row on top, the others 15..20 (float32) or 35..45 (float64) below: the
    # others' probabilities are below eps, the top one's log-probability is -(their sum)
    lo, hi = (15.0, 20.0) if f32 else (35.0, 45.0)
    N, C = 6, 5
    base = rng.uniform(-2.0, 2.0, (N, 1))
    z = base - rng.uniform(lo, hi, (N, C))
    top = rng.integers(0, C, N)
    z[np.arange(N), top] = base[:, 0]
    y = np.where(np.arange(N) < N // 2, top, (top + 1) % C)  # right, then confident wrong
    add(f"dominant {lo:g}..{hi:g} below", z, y)

    # near-ties: logits a few ulps apart, exact ties (the max included), tiny logits around 0
    u = float(np.spacing(dtype(2.5)))
    add("near-ties", [[2.5, 2.5 + u, 2.5 + 2 * u, 2.5 - u, 2.5],
                      [3.0, 3.0, 1.0, 3.0, -1.0],
                      [1e-7, -1e-7, 0.0, 2e-7, -3e-7],
                      [-4.0 + 3 * u, -4.0, -4.0 - u, -4.0 + u, -4.0]])

    # large |z|: up to 1e3 (float32) or 1e4 (float64), as offsets, spreads and one entry on top
    R = 1e3 if f32 else 1e4
    add(f"large |z| {R:g}", [[R - 3.0, R, R - 1.5, R - 4.0, R - 0.25, R - 2.0],
                             [-R + 1.0, -R, -R + 2.5, -R + 0.5, -R + 3.0, -R + 1.75],
                             list(rng.uniform(-R, R, 6)),
                             [R, -R, 0.0, R / 2, -R / 3, R - 40.0]],
        y=[2, 0, 1, 1])

    add("C=1000", np.vstack([rng.uniform(-5.0, 5.0, (1, 1000)),
                             rng.uniform(-30.0, 30.0, (1, 1000))]))
    add("N=1 C=7", rng.uniform(-4.0, 4.0, (1, 7)))
    add("rows of one value C=3", [[0.3] * 3, [-7.25] * 3, [R / 2] * 3])
    add("rows of one value C=7", [[1.0 / 3.0] * 7, [-R] * 7])
    return out


def _from_the_check(dtype) -> list:
    """The check's own inputs: make_logits (what its hypothesis strategy draws) in every form and
    scale at N = 4, C = 5, one seed each, and the fixed probes its diagnosis runs."""
    out = []
    for i, (form, scale) in enumerate((f, s) for f in CHECK_FORMS for s in LOGIT_SCALES):
        rng = np.random.default_rng(1000 + i)
        z = make_logits(rng, 4, 5, scale, form).astype(dtype)
        out.append(Probe(f"check draw {form} scale={scale:g}", "check", z,
                         rng.integers(0, 5, 4)))
    for i, case in enumerate(inputs.probes("cross_entropy", dtype, "ids")):
        out.append(Probe(f"check {case.recipe} #{i}", "check", case.z, case.labels))
    return out


_PROBES: dict = {}


def probes(dtype) -> list:
    key = np.dtype(dtype).name
    if key not in _PROBES:
        _PROBES[key] = _fixed(dtype) + _from_the_check(dtype)
    return _PROBES[key]


# --- exact values (rounded to float64 for the comparison) and budgets, cached per probe ---------

_EXACT: dict = {}


def exact_values(p: Probe) -> dict:
    key = (p.z.dtype.name, p.name)
    if key not in _EXACT:
        ex = exact.all_ops(p.z, "ids", p.y)
        _EXACT[key] = {op: exact.to_float(v) if op != "cross_entropy" else float(v)
                       for op, v in ex.items()}
    return _EXACT[key]


def allowed(op: str, p: Probe):
    dt = p.z.dtype
    if op == "cross_entropy":
        return budget.cross_entropy(p.z, p.y, exact_values(p)[op], dt)
    if op == "grad_logits":
        return budget.grad_logits(p.z, p.y, dt)
    return getattr(budget, op)(p.z, dt)


def fraction(op: str, p: Probe, got) -> np.ndarray:
    """|got - exact| / budget elementwise; inf where got is not finite (exact always is here)
    or where the shapes differ."""
    e = np.asarray(exact_values(p)[op], dtype=np.float64)
    g = np.asarray(got)
    if g.size != e.size or (g.shape != e.shape and e.ndim):
        return np.array([np.inf])
    g = g.astype(np.float64).reshape(e.shape)
    with np.errstate(invalid="ignore"):
        f = np.abs(g - e) / allowed(op, p)
    return np.where(np.isfinite(g), f, np.inf)


# --- correct formulations, written out here ---------------------------------------------------

def _ms_softmax(z):  # the plain max-shift form
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# the log of the shifted sum: parity_tests.accuracy's textbook contender (softmax_parity.explain)
_TEXTBOOK = accuracy.IMPLEMENTATIONS["textbook NumPy (log)"][0]()
_ms_log_softmax, _ms_logsumexp = _TEXTBOOK["log_softmax"], _TEXTBOOK["logsumexp"]
_ms_cross_entropy = _TEXTBOOK["cross_entropy"]


def _ms_grad(z, y):
    g = _ms_softmax(z)
    g[np.arange(len(y)), y] -= 1
    return g / len(y)


def _lae_logsumexp(z):  # np.logaddexp.reduce: C - 1 roundings at the row's magnitude
    return np.logaddexp.reduce(z, axis=1)


def _lae_log_softmax(z):
    return z - _lae_logsumexp(z)[:, None]


def _lae_softmax(z):
    return np.exp(_lae_log_softmax(z))


def _lae_cross_entropy(z, y):
    return np.mean(_lae_logsumexp(z) - z[np.arange(len(y)), y])


def _lae_grad(z, y):
    return (_lae_softmax(z) - kernels.onehot(y, z.shape[1], z.dtype)) / len(y)


def _ones(z):
    return np.ones((z.shape[1], 1), dtype=z.dtype)  # (C, 1): row sums as a matrix product


def _mm_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / (e @ _ones(z))


def _mm_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s) @ _ones(z))


def _mm_logsumexp(z):
    m = z.max(axis=1, keepdims=True)  # (N, 1)
    return (m + np.log(np.exp(z - m) @ _ones(z)))[:, 0]


def _mm_cross_entropy(z, y):  # -sum(onehot * log_softmax) / N, a dense one-hot
    return -np.sum(kernels.onehot(y, z.shape[1], z.dtype) * _mm_log_softmax(z)) / len(y)


def _mm_grad(z, y):
    return (_mm_softmax(z) - kernels.onehot(y, z.shape[1], z.dtype)) / len(y)


def _in_float64(fn):
    """Compute with numpy_softmax's kernels in float64, cast back to the input's dtype."""
    def cast(z, *rest):
        return np.asarray(fn(z.astype(np.float64), *rest)).astype(z.dtype)
    return cast


def _k_cross_entropy(z, y):
    return kernels.cross_entropy(z, "ids", y)


def _k_grad(z, y):
    return kernels.grad_logits(z, "ids", y)


def _k_softmax(z):
    return kernels.softmax(z, 1)


def _k_log_softmax(z):
    return kernels.log_softmax(z, 1)


def _k_logsumexp(z):
    return kernels.logsumexp(z, 1)


FORMULATIONS: dict[str, dict[str, Callable]] = {
    "softmax": {"kernels": _k_softmax,
                "exp(log1p log_softmax)": lambda z: np.exp(_k_log_softmax(z)),
                "logaddexp.reduce": _lae_softmax, "max-shift": _ms_softmax,
                "matmul row sums": _mm_softmax, "float64 cast": _in_float64(_k_softmax)},
    "log_softmax": {"kernels (log1p)": _k_log_softmax, "logaddexp.reduce": _lae_log_softmax,
                    "max-shift": _ms_log_softmax, "matmul row sums": _mm_log_softmax,
                    "float64 cast": _in_float64(_k_log_softmax)},
    "logsumexp": {"kernels (log1p)": _k_logsumexp, "logaddexp.reduce": _lae_logsumexp,
                  "max-shift": _ms_logsumexp, "matmul row sums": _mm_logsumexp,
                  "float64 cast": _in_float64(_k_logsumexp)},
    "cross_entropy": {"kernels (log1p)": _k_cross_entropy,
                      "logaddexp.reduce": _lae_cross_entropy,
                      "max-shift": _ms_cross_entropy, "one-hot matmul": _mm_cross_entropy,
                      "float64 cast": _in_float64(_k_cross_entropy)},
    "grad_logits": {"kernels": _k_grad,
                    "exp(log1p log_softmax)":
                        lambda z, y: (np.exp(_k_log_softmax(z))
                                      - kernels.onehot(y, z.shape[1], z.dtype)) / len(y),
                    "logaddexp.reduce": _lae_grad, "max-shift": _ms_grad,
                    "one-hot matmul": _mm_grad, "float64 cast": _in_float64(_k_grad)},
}


def _call(fn, op, p: Probe):
    args = (p.z.copy(), p.y.copy()) if op in LABELLED else (p.z.copy(),)
    with np.errstate(all="ignore"):
        return fn(*args)


# --- 1. every correct formulation is inside its budget ------------------------------------------

ROWS = {"softmax": (1.0, lambda p: budget.softmax_rows(p.z, p.z.dtype)),
        "grad_logits": (0.0, lambda p: budget.grad_rows(p.z, p.y, p.z.dtype))}  # exact sums


def row_fraction(op: str, p: Probe, got) -> float:
    """|sum_c got_nc - its exact sum| / the rows' budget, worst row (as the check sums them: in
    float64)."""
    target, rows = ROWS[op]
    return float((np.abs(np.asarray(got, dtype=np.float64).sum(axis=1) - target)
                  / rows(p)).max())


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("op", OPS)
def test_every_correct_formulation_is_inside_the_budget_of_the_exact_value(op, dtype):
    """Each correct way of computing `op` in `dtype`, on every probe: every entry within the
    budget of the exact value (and every row's sum, for softmax and grad_logits); the worst
    fraction of the budget it uses is printed."""
    dt = DTYPES[dtype]
    outside = []
    for name, fn in FORMULATIONS[op].items():
        if name == "float64 cast" and dt is np.float64:
            continue  # the kernels themselves
        worst = {"values": (0.0, None), "rows": (0.0, None)}
        for p in probes(dt):
            got = _call(fn, op, p)
            assert np.asarray(got).dtype == dt, (name, p.name)
            fractions = {"values": float(fraction(op, p, got).max())}
            if op in ROWS:
                fractions["rows"] = row_fraction(op, p, got)
            for what, f in fractions.items():
                if f > worst[what][0]:
                    worst[what] = (f, p.name)
                if not f <= 1:
                    outside.append(f"{name} ({what}) on {p.name}: {f:.3g} of the budget")
        for what, (f, where) in worst.items():
            if where is not None:
                print(f"\n{op:13s} {dtype}  {name:24s} {what:6s} worst {f:.2e} ({where})",
                      end="")
    assert outside == [], "\n".join(outside)


def test_the_exact_comparison_sees_a_float32_answer_outside_the_float64_budget():
    """The measure is not vacuous: float32 rounding (~6e-8 relative) is far outside a float64
    budget on tame rows, for every op."""
    p = probes(np.float64)[0]  # tame N=6 C=5
    assert p.name == "tame N=6 C=5"
    for op in OPS:
        got = _call(lambda z, *y: FORMULATIONS[op]["max-shift"](z.astype(np.float32), *y),
                    op, p)
        assert fraction(op, p, got).max() > 100, op


# --- 2. every catalogued mistake is outside its budget on a probe where it shows ------------------

# Mistakes whose values may be right (in float32: dtype-not-preserved computes in float64; in most
# roles: mutates-input computes on z - max z, which has the same softmax): the check catches them
# by another property, which must then hold on its own inputs.
OTHER_PROPERTY = {"dtype-not-preserved": "dtype", "mutates-input": "input unchanged"}


def _describe(flavor) -> str:
    """The fields a flavor sets: a wrong link by its name, any other field with its value."""
    out = []
    for f in fields(flavor):
        v = getattr(flavor, f.name)
        if v != getattr(mk.RIGHT, f.name):
            out.append(f.name if callable(v) else f"{f.name}={v!r}")
    return ", ".join(out)


def _run(fn, op, p: Probe):
    """(output, whether it changed its input)."""
    args = (p.z.copy(), p.y.copy()) if op in LABELLED else (p.z.copy(),)
    with np.errstate(all="ignore"):
        out = np.asarray(fn(*args))
    return out, not np.array_equal(args[0], p.z)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("op", OPS)
def test_every_catalogued_mistake_is_outside_the_budget_where_it_shows(op, dtype):
    """Each variant of each catalogued mistake built for `op` (mistakes.Mistake.variants) that
    computes `op` differently from the right code: outside the budget of the exact value on some
    probe, and failing some property of the check (value, shape, dtype, input unchanged) on the
    check's own inputs. Only OTHER_PROPERTY's mistakes may stay inside the budget everywhere,
    and then their property must fail on the check's inputs."""
    dt = DTYPES[dtype]
    right = mk.build(mk.RIGHT, op)
    reference = {p.name: _run(right, op, p)[0] for p in probes(dt)}
    failures, checked = [], 0
    for m in mk.CATALOGUE:
        if op not in m.applies:
            continue
        shown = False
        for i, fn in enumerate(m.variants(op)):
            label = f"{m.id}[{i}]" + (f" ({_describe(m.flavors[i])})" if i < len(m.flavors)
                                      else " (unmasked loss)" if op in mk.LOSSES else "")
            runs = {p.name: _run(fn, op, p) for p in probes(dt)}
            if all(_same(out, reference[name]) and not changed
                   for name, (out, changed) in runs.items()):
                continue  # this variant computes this role the right way: not its link
            shown, checked = True, checked + 1
            seen = {"value": [], "shape": [], "dtype": [], "input unchanged": []}
            worst = (0.0, None)
            for p in probes(dt):
                out, changed = runs[p.name]
                e = np.asarray(exact_values(p)[op])
                if out.shape != e.shape and not (e.ndim == 0 and out.size == 1):
                    seen["shape"].append(p)
                else:
                    f = float(fraction(op, p, out).max())
                    worst = (f, p.name) if f > worst[0] else worst
                    if not f <= 1:
                        seen["value"].append(p)
                if out.dtype != dt:
                    seen["dtype"].append(p)
                if changed:
                    seen["input unchanged"].append(p)
            own = {k: [p.name for p in v if p.source == "check"] for k, v in seen.items()}
            by_value = [p.name for p in seen["value"]]
            caught = sorted(k for k, v in own.items() if v)
            print(f"\n{op} {dtype} {label}: outside the budget on {len(by_value)} probes "
                  f"({len(own['value'])} of the check's own), e.g. {by_value[:2]}; "
                  f"on the check's own inputs it fails: {caught}", end="")
            if by_value and not caught:
                failures.append(f"{label}: outside only on probes made here {by_value}")
            elif not by_value and OTHER_PROPERTY.get(m.id) not in caught:
                failures.append(f"{label}: inside the budget on every probe (worst "
                                f"{worst[0]:.3g} on {worst[1]}), not caught by "
                                f"{OTHER_PROPERTY.get(m.id)} either: {caught}")
        if not shown:
            failures.append(f"{m.id}: no variant differs from the right code in {op}")
    assert checked > 0
    assert failures == [], "\n".join(failures)
