"""How close each softmax implementation at hand is to the exact value (parity_tests.exact), per
op, regime and dtype: the table in docs/parity.md ("Accuracy against exact arithmetic").

    python -m parity_tests.accuracy [--draws 3] [--out parity_tests/accuracy.json]
        [--docs docs/parity.md]     measure, write the JSON, print the tables (and put them in
                                    the docs between the accuracy markers)
    python -m parity_tests.accuracy --table parity_tests/accuracy.json [--docs docs/parity.md]

Implementations: numpy_softmax; the textbook max-shift form with log (numpy_softmax before its
log1p form); TensorFlow (tf_softmax: tf.reduce_logsumexp, tf.nn.softmax, tf.nn.log_softmax,
the sparse xent op, GradientTape); Keras (keras.ops and SparseCategoricalCrossentropy); SciPy
(scipy.special); JAX (jax.nn, jax.grad) and PyTorch (torch, F.cross_entropy, autograd) when
installed. Each is called as its users call it, on the same float32 or float64 inputs.

Errors (parity_tests.exact):
  ulps       |got - exact| / (eps max(|exact|, tiny)): in units of the exact value's last place
  condition  |got - exact| / (eps scale), where some cancellation is inherent to the problem:
             logsumexp  scale = max(|lse|, sum_j p_j |z_j|)  (the condition of lse: near 0 no
                        algorithm keeps the digits of a result that cancels)
             softmax    scale = p_j (1 + |z_j - max z|)     (z_j - max z rounds once: relative
                        error |z_j - max| eps in the exponent; scales.softmax_scale)
             grad_logits scale = (p_j (1 + |z_j - max z|) + Y_j) / N  (softmax's, then p - Y
                        cancels where p ~ Y; scales.scale_dz)
  parity     |got - exact| / (eps scale) in the op's parity scale (numpy_softmax.tolerances.
             TOLERANCES[op].scale), beyond its flush-to-zero allowance: what the NumPy-vs-TF
             tolerances follow from (triangle_ulps).
A mask that is not exact (-inf where the exact value is -inf, 0 where it is 0 counts as exact
only if got is exactly 0 or within the floor) is inf.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from numpy_softmax.data import atomic_write
from numpy_softmax.scales import lse_scale, onehot64, scale_dz, softmax_scale
from numpy_softmax.tolerances import TINY, TOLERANCES

from softmax_parity.atomic import write_json
from softmax_parity.bench.machine import cpu_model
from softmax_parity.check.properties import json_number

from . import exact

HERE = os.path.dirname(os.path.abspath(__file__))
JSON_PATH = os.path.join(HERE, "accuracy.json")
OPS = ("logsumexp", "softmax", "log_softmax", "cross_entropy", "grad_logits")
DTYPES = (np.float32, np.float64)
CONDITION_OPS = ("logsumexp", "softmax", "grad_logits")
BEGIN, END = "<!-- accuracy table: begin -->", "<!-- accuracy table: end -->"


# --- regimes: each draws (z (N, C), y (N,)) in float64, cast to the dtype after ---------------

@dataclass(frozen=True)
class Regime:
    about: str
    draw: Callable  # (rng) -> (z float64 (N, C), y int (N,))


def _ids(rng, z) -> np.ndarray:
    """Random class ids on unmasked classes."""
    return np.array([rng.choice(np.flatnonzero(np.isfinite(row))) for row in z])


def _tame(rng):
    z = rng.normal(0, 3, (32, 10))
    return z, _ids(rng, z)


def _dominant(rng):
    z = -rng.uniform(35, 45, (32, 10))  # the others 35 to 45 below the top class
    top = rng.integers(0, 10, 32)
    z[np.arange(32), top] = 0.0
    z += rng.normal(0, 3, (32, 1))  # each row shifted as a whole
    return z, top  # confident and right: each row's loss is ~exp(-40), its mean too


def _near_ties(rng):
    z = rng.uniform(-10, 10, (32, 1)) + rng.normal(0, 1e-4, (32, 10))
    return z, _ids(rng, z)


def _large(rng):
    z = rng.uniform(-1e4, 1e4, (32, 1)) + rng.normal(0, 3, (32, 10))  # |z| up to 1e4
    z[:8] = rng.uniform(-1e4, 1e4, (8, 10))  # and rows spread over the whole range
    return z, _ids(rng, z)


def _many_classes(rng):
    z = rng.normal(0, 3, (3, 1000))
    return z, _ids(rng, z)


def _masks(rng):
    z = rng.normal(0, 3, (32, 10))
    z[rng.random((32, 10)) < 0.3] = -np.inf
    z[np.arange(32), rng.integers(0, 10, 32)] = rng.normal(0, 3, 32)  # one unmasked per row
    return z, _ids(rng, z)


def _one_row(rng):
    z = rng.normal(0, 3, (1, 10))
    return z, _ids(rng, z)


def _one_value(rng):
    c = np.array([0.0, 1.0, -3.5, 1e4, -1e4, 1e-30, 42.0, rng.normal()])
    z = np.repeat(c[:, None], 10, axis=1)
    return z, rng.integers(0, 10, 8)


def _lse_near_zero(rng):
    p = rng.dirichlet(np.full(10, 0.5), 32)
    z = np.log(np.maximum(p, 1e-300))  # lse(z) = log sum p = 0 up to rounding: it cancels
    return z, _ids(rng, z)


REGIMES = {
    "tame": Regime("z ~ Normal(0, 3^2), N 32, C 10", _tame),
    "dominant class": Regime("one class 35 to 45 above the others, the label on it",
                             _dominant),
    "near-ties": Regime("the C logits within ~1e-4 of each other", _near_ties),
    "|z| up to 1e4": Regime("rows at offsets up to 1e4, and rows spread over [-1e4, 1e4]", _large),
    "C = 1000": Regime("3 rows of 1000 classes", _many_classes),
    "-inf masks": Regime("30% of the logits -inf, one class per row kept", _masks),
    "N = 1": Regime("one row", _one_row),
    "rows of one value": Regime("every logit of a row equal (0, 1, 1e4, -1e4, 1e-30, ...)",
                                _one_value),
    "lse near 0": Regime("z = log p for probability rows p: lse(z) cancels to ~0", _lse_near_zero),
}


def draws(regime: str, dtype, n_draws: int = 3):
    """The regime's inputs in `dtype`, n_draws of them, seeded by the regime's name."""
    seed = sum(map(ord, regime))
    for i in range(n_draws):
        z, y = REGIMES[regime].draw(np.random.default_rng([seed, i]))
        yield np.asarray(z).astype(dtype), np.asarray(y, dtype=np.int64)


# --- implementations: each a dict op -> f(z, y), or None where the library is missing ----------

def _api(module) -> dict:
    """The five ops of numpy_softmax's API, which tf_softmax shares: rows along axis 1."""
    return {"logsumexp": lambda z, y: module.logsumexp(z, axis=1),
            "softmax": lambda z, y: module.softmax(z, axis=1),
            "log_softmax": lambda z, y: module.log_softmax(z, axis=1),
            "cross_entropy": lambda z, y: module.cross_entropy(z, y),
            "grad_logits": lambda z, y: module.grad_logits(z, y)}


