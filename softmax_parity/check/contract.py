"""What a learner's function is, and how to call it: its role and its conventions (the contract),
inferred from its signature and by probing it on tame inputs, and the adapter that turns it into
the canonical function the checks run.

Dimensions: N examples, D features, C classes. The canonical forms (every check, reference and
catalogued mistake speaks these) are examples-first, a batch of rows, class ids or probability
rows, logits in, the mean over rows:
    softmax(z) -> (N, C)          log_softmax(z) -> (N, C)       logsumexp(z) -> (N,)
    softmax_jacobian(z) -> (N, C, C)                   cross_entropy(z, labels) -> scalar
    grad_logits(z, labels) -> (N, C)        loss_and_grad_logits(z, labels) -> (loss, dZ)
    loss_and_grads((W, b), X, labels) -> (loss, (dW, db))   (dW alone when there is no bias)
    sgd_step((W, b), (dW, db), lr) -> (W, b)

A learner writes them other ways: classes-first arrays (z (C, N), X (D, N), W (C, D)), one
vector at a time, one-hot labels, probabilities in place of logits, labels first, a sum or
per-example losses, no bias with an L2 term `c * reg * sum(W**2)`, an `axis` to pass, a method
of a class whose backward needs its forward. A Contract says which; `adapt` wraps the learner's
function so that it takes and returns the canonical forms (transposes, one-hot, a loop over
rows, the sum divided by N: exact or one rounding, far inside every budget).

Inference (`readings`): every way of calling the function that its arity allows is tried on a
few tame probes (N = 5 != C = 3 != D = 4), and each one whose outputs have the canonical form
is a reading; a reading that also gives the right values matches. `choose` then picks the
contract: --contract pins first, then the function's own signature (an `axis=-1` default says
examples-first), then the rest of the file (what other functions settle), then the matching
reading. A function that matches only as classes-first (or only as a sum) while nothing settles
it is `ambiguous`: either a convention or a mistake, and the flag that decides is named.
"""
from __future__ import annotations

import inspect
import itertools
import re
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..errors import UsageError

ROLES = ("softmax", "log_softmax", "logsumexp", "softmax_jacobian", "cross_entropy",
         "grad_logits", "loss_and_grad_logits", "loss_and_grads", "sgd_step")
UNARY = ("softmax", "log_softmax", "logsumexp", "softmax_jacobian")
LABELLED = ("cross_entropy", "grad_logits", "loss_and_grad_logits", "loss_and_grads")
MODEL = ("loss_and_grads", "sgd_step")

LAYOUTS = ("examples-first", "classes-first")
KEYS = {  # --contract KEY=VALUE: the values each key takes (the first is the default)
    "layout": LAYOUTS, "labels": ("ids", "onehot"), "inputs": ("logits", "probs"),
    "reduction": ("mean", "sum", "none"), "batch": ("rows", "single"), "bias": ("yes", "no"),
    "reg": ("none", "<c>")}
ALIASES = {"rows": "examples-first", "cols": "classes-first", "examples": "examples-first",
           "classes": "classes-first", "true": "yes", "false": "no", "probabilities": "probs",
           "one-hot": "onehot"}


