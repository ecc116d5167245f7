"""The catalogue of classic mistakes `softmax-parity check` can name, each as working code.

A diagnosis is never a guess from symptoms: each mistake is implemented (for every API function
it can affect, in one or more common variants), run on the counterexample and on a few fixed
probes, and named only when it reproduces the user's output there (within the budget, same
shapes, dtypes, NaN and inf, same change to the input). The loss_and_grads mistakes that
`softmax-parity gradcheck --demo-mistakes` shows are reused from softmax_parity.gradcheck.

Dimensions: N examples, D features, C classes; z (N, C) logits, Y (N, C) label rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

import numpy_softmax as ns
from numpy_softmax import kernels

from .. import gradcheck as gc

MATH = "docs/math.md"


def naive_softmax(z, axis=1):
    """exp(z) / sum exp(z), no max subtracted: inf / inf = NaN past 88.7 (float32), 709.8."""
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


@dataclass(frozen=True)
class Flavor:
    """How one learner file computes each link; the defaults are right."""

    softmax: Callable = lambda z: kernels.softmax(z, axis=1)
    log_softmax: Callable = lambda z: kernels.log_softmax(z, axis=1)
    logsumexp: Callable = lambda z: kernels.logsumexp(z, axis=1)
    reduce: str = "mean"          # of the per-row losses: "mean" or "sum"
    divide_grad: bool = True      # dZ = (p - Y) / N, or the 1/N forgotten
    dz_T: bool = False            # dZ returned transposed (C, N)
    dW: Callable = lambda X, dZ: X.T @ dZ            # (D, C)
    db: Callable = lambda dZ: dZ.sum(axis=0)         # (C,)
    other_dtype: bool = False     # float64 out for float32 in (and float32 for float64)
    mutates: bool = False         # z -= max(z) in place on the caller's array
    masked: bool = True           # the loss skips Y = 0 terms (else 0 * -inf = NaN there)


def _Y(labels, C, dtype):
    return gc.targets(labels, C, dtype)  # (N, C)


def _ce(f: Flavor, z, labels):
    lp = f.log_softmax(z)  # (N, C)
    Y = _Y(labels, z.shape[1], z.dtype)
    terms = np.where(Y > 0, Y * lp, 0.0) if f.masked else Y * lp  # (N, C)
    per_row = -np.sum(terms, axis=1).astype(z.dtype)  # (N,)
    return per_row.sum() if f.reduce == "sum" else per_row.mean(dtype=z.dtype)


def _dz(f: Flavor, z, labels):
    g = f.softmax(z) - _Y(labels, z.shape[1], z.dtype)  # (N, C)
    g = g / z.shape[0] if f.divide_grad else g
    return g.T if f.dz_T else g


def build(f: Flavor, name: str) -> Callable:
    """The API function `name` computed the way f says."""
    def core(*args):
        if name == "softmax":
            return f.softmax(args[0])
        if name == "log_softmax":
            return f.log_softmax(args[0])
        if name == "logsumexp":
            return f.logsumexp(args[0])
        if name == "cross_entropy":
            return _ce(f, *args)
        if name == "grad_logits":
            return _dz(f, *args)
        if name == "loss_and_grads":
            (W, b), X, labels = args
            Z = X @ W + b  # (N, C)
            dZ = _dz(f, Z, labels)
            return _ce(f, Z, labels), ns.Params(f.dW(X, dZ), f.db(dZ))
        raise KeyError(name)

    def fn(*args):
        if f.mutates:
            args[0][...] = args[0] - args[0].max(axis=1, keepdims=True)  # the mistake
            return core(args[0].copy(), *args[1:])
        if f.other_dtype:
            src = args[1] if name == "loss_and_grads" else args[0]  # X, or z
            dt = np.float32 if src.dtype == np.float64 else np.float64
            if name == "loss_and_grads":
                (W, b), X, labels = args
                loss, g = core((W.astype(np.float64), b.astype(np.float64)),
                               X.astype(np.float64), labels)
                return loss, ns.Params(g.W.astype(dt), g.b.astype(dt))
            out = core(*(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                         else a for a in args))
            return np.asarray(out).astype(dt)
        return core(*args)
    return fn


@dataclass(frozen=True)
class Mistake:
    id: str
    hint: tuple          # two lines
    see: str             # the explain step or the docs/math.md section with the right formula
    flavors: tuple       # ways of making it; each a Flavor
    applies: tuple       # the API functions it can show in
    extra: dict = field(default_factory=dict)  # api name -> more variants (callables)

    def variants(self, name: str) -> list:
        if name not in self.applies:
            return []
        flavors = self.flavors + tuple(replace(f, masked=False) for f in self.flavors
                                       if name in ("cross_entropy", "loss_and_grads"))
        return [build(f, name) for f in flavors] + list(self.extra.get(name, ()))


def _log_of(sm):
    return lambda z: np.log(sm(z))


_ok = Flavor()


def _each(**links) -> tuple:
    """Flavors with all the given links wrong, and with each one alone wrong (a learner's loss
    may use a right log_softmax while the gradient uses the wrong softmax)."""
    alone = tuple(replace(_ok, **{k: v}) for k, v in links.items()) if len(links) > 1 else ()
    return (replace(_ok, **links),) + alone


OPS = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "grad_logits", "loss_and_grads")

CATALOGUE = (
    Mistake("no-max-shift",
            ("exp(z) overflows to inf once a logit passes 88.7 (float32) or 709.8 (float64).",
             "Subtract each row's max first: softmax(z - max z) = softmax(z), and exp(<= 0) <= 1."),
            f"{MATH} section 3 (the log-sum-exp trick); softmax-parity explain, step max-shift",
            _each(softmax=naive_softmax, log_softmax=_log_of(naive_softmax),
                  logsumexp=lambda z: np.log(np.exp(z).sum(axis=1)))
            + _each(softmax=naive_softmax,
                    log_softmax=lambda z: z - np.log(np.exp(z).sum(axis=1, keepdims=True))),
            OPS, {"loss_and_grads": (gc.softmax_without_max_shift,)}),
    Mistake("log-of-softmax",
            ("log(softmax(z)) is -inf where a probability underflows to 0, though the true value",
             "is finite: compute log_softmax = (z - m) - log(sum exp(z - m)) directly."),
            f"{MATH} section 3; softmax-parity explain, step log-softmax",
            (replace(_ok, log_softmax=_log_of(lambda z: kernels.softmax(z, axis=1))),),
            ("log_softmax", "cross_entropy", "loss_and_grads")),
    Mistake("sum-not-mean",
            ("The loss sums the N rows' losses; the project's (and TF's) loss is their mean.",
             "Divide by N (np.mean), and the gradient by N too."),
            f"{MATH} section 4 (cross-entropy); softmax-parity explain, step cross-entropy",
            (replace(_ok, reduce="sum", divide_grad=False), replace(_ok, reduce="sum")),
            ("cross_entropy", "loss_and_grads")),
    Mistake("grad-not-divided-by-n",
            ("The loss is a mean over N rows, so its gradient is (softmax - Y) / N;",
             "this one is N times too large (the gradient of the summed loss)."),
            f"{MATH} section 5 (the gradient with respect to the logits); softmax-parity "
            "explain, step dL/dZ",
            (replace(_ok, divide_grad=False),),
            ("grad_logits", "loss_and_grads"), {"loss_and_grads": (gc.missing_1_over_N,)}),
    Mistake("wrong-axis",
            ("The max, the sum or the normalisation runs over axis 0 (the examples), not over",
             "the classes: use axis=1 (or -1) with keepdims=True, so that each row sums to 1."),
            f"{MATH} section 2 (softmax); softmax-parity explain, step normalise",
            _each(softmax=lambda z: kernels.softmax(z, axis=0),
                  log_softmax=lambda z: kernels.log_softmax(z, axis=0),
                  logsumexp=lambda z: kernels.logsumexp(z, axis=0)),
            OPS),
    Mistake("double-softmax",
            ("softmax is applied twice (to probabilities that are already a softmax): every",
             "row comes out too flat. Pass the logits themselves to softmax and the loss."),
            f"{MATH} section 2; softmax-parity explain, step normalise",
            _each(softmax=lambda z: kernels.softmax(kernels.softmax(z, axis=1), axis=1),
                  log_softmax=lambda z: kernels.log_softmax(kernels.softmax(z, axis=1), axis=1)),
            ("softmax", "log_softmax", "cross_entropy", "grad_logits", "loss_and_grads")),
    Mistake("transposed-grad",
            ("The gradient comes out transposed: dL/dW = X.T @ dZ is (D, C), like W;",
             "dZ.T @ X is (C, D). Each gradient must have the shape of what it differentiates."),
            f"{MATH} section 6 (the chain rule to W and b); softmax-parity explain, step dL/dW",
            (replace(_ok, dW=lambda X, dZ: dZ.T @ X), replace(_ok, dz_T=True)),
            ("grad_logits", "loss_and_grads"), {"loss_and_grads": (gc.W_transposed,)}),
    Mistake("bias-grad-not-summed",
            ("b is added to every row, so dL/db sums dZ over the N rows: dZ.sum(axis=0), (C,).",
             "Here it is dZ itself, or its mean (which divides by N a second time)."),
            f"{MATH} section 6; softmax-parity explain, step dL/db",
            (replace(_ok, db=lambda dZ: dZ), replace(_ok, db=lambda dZ: dZ.mean(axis=0))),
            ("loss_and_grads",)),
    Mistake("dtype-not-preserved",
            ("The values are right but the dtype changed (e.g. float32 in, float64 out): callers",
             "rely on output dtype = input dtype. Cast back with .astype(z.dtype)."),
            "docs/math.md (At a glance); the contract in README, The Python API",
            (replace(_ok, other_dtype=True),),
            OPS),
    Mistake("mutates-input",
            ("The function changes its caller's array (z -= z.max(...) works in place).",
             "Write z = z - z.max(axis=1, keepdims=True): a new array, the input untouched."),
            f"{MATH} section 3; softmax-parity explain, step max-shift",
            (replace(_ok, mutates=True),),
            ("softmax", "log_softmax", "logsumexp", "cross_entropy", "grad_logits")),
    Mistake("wrong-sign",
            ("The gradient has the wrong sign: dL/dZ = softmax - Y (the true class pushed up by",
             "descent), not Y - softmax, which is the direction of gradient ascent."),
            f"{MATH} section 5; softmax-parity explain, step dL/dZ",
            (), ("grad_logits", "loss_and_grads"),
            {"grad_logits": (lambda z, y: -build(_ok, "grad_logits")(z, y),),
             "loss_and_grads": (gc.wrong_sign,)}),
)

BY_ID = {m.id: m for m in CATALOGUE}