def _numpy_softmax():
    import numpy_softmax
    return _api(numpy_softmax)


def _textbook():
    """The max-shift form with log(sum): what most code writes, and numpy_softmax before log1p
    (softmax_parity.explain's). Its softmax and gradient are numpy_softmax's (the same
    formula), so only the logs."""
    from softmax_parity.explain import naive_loss, shifted_log_softmax

    def logsumexp(z, y=None):
        m = z.max(axis=1, keepdims=True)  # (N, 1)
        return (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]

    return {"logsumexp": logsumexp, "log_softmax": lambda z, y=None: shifted_log_softmax(z),
            "cross_entropy": lambda z, y: naive_loss(z, y).mean(dtype=z.dtype)}


def _tensorflow():
    import tf_softmax
    return _api(tf_softmax)


def _keras():
    import tf_softmax  # noqa: F401  (TF configured as the project runs it)
    import keras
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return {"logsumexp": lambda z, y: np.asarray(keras.ops.logsumexp(z, axis=1)),
            "softmax": lambda z, y: np.asarray(keras.ops.softmax(z, axis=1)),
            "log_softmax": lambda z, y: np.asarray(keras.ops.log_softmax(z, axis=1)),
            "cross_entropy": lambda z, y: np.asarray(loss(y, z))}


