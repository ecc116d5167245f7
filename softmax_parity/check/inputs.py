"""What each API function is called with, what it must return, and the reference answer.

Dimensions: N examples, D features, C classes. A case is a strategies.Case: logits z (N, C) and
labels (class ids (N,) or probability rows (N, C)), or a model problem X (N, D), W (D, C),
b (C,), labels and lr. Every function gets fresh copies, so a function that changes its input
cannot change the case. The reference is numpy_softmax's kernels run in float64 on the same
(already rounded) inputs; its budget comes from softmax_parity.check.budget.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from numpy_softmax import kernels

from . import budget
from .adapter import log_probabilities, probabilities
from .contract import LABELLED, MODEL, Contract
from .strategies import CHECK_FORMS, LOGIT_SCALES, ORDINARY_SCALES, Case, logit_cases, \
    make_labels, model_cases

API = ("softmax", "log_softmax", "logsumexp", "cross_entropy", "grad_logits", "loss_and_grads",
       "sgd_step")  # numpy_softmax's names: a function so named is taken as that role
MAX_N, MAX_D, MAX_C, LARGE_C = 64, 64, 20, 500  # the check's draws: hostile but quick


def contract_of(spec) -> Contract:
    """A Contract from a Contract or a role name (the canonical conventions)."""
    return spec if isinstance(spec, Contract) else Contract(spec)


def _no_bias(case: Case) -> Case:
    return replace(case, b=np.zeros_like(case.b), recipe=case.recipe + " bias=none")


def strategy(spec, dtype, labels: str | None):
    """Hypothesis strategy of Cases for `spec` (a Contract or a role) in `dtype`; labels "ids"
    or "probs"."""
    c = contract_of(spec)
    if c.role in MODEL:
        s = model_cases(dtype, labels=labels or "ids", scales=ORDINARY_SCALES + (1e2,),
                        max_n=MAX_N, max_d=MAX_D, max_c=MAX_C,
                        steps=1 if c.role == "sgd_step" else 0)
        return s if c.bias else s.map(_no_bias)
    if c.role == "softmax_jacobian":  # (N, C, C) outputs: C stays small
        return logit_cases(dtype, scales=LOGIT_SCALES, forms=CHECK_FORMS, max_n=16,
                           max_c=MAX_C)
    return logit_cases(dtype, labels=labels if c.role in LABELLED else None,
                       scales=LOGIT_SCALES, forms=CHECK_FORMS, max_n=MAX_N, max_c=MAX_C,
                       large_c=LARGE_C)


def probes(spec, dtype, labels: str | None) -> list:
    """A few fixed Cases (N != C, ordinary and hostile logits) that diagnosis runs every
    catalogued mistake on, next to the counterexample."""
    c = contract_of(spec)
    rng = np.random.default_rng(0)
    kind = "ids" if labels in (None, "ids") else "soft"
    if c.role in MODEL:
        out = []
        for N, D, C, shift in ((5, 4, 3, 0.0), (2, 3, 4, 0.0), (3, 2, 3, 750.0)):
            X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
            b = rng.standard_normal(C) * 30 + shift  # shift: exp overflows, softmax is normal
            if not c.bias:  # the shift moves into X's first column, so the logits overflow
                X[:, 0] += shift / 10.0 if shift else 0.0
                W[0] = np.abs(W[0]) * 10.0 if shift else W[0]
                b = np.zeros(C)
            out.append(Case(f"probe N={N} D={D} C={C}", labels=make_labels(rng, N, C, kind, dtype),
                            X=X.astype(dtype), W=W.astype(dtype), b=b.astype(dtype), lr=0.1))
        return out
    zs = (rng.standard_normal((3, 4)) * 3, rng.standard_normal((5, 2)),
          np.array([[1000.0, 0.0, -1000.0], [-50.0, 800.0, 10.0]]),  # probabilities underflow
          np.array([[750.0, 700.0, 720.0], [-5.0, 2.0, 0.0]]))  # exp overflows, p stays normal
    return [Case(f"probe z {z.shape}", z=z.astype(dtype),
                 labels=make_labels(rng, z.shape[0], z.shape[1], kind, dtype)) for z in zs]


def arguments(spec, case: Case) -> tuple:
    """Fresh copies of the inputs, in the order the canonical role takes them."""
    name = contract_of(spec).role
    if name in ("softmax", "log_softmax", "logsumexp", "softmax_jacobian"):
        return (case.z.copy(),)
    if name in ("cross_entropy", "grad_logits", "loss_and_grad_logits"):
        return case.z.copy(), case.labels.copy()
    params = (case.W.copy(), case.b.copy())
    if name == "loss_and_grads":
        return params, case.X.copy(), case.labels.copy()
    _, dW, db = kernels.loss_and_grads(case.X, case.W, case.b, case.kind, case.labels)
    return params, (dW, db), case.lr


def _array(x, what: str):
    """x as an array of numbers; a tuple or a list of arrays where one array belongs is the
    learner's output form, not the tool's crash."""
    if isinstance(x, (tuple, list, dict)) or x is None:
        raise TypeError(f"{what}: {type(x).__name__}")
    return x


def parts(spec, result) -> dict:
    """The outputs by part; raises TypeError/ValueError when result is not of the right form
    (the message says what came instead)."""
    c = contract_of(spec)
    if c.role == "loss_and_grads":
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"{type(result).__name__} of {_length(result)}")
        loss, grads = result
        if not c.bias:
            dW = grads[0] if isinstance(grads, (tuple, list)) else grads
            return {"loss": _array(loss, "loss"), "dW": _array(dW, "dW")}
        dW, db = grads
        return {"loss": _array(loss, "loss"), "dW": _array(dW, "dW"), "db": _array(db, "db")}
    if c.role == "loss_and_grad_logits":
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"{type(result).__name__} of {_length(result)}")
        return {"loss": _array(result[0], "loss"), "dZ": _array(result[1], "dZ")}
    if c.role == "sgd_step":
        if not c.bias:
            return {"W": _array(result, "W")}
        W, b = result
        return {"W": _array(W, "W"), "b": _array(b, "b")}
    return {"out": _array(result, "the output")}


def _length(x) -> str:
    return f"{len(x)} items" if isinstance(x, (tuple, list)) else "one value"


SCALARS = {"cross_entropy": ("out",), "loss_and_grads": ("loss",),
           "loss_and_grad_logits": ("loss",)}  # a float of any kind passes
ROWS = {"softmax": 1.0, "grad_logits": 0.0}  # rows of "out" must sum to this


def _labels64(case: Case):
    return case.labels if case.kind == "ids" else case.labels.astype(np.float64)


def reference(spec, case: Case, dtype=None):
    """(expected {part: float64 array}, allowed {part: array}, allowed row sums (N,) or None),
    with the budget of `dtype` (default the case's)."""
    c = contract_of(spec)
    name = c.role
    dt = dtype or (case.z if case.z is not None else case.X).dtype
    if name in MODEL:
        e, a, rows = _model_reference(name, case, dt)
        if not c.bias:  # b is 0 in every case: the model is X W alone
            e, a = ({k: v for k, v in d.items() if k not in ("db", "b")} for d in (e, a))
        return e, a, rows
    z = case.z.astype(np.float64)
    if name == "softmax_jacobian":
        p = kernels.softmax(z, 1)  # (N, C)
        J = np.einsum("nc,cd->ncd", p, np.eye(z.shape[1])) - p[:, :, None] * p[:, None, :]
        return {"out": J}, {"out": budget.jacobian(z, dt)}, None
    if name == "loss_and_grad_logits":
        L = kernels.cross_entropy(z, case.kind, _labels64(case))
        return ({"loss": L, "dZ": kernels.grad_logits(z, case.kind, _labels64(case))},
                {"loss": budget.cross_entropy(z, case.labels, L, dt),
                 "dZ": budget.grad_logits(z, case.labels, dt)}, None)
    if name == "grad_logits" and c.inputs == "probs":  # from the probabilities it was given
        p = probabilities(case.z).astype(np.float64)  # (N, C)
        Y = budget.onehot64(case.labels, z.shape[1])
        return ({"out": (p - Y) / z.shape[0]}, {"out": budget.grad_logits(z, case.labels, dt)},
                budget.grad_rows(z, case.labels, dt))
    if name == "cross_entropy" and c.inputs == "logprobs":  # from the log-probabilities given
        lp = log_probabilities(case.z).astype(np.float64)  # (N, C)
        Y = budget.onehot64(case.labels, z.shape[1])
        L = float(-np.mean(np.sum(np.where(Y > 0, Y * lp, 0.0), axis=1)))
        return {"out": L}, {"out": budget.cross_entropy(z, case.labels, L, dt)}, None
    if name == "cross_entropy" and c.inputs == "probs":
        p = probabilities(case.z).astype(np.float64)  # what the learner's loss is given
        Y = budget.onehot64(case.labels, z.shape[1])
        with np.errstate(divide="ignore", invalid="ignore"):
            L = float(-np.mean(np.sum(np.where(Y > 0, Y * np.log(p), 0.0), axis=1)))
        return {"out": L}, {"out": budget.cross_entropy_probs(p, case.labels, L, dt)}, None
    return _logits_reference(name, case, dt)


def _model_reference(name: str, case: Case, dt):
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
    raise KeyError(name)


def _logits_reference(name: str, case: Case, dt):
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