@dataclass(frozen=True)
class Contract:
    """A function's role and conventions. `slots` names what each of its parameters receives
    (z, labels, X, W, b, params, grads, dW, db, lr, reg, axis, keepdims)."""

    role: str
    layout: str = "examples-first"
    labels: str = "ids"          # how labels are passed: "ids" (N,) or "onehot" rows (N, C)
    inputs: str = "logits"       # cross_entropy only: "probs" takes softmax(z) instead
    reduction: str = "mean"      # "mean", "sum", or "none" (per-example losses)
    batch: str = "rows"          # "rows", or "single": one example (C,) at a time
    bias: bool = True
    reg: float | None = None     # c in c * reg * sum(W**2); 0: reg ignored; None: not known
                                 # (measured by the check) or no reg parameter
    cache: bool = False          # returns (output, cache), as CS231n's and dlai's layers do
    inplace: bool = False        # sgd_step: updates the params it is given, returns nothing
    slots: tuple = ()

    def public(self) -> dict:
        """The conventions, as --contract keys (JSON)."""
        d = {"layout": self.layout, "batch": self.batch}
        if self.role in LABELLED:
            d["labels"] = self.labels
            d["reduction"] = self.reduction
        if self.role in LABELLED:
            d["inputs"] = self.inputs
        if self.role in MODEL:
            d["bias"] = self.bias
            d["reg"] = self.reg
        return d

    def describe(self, name: str, params: list) -> str:
        """One line: "softmax_loss_vectorized(W, X, y, reg) -> (loss, dW): a model, no bias,
        L2 term 1 * reg * sum(W**2), examples-first, class ids, mean"."""
        what = {"softmax": "softmax", "log_softmax": "log-softmax", "logsumexp": "log-sum-exp",
                "softmax_jacobian": "softmax Jacobian", "cross_entropy": "a loss",
                "grad_logits": "the gradient of the loss in the logits",
                "loss_and_grad_logits": "a layer (loss and its gradient in the logits)",
                "loss_and_grads": "a model", "sgd_step": "an SGD step"}[self.role]
        bits = [what]
        if self.role in MODEL:
            bits.append("with a bias" if self.bias else "no bias")
        if self.role == "loss_and_grads" and "reg" in self.slots:
            bits.append("an L2 term" if self.reg is None else
                        f"L2 term {self.reg:g} * reg * sum(W**2)" if self.reg
                        else "reg ignored (no L2 term)")
        if self.batch == "rows" and self.role != "sgd_step":
            bits.append(self.layout)
        if self.batch == "single":
            bits.append("one example at a time")
        if self.role in LABELLED and self.inputs == "probs":
            bits.append("takes probabilities")
        if self.cache:
            bits.append("returns (output, cache)")
        if self.inplace:
            bits.append("in place")
        if self.role in LABELLED:
            bits.append("class ids" if self.labels == "ids" else "one-hot labels")
            if self.slots[:1] == ("labels",):
                bits.append("labels first")
            bits.append({"mean": "mean over rows", "sum": "sum over rows",
                         "none": "per-example losses"}[self.reduction])
        return f"{name}({', '.join(params)}) -> {OUTPUTS[self.role](self)}: " + ", ".join(bits)


OUTPUTS = {
    "softmax": lambda c: "probabilities", "log_softmax": lambda c: "log-probabilities",
    "logsumexp": lambda c: "lse", "softmax_jacobian": lambda c: "(C, C)",
    "cross_entropy": lambda c: "losses" if c.reduction == "none" else "loss",
    "grad_logits": lambda c: "dZ", "loss_and_grad_logits": lambda c: "(loss, dZ)",
    "loss_and_grads": lambda c: "(loss, dW, db)" if c.bias else "(loss, dW)",
    "sgd_step": lambda c: "(W, b)" if c.bias else "W"}


# --- the signature: what each parameter can receive ---------------------------------------------

AXIS = {"axis", "dim"}
KEEPDIMS = {"keepdims", "keepdim"}
REG = {"reg", "reg_strength", "lam", "lamda", "lmbda", "lambda_", "l2", "l2_reg", "lambd",
       "weight_decay", "regularization", "reg_lambda"}
LR = {"lr", "learning_rate", "eta", "step_size", "alpha", "rate"}


def parameters(fn) -> list:
    """The parameters of fn (self dropped), as inspect.Parameter; [] if it has no signature."""
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _special(p) -> str | None:
    n = p.name.lower()
    return ("axis" if n in AXIS else "keepdims" if n in KEEPDIMS else "reg" if n in REG
            else "lr" if n in LR else None)


# the data parameters in order, by count: the ways a role takes them
TEMPLATES = {
    1: [("z",)],
    2: [("z", "labels"), ("labels", "z"), ("params", "grads"), ("W", "dW")],
    3: [("params", "X", "labels"), ("W", "X", "labels"), ("X", "labels", "W"),
        ("X", "W", "labels"), ("params", "grads", "lr")],
    4: [("W", "b", "X", "labels"), ("X", "labels", "W", "b"), ("X", "W", "b", "labels"),
        ("W", "b", "dW", "db")],
}
ROLE_OF = {("z",): UNARY, ("z", "labels"): ("cross_entropy", "grad_logits",
                                            "loss_and_grad_logits"),
           ("labels", "z"): ("cross_entropy", "grad_logits", "loss_and_grad_logits")}


def _roles_for(slots: tuple) -> tuple:
    data = tuple(s for s in slots if s not in ("axis", "keepdims", "reg", "lr", "default"))
    if data in ROLE_OF:
        return ROLE_OF[data]
    if "grads" in data or "dW" in data:
        return ("sgd_step",)
    return ("loss_and_grads",)