def _scipy():
    from scipy import special
    return {"logsumexp": lambda z, y: special.logsumexp(z, axis=1),
            "softmax": lambda z, y: special.softmax(z, axis=1),
            "log_softmax": lambda z, y: special.log_softmax(z, axis=1)}


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(z, y):
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(z, axis=1), y[:, None], 1))

    return {"logsumexp": lambda z, y: np.asarray(jax.nn.logsumexp(z, axis=1)),
            "softmax": lambda z, y: np.asarray(jax.nn.softmax(z, axis=1)),
            "log_softmax": lambda z, y: np.asarray(jax.nn.log_softmax(z, axis=1)),
            "cross_entropy": lambda z, y: np.asarray(loss(z, y)),
            "grad_logits": lambda z, y: np.asarray(jax.grad(loss)(z, y))}


def _torch():
    import torch
    import torch.nn.functional as F

    def grad(z, y):
        t = torch.tensor(z, requires_grad=True)
        F.cross_entropy(t, torch.tensor(y)).backward()
        return t.grad.numpy()

    return {"logsumexp": lambda z, y: torch.logsumexp(torch.tensor(z), 1).numpy(),
            "softmax": lambda z, y: torch.softmax(torch.tensor(z), 1).numpy(),
            "log_softmax": lambda z, y: torch.log_softmax(torch.tensor(z), 1).numpy(),
            "cross_entropy": lambda z, y: F.cross_entropy(torch.tensor(z),
                                                          torch.tensor(y)).numpy(),
            "grad_logits": grad}


IMPLEMENTATIONS = {
    "numpy_softmax": (_numpy_softmax, None),
    "textbook NumPy (log)": (_textbook, None),
    "TensorFlow": (_tensorflow, "tensorflow"),
    "Keras": (_keras, "keras"),
    "SciPy": (_scipy, "scipy"),
    "JAX": (_jax, "jax"),
    "PyTorch": (_torch, "torch"),
}


def available() -> dict:
    """name -> {op: f} for every implementation whose library imports; and their versions."""
    out, versions = {}, {"numpy": np.__version__}
    for name, (make, module) in IMPLEMENTATIONS.items():
        try:
            out[name] = make()
        except ImportError:
            continue
        if module:
            versions[module] = sys.modules[module].__version__
    return out, versions


# --- the exact values and the errors ---------------------------------------------------------

def exact_values(z, y) -> dict:
    """op -> exact value(s) (object arrays of mpmath numbers) for z (N, C), class ids y."""
    return exact.all_ops(z, "ids", y)


def condition_scale(op: str, z, y, ex: dict) -> np.ndarray:
    """The condition-aware scale of `op` (module docstring), float64, shaped like its result:
    for softmax and grad_logits the parity suite's own (numpy_softmax.scales)."""
    if op == "softmax":
        return softmax_scale(z)
    if op == "grad_logits":
        return scale_dz(z, y)
    z64 = z.astype(np.float64)
    zabs = np.where(np.isfinite(z64), np.abs(z64), 0.0)  # (N, C)
    p = exact.to_float(ex["softmax"])  # (N, C)
    return np.maximum(np.abs(exact.to_float(ex["logsumexp"])), (p * zabs).sum(axis=1))


