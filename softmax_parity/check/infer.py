"""Find the functions of a target and what each one is (softmax_parity.check.contract has the
rules): the candidates, their readings on tame probes, and the L2 term of a model.

Dimensions: N examples, D features, C classes. Runs the user's code: only in a child process
(softmax_parity.check.run).
"""
from __future__ import annotations

import inspect
import os

import numpy as np

from numpy_softmax.tolerances import CHECK_PROBE

from . import inputs, properties
from .adapter import Adapted, method, plain
from .choose import Reading
from .contract import MODEL, Contract
from .signature import parameters, roles_by_name, variants
from .strategies import Case

METHOD_ORDER = ("forward", "__call__")  # run first, on the same instance, before backward


def _ours(obj, module) -> bool:
    """Defined in the target, or in a file of its folder (`from correct import *`)."""
    if getattr(obj, "__module__", None) == module.__name__:
        return True
    try:
        src = inspect.getsourcefile(obj)
    except TypeError:
        return False
    here = os.path.dirname(os.path.abspath(getattr(module, "__file__", "") or ""))
    return bool(src) and bool(here) and os.path.dirname(os.path.abspath(src)) == here


def _wanted(name: str, mapped) -> bool:
    """Public names, and private ones whose name names a role (a class's _softmax, _loss)."""
    return not name.startswith("_") or name in mapped or name == "__call__" \
        or bool(roles_by_name(name.lstrip("_")))


def _after_forward(cls, before: str):
    """backward() that reads what forward(...) stored: called as forward's arguments, it runs
    forward on them, then backward with its defaults."""
    def make():
        obj = cls()
        return (lambda *a, **k: getattr(obj, "backward")()), getattr(obj, before)
    return make


def _inner(fn):
    """The function a decorator wrapped without functools.wraps (a `(*args, **kwargs)`
    wrapper): the one function in its closure; fn itself otherwise."""
    ps = inspect.signature(fn).parameters.values() if callable(fn) else ()
    if any(p.kind == p.VAR_POSITIONAL for p in ps) and not parameters(fn):
        inner = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())
                 if inspect.isfunction(getattr(c, "cell_contents", None))]
        if len(inner) == 1:
            return inner[0]
    return fn


def candidates(module, mapped=()) -> dict:
    """{name: (factory, params)}: every top-level function, and the methods (and __call__) of
    every top-level class, as "Class.method"; private ones only when their name names a role or
    --map names them. A backward() that takes nothing (or only defaults, like dout=1) after a
    forward is called with forward's arguments, forward first."""
    out = {}
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and _ours(obj, module) and _wanted(name, mapped):
            out[name] = (plain(obj), parameters(_inner(obj)))
        elif inspect.isclass(obj) and _ours(obj, module) and not name.startswith("_"):
            for m, fn in vars(obj).items():
                full = f"{name}.{m}"
                bound = isinstance(fn, (staticmethod, classmethod))  # no instance needed
                fn = fn.__func__ if bound else fn
                if not inspect.isfunction(fn) or not _wanted(m, set(mapped) | {full}) \
                        and full not in mapped:
                    continue
                if bound:
                    own = parameters(_inner(fn))
                    out[full] = (plain(getattr(obj, m)),
                                 own if isinstance(vars(obj)[m], staticmethod) else own[1:])
                    continue
                params = parameters(_inner(fn))[1:]
                before = None
                if m == "backward":
                    before = next((b for b in METHOD_ORDER if b in vars(obj)), None)
                if before and not any(p.default is p.empty for p in params):
                    out[full] = (_after_forward(obj, before),
                                 parameters(vars(obj)[before])[1:])
                    continue
                out[full] = (method(obj, m, before), params)
    return out


def names_of(params) -> tuple:
    return tuple(p.name for p in params)


# --- tame probes: where every correct reading gives the right values ----------------------------

def tame(c: Contract) -> list:
    """Two small float64 Cases with N != C != D (so that no wrong reading can fit by symmetry)."""
    rng = np.random.default_rng(1)
    out = []
    for N, C, D in ((5, 3, 4), (2, 4, 3)):
        y = rng.integers(0, C, N)
        if c.role in MODEL:
            X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C)) * 0.5
            b = rng.standard_normal(C) if c.bias else np.zeros(C)
            out.append(Case(f"tame N={N} D={D} C={C}", labels=y, X=X, W=W, b=b, lr=0.1))
        else:
            out.append(Case(f"tame N={N} C={C}", z=rng.standard_normal((N, C)) * 2, labels=y))
    return out