def slot_layouts(params: list) -> list:
    """Every way the function's parameters can be filled: tuples of slot names, one per
    parameter; optional parameters that are not special keep their defaults ("default")."""
    special = [_special(p) for p in params]
    data = [i for i, p in enumerate(params) if special[i] is None and p.default is p.empty]
    out = []
    for tpl in TEMPLATES.get(len(data), []):
        if "lr" in tpl and "lr" in special:
            continue
        slots = []
        it = iter(tpl)
        for i, p in enumerate(params):
            if i in data:
                slots.append(next(it))
            elif special[i] == "lr":
                slots.append("lr")
            elif special[i] is not None:
                slots.append(special[i])
            else:
                slots.append("default")
        slots = tuple(slots)
        if "lr" in slots and "grads" not in tpl and "dW" not in tpl:
            continue  # a learning rate belongs to an update
        if ("grads" in tpl or "dW" in tpl) and "lr" not in slots:
            continue
        out.append(slots)
    return out


# --- the adapter: canonical arguments in, canonical outputs out ---------------------------------

def _onehot(labels, C, dtype):
    if labels.ndim == 2:
        return labels.astype(dtype, copy=False)
    Y = np.zeros((labels.shape[0], C), dtype=dtype)  # (N, C)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def probabilities(z):
    """softmax(z) in z's dtype, computed in float64 (what a probabilities-taking loss gets)."""
    from numpy_softmax import kernels
    return kernels.softmax(z.astype(np.float64), axis=1).astype(z.dtype)


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
        if role in UNARY or role in LABELLED[:3]:
            z = args[0]  # (N, C)
            if c.inputs == "probs":  # a loss or gradient written on softmax's output
                z = probabilities(z)
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
        else:  # sgd_step
            (W, b), (dW, db), lr = args
            if c.inplace:  # its own copies, updated in place and returned by __call__
                W, b = self.updated = [W.copy(), b.copy()]
            have.update(W=W, b=b, dW=dW, db=db, lr=lr,
                        params=(W, b) if c.bias and not c.inplace else [W, b] if c.bias else W,
                        grads=(dW, db) if c.bias else dW)
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
        z = probabilities(z) if c.inputs == "probs" else z
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


# --- readings: every way of calling the function, tried on tame probes --------------------------

def variants(params: list, roles=None) -> list:
    """Every Contract the signature allows (roles limited to `roles` if given), the canonical
    conventions first."""
    out = []
    for slots in slot_layouts(params):
        for role in _roles_for(slots):
            if roles and role not in roles:
                continue
            base = Contract(role, slots=slots)
            if role in UNARY:
                combos = [dict(layout=l, batch="rows") for l in LAYOUTS] + [dict(batch="single")]
                if role == "softmax_jacobian":
                    combos = [dict(batch="single")]
                if role != "softmax_jacobian":
                    combos += [dict(d, cache=True) for d in combos]
            elif role == "sgd_step":
                bias = "b" in slots or "params" in slots
                combos = [dict(bias=bias), dict(bias=bias, inplace=True)]
            else:
                combos = []
                inputs = ("logits", "probs") if role in ("cross_entropy", "grad_logits") \
                    else ("logits",)
                reds = ("mean", "sum", "none") if role == "cross_entropy" else ("mean", "sum")
                for l, lab, inp, red in itertools.product(LAYOUTS, ("ids", "onehot"), inputs,
                                                          reds):
                    combos.append(dict(layout=l, labels=lab, inputs=inp, reduction=red))
                if role in ("cross_entropy", "grad_logits"):  # one example at a time
                    combos += [dict(batch="single", labels=lab, inputs=inp,
                                    reduction="none" if role == "cross_entropy" else "mean")
                               for lab in ("ids", "onehot") for inp in inputs]
                if role == "cross_entropy":
                    combos += [dict(d, cache=True) for d in combos if d.get("batch") != "single"
                               and d["reduction"] != "none"]
                if role == "loss_and_grads":
                    bias = "b" in slots or "params" in slots
                    combos = [dict(d, bias=bias, reg=None) for d in combos]
                    if "params" in slots:
                        combos += [dict(d, bias=False) for d in combos]  # params = W alone
            out += [replace(base, **d) for d in combos]
    return out


def signature_settles(params: list) -> dict:
    """Conventions the signature itself states: an `axis` parameter says a batch (a function of
    one vector needs none); its default of -1 or 1 says the classes are the last axis
    (examples-first), 0 that they are the first."""
    for p in params:
        if _special(p) == "axis":
            out = {"batch": "rows"}
            if p.default is not p.empty and isinstance(p.default, int):
                out["layout"] = "examples-first" if p.default in (-1, 1) else "classes-first"
            return out
    return {}