def parity_scale(op: str, z, y, ex: dict) -> tuple:
    """(scale, flush-to-zero allowance) of `op` as the parity suite counts it (TOLERANCES)."""
    t, dt = TOLERANCES[op], np.dtype(z.dtype)
    tiny = t.tinies * TINY[dt]
    if op == "logsumexp":
        return lse_scale(z), tiny
    if op == "softmax":
        return softmax_scale(z), tiny
    if op == "log_softmax":
        lp = np.abs(exact.to_float(ex["log_softmax"]))
        return np.where(np.isfinite(lp), lp, 0.0) + np.log(z.shape[1]), tiny
    if op == "cross_entropy":
        return abs(float(ex["cross_entropy"])) + np.log(z.shape[1]), tiny
    return scale_dz(z, y), tiny


def errors(op: str, got, z, y, ex: dict) -> dict:
    """{"ulps", "condition", "parity"}: the worst of each over the result's entries."""
    dt = z.dtype
    got = np.asarray(got, dtype=np.float64).reshape(np.shape(ex[op]))
    e = np.asarray(ex[op], dtype=object)
    out = {"ulps": float(np.max(exact.ulps(got, e, dt)))}
    if op in CONDITION_OPS:
        out["condition"] = float(np.max(exact.condition_ulps(got, e, condition_scale(
            op, z, y, ex), dt)))
    scale, tiny = parity_scale(op, z, y, ex)
    e64 = exact.to_float(e)
    with np.errstate(invalid="ignore"):
        diff = np.abs(got - e64)
        beyond = np.where(np.isfinite(e64), np.maximum(diff - tiny, 0.0),
                          np.where(got == e64, 0.0, np.inf))
    eps = float(np.finfo(dt).eps)
    out["parity"] = float(np.max(beyond / (eps * np.maximum(np.broadcast_to(scale, beyond.shape),
                                                             float(np.finfo(dt).tiny)))))
    return out


def measure(n_draws: int = 3, progress=None) -> dict:
    """{"results": {impl: {op: {regime: {dtype: {"ulps", "condition", "parity"}}}}}, ...}."""
    impls, versions = available()
    results: dict = {name: {} for name in impls}
    for regime in REGIMES:
        for dtype in DTYPES:
            dname = np.dtype(dtype).name
            for z, y in draws(regime, dtype, n_draws):
                ex = exact_values(z, y)
                for name, ops in impls.items():
                    for op, f in ops.items():
                        with np.errstate(all="ignore"):
                            try:
                                got = f(z, y)
                            except Exception as e:  # a refusal is a result too
                                got, err = None, f"{type(e).__name__}"
                        if got is None:
                            rec = {"ulps": math.inf, "condition": math.inf,
                                   "parity": math.inf, "raised": err}
                        else:
                            rec = errors(op, got, z, y, ex)
                        cell = results[name].setdefault(op, {}).setdefault(regime, {})
                        old = cell.get(dname)
                        cell[dname] = rec if old is None else {
                            k: max(old.get(k, 0.0), v) if isinstance(v, float) else v
                            for k, v in rec.items()}
            if progress:
                progress(regime, dname)
    return {"results": results, "versions": versions, "draws": n_draws,
            "cpu": cpu_model(),
            "command": "python -m parity_tests.accuracy"}


# --- the tolerances the parity suite derives from it ------------------------------------------

def triangle_ulps(data: dict, op: str) -> float:
    """How far NumPy and TF may be apart in `op`'s parity scale, from each side's worst error
    against exact over every regime and dtype: |numpy - tf| <= |numpy - exact| + |tf - exact|.
    numpy_softmax.tolerances holds each op's tolerance to at least twice this
    (tests/docs/test_tolerances.py)."""
    return sum(max(r["parity"] for per_dtype in data["results"][name][op].values()
                   for r in per_dtype.values())
               for name in ("numpy_softmax", "TensorFlow"))