def _close(got: dict, expected: dict) -> bool:
    for k, e in expected.items():
        g = np.asarray(got[k], dtype=np.float64)
        if g.size != np.size(e):
            return False
        g = g.reshape(np.shape(e))
        if not np.allclose(g, e, **CHECK_PROBE):
            return False
    return True


def _formed(called, expected: dict, role: str) -> str | None:
    """Why the outputs do not have the role's form and shapes (None: they do)."""
    if called.error:
        return called.error
    if called.form:
        return f"returned {called.form}"
    for k, e in expected.items():
        try:
            g = np.asarray(called.parts[k])
        except (KeyError, ValueError):
            return f"no array {k}"
        if g.dtype.kind not in "fiu":
            return f"{k} is not numbers"
        scalar = k in inputs.SCALARS.get(role, ())
        if (g.size != 1) if scalar else (g.shape != np.shape(e)):
            return f"{k} has shape {list(g.shape)}"
    return None


def readings(factory, params, roles=None) -> list:
    """Every Contract the signature allows, tried on the tame probes: a Reading each, with
    error None when the outputs have the role's form, matched when they are also right."""
    names = names_of(params)
    out = []
    for c in variants(params, roles):
        fn = Adapted(factory, c, names)
        matched, error, raised = True, None, False
        for case in tame(c):
            called = properties.call(c, fn, case)
            expected = inputs.reference(c, case)[0]
            error, raised = _formed(called, expected, c.role), bool(called.error)
            if error:
                break
            matched = matched and _close(called.parts, expected)  # a change to the input is
            # a property that fails, not another convention
        out.append(Reading(c, matched and error is None, error, raised,
                           misshapen=bool(error) and " has shape " in error))
    return out


# --- the L2 term of a model: c * reg * sum(W**2), and c * 2 * reg * W in dW -----------------------

REGS = (0.37, 1.3)  # the regs the L2 check passes, one per tame problem (N = 5, then N = 2): a
                    # constant c that follows reg or N (reg * reg, reg counted N times) shows


def l2_term(factory, c: Contract, params) -> dict:
    """What reg adds, measured on the two float64 tame problems, one reg each:
    {"constants": [c per problem from the loss], "grad": [c from dW], "like_W": [bool],
     "bias": [c_b from db and the loss's rest, or None], "W": the first problem's W}
    c from c * reg * sum(W**2) in the loss, and from 2 c * reg * W in dW; with a bias, db's
    change must be the gradient of what the loss adds beyond W's term (0 when b is not
    regularised). {"error": message} when the function cannot be run so."""
    try:
        return _l2_terms(factory, c, params)
    except (TypeError, ValueError, IndexError) as e:  # outputs of another shape: the checks
        return {"error": f"{type(e).__name__}: {e}"[:200]}  # have said so already


def _l2_terms(factory, c: Contract, params) -> dict:
    names = names_of(params)
    out = {"constants": [], "grad": [], "like_W": [], "bias": []}
    for case, reg in zip(tame(c), REGS):
        runs = []
        for r in (0.0, reg):
            called = properties.call(c, Adapted(factory, c, names, reg=r), case)
            if called.parts is None:
                return {"error": called.error or f"returned {called.form}"}
            runs.append(called.parts)
        N = case.X.shape[0]
        per = N if c.reduction == "sum" else 1  # the adapter divided the L2 term by N too

        def change(k):
            return (np.asarray(runs[1][k], np.float64) - np.asarray(runs[0][k], np.float64)) * per

        W, b = case.W, case.b  # (D, C), (C,)
        sq = float(np.sum(W * W))  # sum(W**2)
        dW = change("dW").reshape(W.shape)  # (D, C): what reg added to the gradient
        c_loss = float(change("loss")) / (reg * sq)
        c_grad = float(np.sum(dW * W)) / (2 * reg * sq)  # the projection on W
        out["constants"].append(round(c_loss, 6))
        out["grad"].append(round(c_grad, 6))
        out["like_W"].append(bool(np.allclose(dW, 2 * c_grad * reg * W, **CHECK_PROBE)))
        if "db" in runs[0] and np.any(b):
            db = change("db").reshape(b.shape)  # (C,)
            # the loss's change beyond W's term, c_grad's: b's own, if b is regularised
            c_b = (float(change("loss")) - c_grad * reg * sq) / (reg * float(np.sum(b * b)))
            out["bias"].append(bool(np.allclose(db, 2 * c_b * reg * b, **CHECK_PROBE)))
        if "W" not in out:
            out["W"] = W.tolist()
    return out