@dataclass
class Reading:
    contract: Contract
    matched: bool    # the right values on every probe
    error: str | None = None


NAME_ROLES = (  # (pattern on the lower-cased name, roles it suggests), first match wins
    (r"jacobian|softmax_?(grad|deriv|backward|prime)|d_?softmax", ("softmax_jacobian",)),
    (r"log_?softmax", ("log_softmax",)),
    (r"log_?sum_?exp|^lse$", ("logsumexp",)),
    (r"sgd|update|step", ("sgd_step",)),
    (r"softmax.*loss|loss.*softmax", ("loss_and_grads", "loss_and_grad_logits")),
    (r"backward|grad|delta|deriv", ("grad_logits", "loss_and_grad_logits")),
    (r"cross_?entropy|xent|nll|loss|^ce$|cost", ("cross_entropy",
                                                         "loss_and_grad_logits",
                                                         "loss_and_grads")),
    (r"softmax", ("softmax",)),
)


def roles_by_name(name: str) -> tuple:
    """The roles a function's name suggests. A method's own name speaks for it; its class's
    name joins in only for generic ones (forward, backward, __call__: CrossEntropy.forward is
    a loss, SoftmaxRegression.predict is nothing)."""
    cls, _, meth = name.rpartition(".")
    generic = meth.strip("_") in ("forward", "backward", "call", "loss", "grad", "gradient",
                                  "compute", "run", "apply")
    n = (f"{cls}_{meth}" if cls and generic else meth).lower()
    for pat, roles in NAME_ROLES:
        if re.search(pat, n):
            return roles
    return ()


def parse_contract(text: str | None) -> dict:
    """"layout=classes-first,reduction=sum" -> {"layout": ..., ...}; UsageError if a key or a
    value is unknown."""
    out = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        key, sep, value = (s.strip().lower() for s in pair.partition("="))
        if not sep or key not in KEYS:
            raise UsageError(f"--contract takes KEY=VALUE with KEY one of {', '.join(KEYS)}, "
                             f"got {pair!r}")
        value = ALIASES.get(value, value)
        if key == "reg":
            if value in ("none", "0"):
                out["reg"] = None
                continue
            try:
                out["reg"] = float(value)
            except ValueError:
                raise UsageError(f"--contract reg={value}: give none or the constant c of "
                                 f"c * reg * sum(W**2) (1 or 0.5)") from None
            continue
        if key == "bias":
            if value not in ("yes", "no"):
                raise UsageError(f"--contract bias={value}: give yes or no")
            out["bias"] = value == "yes"
            continue
        if value not in KEYS[key]:
            raise UsageError(f"--contract {key}={value}: give one of {', '.join(KEYS[key])}")
        out[key] = value
    return out


DIMS = {"layout": "examples-first", "batch": "rows", "reduction": "mean"}  # ambiguous: default


def _fits(c: Contract, fixed: dict, soft=()) -> bool:
    """Does c agree with what is fixed? (A reduction the rest of the file settles leaves
    per-example losses alone: soft.) reg is checked on its own, not here."""
    for k, v in fixed.items():
        if k == "reg" or not hasattr(c, k):
            continue
        if k == "reduction" and (c.role not in LABELLED or (k in soft and c.reduction == "none")):
            continue
        if k in ("bias",) and c.role not in MODEL or k == "inputs" and c.role != "cross_entropy":
            continue
        if k == "labels" and c.role not in LABELLED:
            continue
        if getattr(c, k) != v:
            return False
    return True


def informative(r: Reading, dim: str, tier: int = 1) -> bool:
    """Can this function's matching readings tell the file's convention in `dim`? For the
    layout, losses and gradients speak first (tier 1); a softmax only when none does (tier 2:
    a wrong-axis softmax must not overrule the losses)."""
    role = r.contract.role
    if dim == "layout":
        return role in LABELLED if tier == 1 else role in UNARY and r.contract.batch == "rows"
    if dim == "reduction":
        return role in LABELLED and r.contract.reduction != "none"
    return role in ("softmax_jacobian", "cross_entropy", "grad_logits") or (
        role in UNARY and r.contract.batch == "rows")


