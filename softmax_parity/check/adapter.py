"""The adapter: a learner's function under a Contract, called with the canonical arguments of its
role and returning the canonical result (transposes, one-hot labels, a loop over rows, a sum
divided by N, the cache dropped: exact, or one rounding far inside every budget).

Dimensions: N examples, D features, C classes.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import kernels

from .contract import UNARY, Contract

ON_LOGITS = ("cross_entropy", "grad_logits", "loss_and_grad_logits")  # labelled, z in


def _onehot(labels, C, dtype):
    """Y (N, C): kernels.onehot of class ids; probability rows as given (the same array when
    its dtype is right, so that a change to it shows on the caller's)."""
    return labels.astype(dtype, copy=False) if labels.ndim == 2 else \
        kernels.onehot(labels, C, dtype)


def probabilities(z):
    """softmax(z) in z's dtype, computed in float64 (what a probabilities-taking loss gets)."""
    return kernels.softmax(z.astype(np.float64), axis=1).astype(z.dtype)


def log_probabilities(z):
    """log_softmax(z) in z's dtype, computed in float64 (what an nll_loss is given)."""
    return kernels.log_softmax(z.astype(np.float64), axis=1).astype(z.dtype)


def given(z, inputs: str):
    """What a function taking `inputs` ("logits", "probs", "logprobs") is given for logits z."""
    return probabilities(z) if inputs == "probs" else log_probabilities(z) \
        if inputs == "logprobs" else z


def _T(a):
    return a.T if isinstance(a, np.ndarray) and a.ndim == 2 else a


def _squeeze(a, shape):
    """A kept dimension dropped ((N, 1) or (1, N) -> (N,)); any other shape as it came (the
    shape check then says so)."""
    if isinstance(a, np.ndarray) and a.shape != shape and a.ndim == len(shape) + 1 \
            and 1 in a.shape and a.size == int(np.prod(shape)):
        return a.reshape(shape)
    return a


def plain(fn):
    """The factory of a plain function: no instance, nothing to run first."""
    return lambda: (fn, None)


def method(cls, name: str, before: str | None):
    """The factory of cls().name, with cls().before run first on the same instance."""
    def make():
        obj = cls()
        return getattr(obj, name), (getattr(obj, before) if before else None)
    return make


class Adapted:
    """The learner's function as a canonical one: called with the canonical arguments of
    `contract.role` (inputs.arguments), it returns the canonical result. `factory()` gives
    (the function, the one to run first on the same arguments, or None)."""

    def __init__(self, factory, contract: Contract, names: tuple, reg: float = 0.0):
        self.contract, self.factory, self.names, self.reg = contract, factory, names, reg

    def __call__(self, *args):
        fn, first = self.factory()
        if self.contract.batch == "single":
            return self._rows(fn, first, *args)
        pos, kw = self._arguments(*args)
        if first is not None:
            first(*pos, **kw)
        out = fn(*pos, **kw)
        if self.contract.inplace:
            if out is not None:
                return out  # not in place after all: the form check says so
            return tuple(self.updated) if self.contract.bias else self.updated[0]
        if self.contract.cache and isinstance(out, tuple) and len(out) == 2:
            out = out[0]  # (output, cache)
        if self.contract.dicts and self.contract.role == "sgd_step" and isinstance(out, dict):
            out = (out.get("W"), out.get("b"))
        return self._outputs(out, *args)

    def _fill(self, have: dict, class_axis: int):
        """Positional values up to the first parameter left at its default, keywords after."""
        pos, kw, by_kw = [], {}, False
        for s, n in zip(self.contract.slots, self.names):
            if s == "default":
                by_kw = True
                continue
            v = {"axis": class_axis, "keepdims": False, "reg": self.reg}.get(s, have.get(s))
            if by_kw:
                kw[n] = v
            else:
                pos.append(v)
        return pos, kw

    def _arguments(self, *args):
        c, role = self.contract, self.contract.role
        cols = c.layout == "classes-first"
        have = {}
        if role in UNARY or role in ON_LOGITS:
            z = given(args[0], c.inputs)  # (N, C)
            have["z"] = _T(z) if cols else z
            if len(args) > 1:
                y = args[1]  # (N,) ids or (N, C) rows
                if c.labels == "onehot" or y.ndim == 2:
                    y = _onehot(y, z.shape[1], z.dtype)
                    y = _T(y) if cols else y
                have["labels"] = y
        elif role == "loss_and_grads":
            (W, b), X, y = args  # (D, C), (C,), (N, D), labels
            if c.labels == "onehot" or y.ndim == 2:
                y = _onehot(y, W.shape[1], W.dtype)
                y = _T(y) if cols else y
            have.update(X=_T(X) if cols else X, labels=y, W=_T(W) if cols else W,
                        b=b.reshape(-1, 1) if cols else b)
            have["params"] = (have["W"], have["b"]) if c.bias else have["W"]
            if c.dicts:
                have["params"] = {"W": have["W"], "b": have["b"]} if c.bias else {"W": have["W"]}
        else:  # sgd_step
            (W, b), (dW, db), lr = args
            if c.inplace:  # its own copies, updated in place and returned by __call__
                W, b = self.updated = [W.copy(), b.copy()]
            have.update(W=W, b=b, dW=dW, db=db, lr=lr,
                        params=(W, b) if c.bias and not c.inplace else [W, b] if c.bias else W,
                        grads=(dW, db) if c.bias else dW)
            if c.dicts:
                have.update(params={"W": W, "b": b}, grads={"W": dW, "b": db})
        return self._fill(have, 0 if cols else 1)

    def _outputs(self, out, *args):
        c, role = self.contract, self.contract.role
        cols = c.layout == "classes-first"
        if role in ("softmax", "log_softmax"):
            return _T(out) if cols else out
        if role == "grad_logits":  # the gradient of a summed loss, as the mean's
            return self._scale(_T(out) if cols else out, args[0].shape[0])
        if role == "logsumexp":
            return _squeeze(out, args[0].shape[:1])
        if role == "cross_entropy":
            return self._reduce(out, args[0].shape[0])
        if role == "loss_and_grad_logits":
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                return out
            loss, dz = out
            N = args[0].shape[0]
            return self._reduce(loss, N), self._scale(_T(dz) if cols else dz, N)
        if role == "loss_and_grads":
            return self._model(out, *args)
        return out  # softmax_jacobian (single only), sgd_step

    def _reduce(self, loss, N: int):
        """The canonical mean from a sum (/ N, one rounding) or from per-example losses."""
        r = self.contract.reduction
        if r == "sum" and np.size(loss) == 1:
            a = np.asarray(loss)
            return a / np.asarray(N, dtype=a.dtype) if a.dtype.kind == "f" else a / N
        if r == "none" and isinstance(loss, np.ndarray) and loss.size == N and loss.ndim <= 2:
            return loss.reshape(-1).mean(dtype=loss.dtype)
        return loss

    def _scale(self, g, N: int):
        if self.contract.reduction == "sum" and isinstance(g, np.ndarray) and g.dtype.kind == "f":
            return g / np.asarray(N, dtype=g.dtype)
        return g

    def _model(self, out, params, X, y):
        """(loss, dW[, db]), (loss, (dW, db)), dicts of grads: as (loss, (dW, db)) or
        (loss, (dW,)) without a bias, dW (D, C) and db (C,)."""
        c = self.contract
        cols = c.layout == "classes-first"
        if isinstance(out, dict):
            out = (out.get("loss"), {k: v for k, v in out.items() if k != "loss"})
        if not isinstance(out, (tuple, list)) or len(out) not in (2, 3):
            return out
        loss, grads = (out[0], tuple(out[1:])) if len(out) == 3 else out
        if isinstance(grads, dict):
            grads = tuple(v for k, v in sorted(grads.items(), key=lambda kv: kv[0].lower()
                                              .lstrip("d") != "w"))
        if isinstance(grads, np.ndarray):
            grads = (grads,)
        if not isinstance(grads, (tuple, list)):
            return out
        grads = list(grads)
        if cols and grads:
            grads[0] = _T(grads[0])
        if len(grads) > 1:
            grads[1] = _squeeze(grads[1], params[1].shape)
        N = X.shape[0]
        return self._reduce(loss, N), tuple(self._scale(g, N) for g in grads)

    def _rows(self, fn, first, z, labels=None):
        """One example at a time: each row of z (N, C) (and its label) through fn, the results
        stacked; a loss's per-example values averaged, a gradient's divided by N (the mean's)."""
        c, outs = self.contract, []
        z = given(z, c.inputs)
        for n in range(z.shape[0]):
            have = {"z": z[n]}  # (C,) a view: an in-place change shows on the caller's array
            if labels is not None:
                y = labels[n]
                have["labels"] = _onehot(labels[n:n + 1], z.shape[1], z.dtype)[0] \
                    if c.labels == "onehot" and labels.ndim == 1 else y
            pos, kw = self._fill(have, 0)
            if first is not None:
                first(*pos, **kw)
            out = fn(*pos, **kw)
            if c.cache and isinstance(out, tuple) and len(out) == 2:
                out = out[0]
            outs.append(np.asarray(out))
        if outs and all(o.ndim == 0 and o.dtype == np.float64 for o in outs):
            stacked = np.array([float(o) for o in outs], dtype=z.dtype)  # Python floats
        else:
            try:
                stacked = np.stack(outs)
            except ValueError:
                return outs  # ragged: the shape check says so
        if c.role == "cross_entropy" and stacked.shape == (z.shape[0],):
            return stacked.mean(dtype=stacked.dtype)
        if c.role == "grad_logits" and stacked.dtype.kind == "f":
            return stacked / np.asarray(z.shape[0], dtype=stacked.dtype)
        return stacked
