"""What each API function is called with, what it must return, and the reference answer.

Dimensions: N examples, D features, C classes. A case is a strategies.Case: logits z (N, C) and
labels (class ids (N,) or probability rows (N, C)), or a model problem X (N, D), W (D, C),
b (C,), labels and lr. Every function gets fresh copies, so a function that changes its input
cannot change the case. The reference is numpy_softmax's kernels run in float64 on the same
(already rounded) inputs; its budget comes from softmax_parity.check.budget.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import kernels

from . import budget
from .strategies import CHECK_FORMS, LOGIT_SCALES, ORDINARY_SCALES, Case, logit_cases, \
    make_labels, model_cases

API = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "grad_logits", "loss_and_grads",
       "sgd_step")
LABELLED = ("cross_entropy", "grad_logits", "loss_and_grads")
MODEL = ("loss_and_grads", "sgd_step")
SIGNATURES = {
    "softmax": "softmax(z) -> (N, C)", "log_softmax": "log_softmax(z) -> (N, C)",
    "logsumexp": "logsumexp(z) -> (N,)", "cross_entropy": "cross_entropy(logits, labels) -> scalar",
    "grad_logits": "grad_logits(logits, labels) -> (N, C)",
    "loss_and_grads": "loss_and_grads((W, b), X, labels) -> (loss, (dW, db))",
    "sgd_step": "sgd_step((W, b), (dW, db), lr) -> (W, b)",
}
MAX_N, MAX_D, MAX_C, LARGE_C = 64, 64, 20, 500  # the check's draws: hostile but quick


def strategy(name: str, dtype, labels: str | None):
    """Hypothesis strategy of Cases for `name` in `dtype`; labels "ids" or "probs"."""
    if name in MODEL:
        return model_cases(dtype, labels=labels or "ids", scales=ORDINARY_SCALES + (1e2,),
                           max_n=MAX_N, max_d=MAX_D, max_c=MAX_C,
                           steps=1 if name == "sgd_step" else 0)
    return logit_cases(dtype, labels=labels if name in LABELLED else None, scales=LOGIT_SCALES,
                       forms=CHECK_FORMS, max_n=MAX_N, max_c=MAX_C, large_c=LARGE_C)


def probes(name: str, dtype, labels: str | None) -> list:
    """A few fixed Cases (N != C, ordinary and hostile logits) that diagnosis runs every
    catalogued mistake on, next to the counterexample."""
    rng = np.random.default_rng(0)
    kind = "ids" if labels in (None, "ids") else "soft"
    if name in MODEL:
        out = []
        for N, D, C, shift in ((5, 4, 3, 0.0), (2, 3, 4, 0.0), (3, 2, 3, 750.0)):
            X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
            b = rng.standard_normal(C) * 30 + shift  # shift: exp overflows, softmax is normal
            out.append(Case(f"probe N={N} D={D} C={C}", labels=make_labels(rng, N, C, kind, dtype),
                            X=X.astype(dtype), W=W.astype(dtype), b=b.astype(dtype), lr=0.1))
        return out
    zs = (rng.standard_normal((3, 4)) * 3, rng.standard_normal((5, 2)),
          np.array([[1000.0, 0.0, -1000.0], [-50.0, 800.0, 10.0]]),  # probabilities underflow
          np.array([[750.0, 700.0, 720.0], [-5.0, 2.0, 0.0]]))  # exp overflows, p stays normal
    return [Case(f"probe z {z.shape}", z=z.astype(dtype),
                 labels=make_labels(rng, z.shape[0], z.shape[1], kind, dtype)) for z in zs]


def arguments(name: str, case: Case) -> tuple:
    """Fresh copies of the inputs, in the order `name` takes them."""
    if name in ("softmax", "log_softmax", "logsumexp"):
        return (case.z.copy(),)
    if name in ("cross_entropy", "grad_logits"):
        return case.z.copy(), case.labels.copy()
    params = (case.W.copy(), case.b.copy())
    if name == "loss_and_grads":
        return params, case.X.copy(), case.labels.copy()
    _, dW, db = kernels.loss_and_grads(case.X, case.W, case.b, case.kind, case.labels)
    return params, (dW, db), case.lr


def parts(name: str, result) -> dict:
    """The outputs by part; raises TypeError/ValueError when result is not of the right form."""
    if name == "loss_and_grads":
        loss, grads = result
        dW, db = grads
        return {"loss": loss, "dW": dW, "db": db}
    if name == "sgd_step":
        W, b = result
        return {"W": W, "b": b}
    return {"out": result}


SCALARS = {"cross_entropy": ("out",), "loss_and_grads": ("loss",)}  # a float of any kind passes
ROWS = {"softmax": 1.0, "grad_logits": 0.0}  # rows of "out" must sum to this


def _labels64(case: Case):
    return case.labels if case.kind == "ids" else case.labels.astype(np.float64)


def reference(name: str, case: Case, dtype=None):
    """(expected {part: float64 array}, allowed {part: array}, allowed row sums (N,) or None),
    with the budget of `dtype` (default the case's)."""
    dt = dtype or (case.z if case.z is not None else case.X).dtype
    if name in MODEL:
        X, W, b = (a.astype(np.float64) for a in (case.X, case.W, case.b))
        if name == "sgd_step":
            _, dW, db = kernels.loss_and_grads(case.X, case.W, case.b, case.kind, case.labels)
            return ({"W": W - case.lr * dW, "b": b - case.lr * db},
                    {"W": budget.sgd(W, dW, case.lr, dt), "b": budget.sgd(b, db, case.lr, dt)},
                    None)
        L, dW, db = kernels.loss_and_grads(X, W, b, case.kind, _labels64(case))
        return ({"loss": L, "dW": dW, "db": db},
                budget.model(case.X, case.W, case.b, case.labels, L, dt), None)
    z = case.z.astype(np.float64)
    if name == "softmax":
        return ({"out": kernels.softmax(z, 1)}, {"out": budget.softmax(z, dt)},
                budget.softmax_rows(z, dt))
    if name == "log_softmax":
        return {"out": kernels.log_softmax(z, 1)}, {"out": budget.log_softmax(z, dt)}, None
    if name == "logsumexp":
        return {"out": kernels.logsumexp(z, 1)}, {"out": budget.logsumexp(z, dt)}, None
    if name == "cross_entropy":
        L = kernels.cross_entropy(z, case.kind, _labels64(case))
        return {"out": L}, {"out": budget.cross_entropy(z, case.labels, L, dt)}, None
    if name == "grad_logits":
        return ({"out": kernels.grad_logits(z, case.kind, _labels64(case))},
                {"out": budget.grad_logits(z, case.labels, dt)},
                budget.grad_rows(z, case.labels, dt))
    raise KeyError(name)