def file_evidence(all_readings: dict, dim: str, exclude: str) -> str | None:
    """What the file settles in `dim` for the function `exclude`: the value the other
    functions that settle it show; the default when the file's functions (that one included)
    disagree (an inconsistent file is held to the canonical convention: its odd one out is
    the mistake); None when no other function settles it."""
    def values(rs, tier) -> set:
        vals = {getattr(r.contract, dim) for r in rs
                if r.matched and informative(r, dim, tier)} - {"none"}
        return vals if len(vals) == 1 else set()

    for tier in (1, 2) if dim == "layout" else (1,):
        others, everyone = set(), set()
        for name, rs in all_readings.items():
            v = values(rs, tier)
            everyone |= v
            if name != exclude:
                others |= v
        if others:
            return DIMS[dim] if len(everyone) > 1 else others.pop()
    return None


@dataclass
class Choice:
    """What a function was understood as: a contract to check it under (status "check"), or
    "ambiguous" (with the flags that decide), or "unrecognised" (not softmax math)."""

    status: str
    contract: Contract | None = None
    why: str = ""
    flags: list = field(default_factory=list)
    settled: dict = field(default_factory=dict)   # dim -> who settled it


def _defaults_in(c: Contract, dims) -> list:
    """The dims among `dims` where c is not the default (per-example losses are no mistake
    to settle: their shape says what they are)."""
    out = []
    for d in dims:
        v = getattr(c, d)
        if d == "reduction" and (c.role not in LABELLED or v == "none"):
            continue
        if d == "batch" and c.role == "softmax_jacobian":
            continue
        if v != DIMS[d]:
            out.append(d)
    return out


def choose(name: str, own: dict, readings: list, all_readings: dict, pinned: dict,
           role: str | None = None) -> Choice:
    """The contract to check `name` under (see the module docstring); `own` is what its
    signature settles (signature_settles)."""
    by_name = roles_by_name(name)
    rs = [r for r in readings if r.error is None and (role is None or r.contract.role == role)]
    if any(not r.contract.cache for r in rs):  # a (loss, dZ) layer is no loss with a cache
        rs = [r for r in rs if not r.contract.cache]
    if not rs:  # it raised (or gave no output of the form) every way it was called
        named = [r for r in readings if r.contract.role == (role or (by_name or (None,))[0])]
        if named:  # a function named or mapped as a role fails as that role: "does not raise"
            return Choice("check", named[0].contract)
        return Choice("unrecognised", why="not softmax math (no way of calling it gave a "
                                          "softmax output)")
    if role is None:
        roles = {r.contract.role for r in rs if r.matched}
        pick = [x for x in by_name if x in roles] or sorted(roles, key=ROLES.index)
        if not pick:  # right under no reading: a mistake, if its name says what it is for
            formed = {r.contract.role for r in rs}
            pick = [x for x in by_name if x in formed]
            if not pick:
                return Choice("unrecognised", why="not softmax math (no reading gave the right "
                                                  "values, and its name names no role)")
        role = pick[0]
    rs = [r for r in rs if r.contract.role == role]
    fixed, settled = dict(pinned), {k: "--contract" for k in pinned}
    if "layout" in pinned and "batch" not in pinned:  # one example has no layout
        fixed["batch"] = "rows"
    for k, v in own.items():
        if k not in fixed:
            fixed[k], settled[k] = v, "its signature"
    soft = set()
    for dim in DIMS:
        if dim not in fixed:
            ev = file_evidence(all_readings, dim, name)
            if ev is not None:
                fixed[dim], settled[dim] = ev, "the rest of the file"
                soft.add(dim)
    pool = [r for r in rs if _fits(r.contract, fixed, soft)] or rs
    free = [d for d in DIMS if d not in fixed]
    good = [r for r in pool if r.matched]
    plain_good = [r for r in good if not _defaults_in(r.contract, free)]
    if plain_good:
        return Choice("check", plain_good[0].contract, settled=settled)
    runs_plain = [r for r in pool if not _defaults_in(r.contract, free)]
    if good and not runs_plain:  # it cannot even run the canonical way: its own convention
        return Choice("check", good[0].contract, settled=settled)
    if good:  # right only under a convention nothing settles: that, or a mistake
        c = good[0].contract
        dims = _defaults_in(c, free)
        flags = [f"{d}={getattr(c, d)}" for d in dims]
        return Choice("ambiguous", c, flags=flags, settled=settled,
                      why="right if " + ", ".join(flags) + " (a convention); wrong if "
                          + ", ".join(f"{d}={DIMS[d]}" for d in dims) + " (a mistake)")
    plain = [r for r in pool if not _defaults_in(r.contract, free)] or pool
    return Choice("check", plain[0].contract, settled=settled)


def as_json(c: Contract | None) -> dict | None:
    return None if c is None else c.public()


def slots_json(c: Contract) -> dict:
    return asdict(c)