# --- the tables -------------------------------------------------------------------------------

def _fmt(v: float) -> str:
    if v is None:
        return "-"
    if math.isinf(v):
        return "inf"
    if math.isnan(v):
        return "NaN"
    if v < 0.05:
        return "0"
    return f"{v:.1f}" if v < 100 else f"{v:.1e}".replace("e+0", "e").replace("e+", "e")


def _cell(results: dict, name: str, op: str, regime: str, key: str) -> str:
    per = results.get(name, {}).get(op, {}).get(regime)
    if per is None:
        return "-"
    vals = [per[d].get(key) if d in per else None for d in ("float32", "float64")]
    return " / ".join(_fmt(v) for v in vals)


def table(data: dict) -> str:
    """The markdown tables: worst ulps of exact per op and regime (float32 / float64), one
    column per implementation; then the condition-aware figures where cancellation is
    inherent."""
    res = data["results"]
    names = list(res)
    head = "| op | regime | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names) + "\n"
    rows = [f"| `{op}` | {regime} | " + " | ".join(_cell(res, n, op, regime, "ulps")
                                                    for n in names) + " |"
            for op in OPS for regime in REGIMES]
    cond = [f"| `{op}` | {regime} | " + " | ".join(_cell(res, n, op, regime, "condition")
                                                    for n in names) + " |"
            for op in CONDITION_OPS for regime in REGIMES]
    v = ", ".join(f"{k} {val}" for k, val in data["versions"].items())
    return ("Worst error in ulps of the exact value (float32 / float64; `-`: the library has no "
            "such op):\n\n" + head + "\n".join(rows) + "\n\nWhere cancellation is inherent, in "
            "eps of the condition-aware scale (module docstring of parity_tests/accuracy.py):\n\n"
            + head + "\n".join(cond) + f"\n\nMeasured with {v}; {data['draws']} draws per regime "
            f"and dtype; CPU {data['cpu']}. Regenerate: `make accuracy`.\n")


def put_in_docs(path: str, text: str) -> None:
    """Replace the text between the accuracy markers of `path` (atomically)."""
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: no accuracy markers ({BEGIN} ... {END}); add them first")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    atomic_write(path, (head + BEGIN + "\n" + text + END + tail).encode())


def _jsonable(o):
    """inf and NaN as their repr, JSON having neither (softmax_parity.check.properties)."""
    if isinstance(o, dict):
        return {k: _jsonable(v) for k, v in o.items()}
    return json_number(o) if isinstance(o, float) else o


def _floats(o):
    """The inverse of _jsonable, for the error figures."""
    if isinstance(o, dict):
        return {k: (float(v) if k in ("ulps", "condition", "parity") else _floats(v))
                for k, v in o.items()}
    return o


def load(path: str = JSON_PATH) -> dict:
    """The saved measurement (parity_tests/accuracy.json by default)."""
    with open(path) as f:
        return _floats(json.load(f))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m parity_tests.accuracy", description=__doc__
                                 .split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=3, help="draws per regime and dtype")
    ap.add_argument("--out", default=JSON_PATH, help="the JSON written (default %(default)s)")
    ap.add_argument("--table", metavar="JSON", help="print the table of this JSON, measure "
                    "nothing")
    ap.add_argument("--docs", metavar="MD", help="also put the tables into this markdown file")
    args = ap.parse_args(argv)
    if args.draws < 1:
        ap.error(f"--draws must be >= 1, got {args.draws}")
    if args.table:
        data = load(args.table)
    else:
        data = measure(args.draws, progress=lambda r, d: print(f"  {r}, {d}", file=sys.stderr))
        write_json(args.out, _jsonable(data))
    text = table(data)
    print(text)
    if args.docs:
        put_in_docs(args.docs, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
