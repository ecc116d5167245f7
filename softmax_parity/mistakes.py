"""The classic softmax mistakes, each as working code: the project's one catalogue of them.

Who builds on it:
  softmax-parity check       names the mistake behind a failure (softmax_parity.check.diagnose):
                             a mistake, or a pair of them (PAIRS), is named only when its code
                             reproduces the learner's output on the counterexample and on fixed
                             probes; never a guess from symptoms.
  softmax-parity gradcheck   --demo-mistakes runs GRADCHECK_MISTAKES, five wrong
                             loss_and_grads, through finite differences (softmax_parity.gradcheck).
  parity_tests/mutants.py    swaps these into numpy_softmax: every property must catch them.
  the tests                  naive_softmax, the counter-example.

A Flavor says how one learner's file computes each link of the chain; the defaults are right.
A mistake is the few fields it sets, in one or more common variants (its flavors), so two
mistakes combine by merging the fields they set (combine). build(flavor, role) is the function
of that role computed that way, in the canonical form every check speaks
(softmax_parity.check.contract):
    softmax(z) -> (N, C)      log_softmax(z) -> (N, C)      logsumexp(z) -> (N,)
    softmax_jacobian(z) -> (N, C, C)    cross_entropy(z, labels) -> scalar
    grad_logits(z, labels) -> (N, C)    loss_and_grad_logits(z, labels) -> (loss, dZ)
    loss_and_grads((W, b), X, labels) -> (loss, Params(dW, db))

Dimensions: N examples, D features, C classes; z (N, C) logits, labels class ids (N,) or
probability rows (N, C), Y (N, C) their rows.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields, replace
from typing import Callable

import numpy as np

import numpy_softmax as ns
from numpy_softmax import kernels

MATH = "docs/math.md"
ROLES = ("softmax", "log_softmax", "logsumexp", "softmax_jacobian", "cross_entropy",
         "grad_logits", "loss_and_grad_logits", "loss_and_grads")
LOSSES = ("cross_entropy", "loss_and_grad_logits", "loss_and_grads")  # roles with a loss
EPSILONS = (1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15)  # the eps learners put in log(p + eps)


def naive_softmax(z, axis=-1):
    """exp(z) / sum exp(z), the textbook formula with no max subtracted: the counter-example.
    exp overflows to inf past 88.7 (float32) or 709.8 (float64), and inf / inf = NaN."""
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def targets(labels, C: int, dtype) -> np.ndarray:
    """Y (N, C): one-hot rows for class ids (N,), or the probability rows as given."""
    y = np.asarray(labels)
    return kernels.onehot(y, C, dtype) if y.ndim == 1 else y.astype(dtype)


# --- the links, right and wrong: z (N, C) -> (N, C), or (N,) for logsumexp ------------------------

def _softmax(z):
    return kernels.softmax(z, axis=1)


def _log_softmax(z):
    return kernels.log_softmax(z, axis=1)


def _logsumexp(z):
    return kernels.logsumexp(z, axis=1)


def _naive_log_softmax(z):
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # no shift: exp overflows


def _naive_logsumexp(z):
    return np.log(np.exp(z).sum(axis=1))  # no shift: exp overflows


def _global_softmax(z):
    e = np.exp(z - z.max())  # the max of the whole array: a row far below it underflows to 0
    return e / e.sum(axis=1, keepdims=True)  # 0 / 0 = NaN there


def _global_log_softmax(z):
    s = z - z.max()  # the whole array's max
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def _global_logsumexp(z):
    m = z.max()  # the whole array's max
    return m + np.log(np.exp(z - m).sum(axis=1))


def _dW(X, dZ):
    return X.T @ dZ  # (D, C)


def _db(dZ):
    return dZ.sum(axis=0)  # (C,)


def _dW_transposed(X, dZ):
    return dZ.T @ X  # (C, D): the shape of W.T


def _dW_reshaped(X, dZ):
    return (dZ.T @ X).reshape(X.shape[1], dZ.shape[1])  # (D, C): right shape, wrong places


@dataclass(frozen=True)
class Flavor:
    """How one learner's file computes each link; the defaults are right. Each field is one
    decision, so two mistakes that decide different things combine (combine)."""

    softmax: Callable = _softmax            # z -> p (N, C)
    log_softmax: Callable = _log_softmax    # z -> log p (N, C)
    logsumexp: Callable = _logsumexp        # z -> (N,)
    log_of_softmax: bool = False  # log_softmax as log(softmax(z)), with this flavor's softmax
    on_probs: tuple = ()          # the links ("softmax", "log_softmax") given softmax(z), not z
    log_eps: tuple = ()           # the loss's log p: ("add", eps) log(p + eps), ("clip", eps)
    #                               log(clip(p, eps, 1)); () its log_softmax
    reduce: str = "mean"          # of the per-row losses: "mean" or "sum"
    divide_grad: bool = True      # dZ = (p - Y) / N, or the 1/N forgotten
    negate_grad: bool = False     # dZ = (Y - p) / N: the direction of ascent
    dz_T: bool = False            # dZ returned transposed (C, N)
    dW: Callable = _dW            # (X, dZ) -> dL/dW
    db: Callable = _db            # dZ -> dL/db
    other_dtype: bool = False     # float64 out for float32 in (and float32 for float64)
    mutates: bool = False         # z -= max(z) in place on the caller's array
    masked: bool = True           # the loss skips Y = 0 terms (else 0 * -inf = NaN there)
    ids_off_by_one: tuple = ()    # the links ("loss", "grad") that read class id y as y + 1
    #                               (gradcheck's demo and the mutation tests; not a diagnosis)


RIGHT = Flavor()


def _set(f: Flavor) -> dict:
    """The fields f sets (those not at the right default)."""
    return {k.name: getattr(f, k.name) for k in fields(Flavor)
            if getattr(f, k.name) != getattr(RIGHT, k.name)}


def combine(a: Flavor, b: Flavor) -> Flavor | None:
    """Both flavors' mistakes at once; None when they set the same field differently."""
    sa, sb = _set(a), _set(b)
    if any(sa[k] != sb[k] for k in sa.keys() & sb.keys()):
        return None
    return replace(RIGHT, **{**sa, **sb})


# --- a flavor's links, then each role built from them --------------------------------------------

def _p(f: Flavor, z):
    """The softmax link: (N, C)."""
    p = f.softmax(z)
    return f.softmax(p) if "softmax" in f.on_probs else p


def _log_p(f: Flavor, z):
    """The log_softmax link: (N, C)."""
    ls = (lambda v: np.log(f.softmax(v))) if f.log_of_softmax else f.log_softmax
    return ls(f.softmax(z)) if "log_softmax" in f.on_probs else ls(z)


def _Y(f: Flavor, link: str, labels, C: int, dtype):
    y = np.asarray(labels)
    if y.ndim == 1 and link in f.ids_off_by_one:
        y = (y + 1) % C  # class c's target read from c + 1
    return targets(y, C, dtype)  # (N, C)


def _ce(f: Flavor, z, labels):
    """L = -(1/N) sum_n sum_c Y_nc log p_nc (or the sum over n)."""
    if f.log_eps:
        how, eps = f.log_eps
        p = _p(f, z)  # (N, C)
        lp = np.log(p + eps) if how == "add" else np.log(np.clip(p, eps, 1))  # the mistake
    else:
        lp = _log_p(f, z)  # (N, C)
    Y = _Y(f, "loss", labels, z.shape[1], z.dtype)  # (N, C)
    terms = np.where(Y > 0, Y * lp, 0.0) if f.masked else Y * lp  # (N, C)
    per_row = -np.sum(terms, axis=1).astype(z.dtype)  # (N,)
    return per_row.sum() if f.reduce == "sum" else per_row.mean(dtype=z.dtype)


def _dz(f: Flavor, z, labels):
    """dL/dZ = (p - Y) / N: (N, C), or (C, N) transposed."""
    g = _p(f, z) - _Y(f, "grad", labels, z.shape[1], z.dtype)  # (N, C)
    g = g / z.shape[0] if f.divide_grad else g
    g = -g if f.negate_grad else g
    return g.T if f.dz_T else g


def _jacobian(f: Flavor, z):
    """Per row, d p_i / d z_j = diag(p) - p p^T: (N, C, C)."""
    p = _p(f, z)  # (N, C)
    return p[:, :, None] * np.eye(z.shape[1], dtype=p.dtype) - p[:, :, None] * p[:, None, :]


def _core(f: Flavor, role: str, args):
    if role == "softmax":
        return _p(f, args[0])
    if role == "log_softmax":
        return _log_p(f, args[0])
    if role == "logsumexp":
        return f.logsumexp(args[0])
    if role == "softmax_jacobian":
        return _jacobian(f, args[0])
    if role == "cross_entropy":
        return _ce(f, *args)
    if role == "grad_logits":
        return _dz(f, *args)
    if role == "loss_and_grad_logits":
        return _ce(f, *args), _dz(f, *args)
    if role == "loss_and_grads":
        (W, b), X, labels = args
        Z = X @ W + b  # (N, C)
        dZ = _dz(f, Z, labels)
        return _ce(f, Z, labels), ns.Params(f.dW(X, dZ), f.db(dZ))
    raise KeyError(role)


def _to64(a):
    if isinstance(a, tuple):
        return tuple(_to64(v) for v in a)
    return a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a


def _cast(out, dt):
    if isinstance(out, ns.Params):
        return ns.Params(out.W.astype(dt), out.b.astype(dt))
    if isinstance(out, tuple):
        return tuple(_cast(v, dt) for v in out)
    return np.asarray(out).astype(dt)


def build(f: Flavor, role: str) -> Callable:
    """The API function `role` (ROLES), computed the way f says."""
    if role not in ROLES:
        raise KeyError(role)

    def fn(*args):
        with np.errstate(all="ignore"):  # a mistake's inf and NaN are its answer, not a warning
            if f.mutates:
                args[0][...] = args[0] - args[0].max(axis=1, keepdims=True)  # the mistake
                args = (args[0].copy(),) + args[1:]
            if f.other_dtype:
                src = args[1] if role == "loss_and_grads" else args[0]  # X, or z
                dt = np.float32 if src.dtype == np.float64 else np.float64
                return _cast(_core(f, role, _to64(args)), dt)
            return _core(f, role, args)
    fn.__name__ = role
    return fn


@dataclass(frozen=True)
class Mistake:
    """One classic mistake (or a pair made together: PAIRS), the ways of making it, and what
    `softmax-parity check` says when it names it."""

    id: str
    hint: tuple          # two lines
    see: str             # the explain step or the docs/math.md section with the right formula
    flavors: tuple       # ways of making it; each a Flavor
    applies: tuple       # the roles it can show in
    extra: dict = field(default_factory=dict)  # role -> more variants (callables)

    def variants(self, role: str) -> list:
        """The mistake's functions for `role`: one per flavor (losses also without the mask)."""
        if role not in self.applies:
            return []
        flavors = self.flavors + tuple(replace(f, masked=False) for f in self.flavors
                                       if role in LOSSES and not f.log_eps and f.masked)
        return [build(f, role) for f in flavors] + list(self.extra.get(role, ()))


def _each(**links) -> tuple:
    """Flavors with all the given links wrong, and with each one alone wrong (a learner's loss
    may use a right log_softmax while the gradient uses the wrong softmax)."""
    alone = tuple(replace(RIGHT, **{k: v}) for k, v in links.items()) if len(links) > 1 else ()
    return (replace(RIGHT, **links),) + alone


_UNARY = ("softmax", "log_softmax", "logsumexp")
_GRADS = ("grad_logits", "loss_and_grad_logits", "loss_and_grads")  # roles with a dL/dZ

CATALOGUE = (
    Mistake("no-max-shift",
            ("exp(z) overflows to inf once a logit passes 88.7 (float32) or 709.8 (float64).",
             "Subtract each row's max first: softmax(z - max z) = softmax(z), and exp(<= 0) <= 1."),
            f"{MATH} section 3 (the log-sum-exp trick); softmax-parity explain, step max-shift",
            _each(softmax=naive_softmax, log_softmax=_naive_log_softmax,
                  logsumexp=_naive_logsumexp),
            ROLES),
    Mistake("log-of-softmax",
            ("log(softmax(z)) is -inf where a probability underflows to 0, though the true value",
             "is finite: compute log_softmax = (z - m) - log(sum exp(z - m)) directly."),
            f"{MATH} section 3; softmax-parity explain, step log-softmax",
            (replace(RIGHT, log_of_softmax=True),),
            ("log_softmax",) + LOSSES),
    Mistake("sum-not-mean",
            ("The loss sums the N rows' losses; the project's (and TF's) loss is their mean.",
             "Divide by N (np.mean), and the gradient by N too."),
            f"{MATH} section 4 (cross-entropy); softmax-parity explain, step cross-entropy",
            (replace(RIGHT, reduce="sum", divide_grad=False), replace(RIGHT, reduce="sum")),
            LOSSES),
    Mistake("grad-not-divided-by-n",
            ("The loss is a mean over N rows, so its gradient is (softmax - Y) / N;",
             "this one is N times too large (the gradient of the summed loss)."),
            f"{MATH} section 5 (the gradient with respect to the logits); softmax-parity "
            "explain, step dL/dZ",
            (replace(RIGHT, divide_grad=False),),
            _GRADS),
    Mistake("wrong-axis",
            ("The max, the sum or the normalisation runs over axis 0 (the examples), not over",
             "the classes: use axis=1 (or -1) with keepdims=True, so that each row sums to 1."),
            f"{MATH} section 2 (softmax); softmax-parity explain, step normalise",
            _each(softmax=lambda z: kernels.softmax(z, axis=0),
                  log_softmax=lambda z: kernels.log_softmax(z, axis=0),
                  logsumexp=lambda z: kernels.logsumexp(z, axis=0)),
            ROLES),
    Mistake("double-softmax",
            ("softmax is applied twice (to probabilities that are already a softmax): every",
             "row comes out too flat. Pass the logits themselves to softmax and the loss."),
            f"{MATH} section 2; softmax-parity explain, step normalise",
            tuple(replace(RIGHT, on_probs=links) for links in
                  (("softmax", "log_softmax"), ("softmax",), ("log_softmax",))),
            ("softmax", "log_softmax", "softmax_jacobian") + LOSSES + ("grad_logits",)),
    Mistake("transposed-grad",
            ("The gradient comes out transposed: dL/dW = X.T @ dZ is (D, C), like W;",
             "dZ.T @ X is (C, D). Each gradient must have the shape of what it differentiates."),
            f"{MATH} section 6 (the chain rule to W and b); softmax-parity explain, step dL/dW",
            (replace(RIGHT, dW=_dW_transposed), replace(RIGHT, dW=_dW_reshaped),
             replace(RIGHT, dz_T=True)),
            _GRADS),
    Mistake("bias-grad-not-summed",
            ("b is added to every row, so dL/db sums dZ over the N rows: dZ.sum(axis=0), (C,).",
             "Here it is dZ itself, or its mean (which divides by N a second time)."),
            f"{MATH} section 6; softmax-parity explain, step dL/db",
            (replace(RIGHT, db=lambda dZ: dZ), replace(RIGHT, db=lambda dZ: dZ.mean(axis=0))),
            ("loss_and_grads",)),
    Mistake("dtype-not-preserved",
            ("The values are right but the dtype changed (e.g. float32 in, float64 out): callers",
             "rely on output dtype = input dtype. Cast back with .astype(z.dtype)."),
            "docs/math.md (At a glance); the contract in README, The Python API",
            (replace(RIGHT, other_dtype=True),),
            ROLES),
    Mistake("mutates-input",
            ("The function changes its caller's array (z -= z.max(...) works in place).",
             "Write z = z - z.max(axis=1, keepdims=True): a new array, the input untouched."),
            f"{MATH} section 3; softmax-parity explain, step max-shift",
            (replace(RIGHT, mutates=True),),
            _UNARY + ("softmax_jacobian", "cross_entropy", "grad_logits", "loss_and_grad_logits")),
    Mistake("wrong-sign",
            ("The gradient has the wrong sign: dL/dZ = softmax - Y (the true class pushed up by",
             "descent), not Y - softmax, which is the direction of gradient ascent."),
            f"{MATH} section 5; softmax-parity explain, step dL/dZ",
            (replace(RIGHT, negate_grad=True),),
            _GRADS),
    Mistake("global-max-shift",
            ("z - z.max() subtracts the WHOLE array's max: a row far below it gives 0 / 0 = NaN.",
             "Subtract each row's own max: z - z.max(axis=1, keepdims=True)."),
            f"{MATH} section 3 (the log-sum-exp trick); softmax-parity explain, step max-shift",
            _each(softmax=_global_softmax, log_softmax=_global_log_softmax,
                  logsumexp=_global_logsumexp),
            ROLES),
    Mistake("epsilon-in-log",
            ("log(p + eps) caps a confident wrong prediction's loss at -log(eps), biases the rest.",
             "Use log_softmax(z) = (z - m) - log(sum exp(z - m)): finite with no eps (nor clip)."),
            f"{MATH} section 4 (cross-entropy) and section 9 (the cap -log eps); "
            "softmax-parity explain, step log-softmax",
            tuple(replace(RIGHT, log_eps=(how, eps)) for how in ("add", "clip")
                  for eps in EPSILONS),
            LOSSES),
)

BY_ID = {m.id: m for m in CATALOGUE}


def _pair(a: Mistake, b: Mistake) -> Mistake | None:
    """Mistakes a and b made together, as one Mistake "a+b"; None when they cannot combine."""
    applies = tuple(r for r in a.applies if r in b.applies)
    merged = (combine(fa, fb) for fa in a.flavors for fb in b.flavors)
    flavors = tuple(dict.fromkeys(f for f in merged if f is not None))  # no duplicates
    if not applies or not flavors:
        return None
    return Mistake(f"{a.id}+{b.id}", (a.hint[0], b.hint[0]), f"{a.see}; {b.see}", flavors,
                   applies)


# every two mistakes that combine, ids in CATALOGUE order; diagnose tries them when no single
# mistake reproduces an output
PAIRS = tuple(p for p in (_pair(a, b) for a, b in itertools.combinations(CATALOGUE, 2)) if p)


# --- softmax-parity gradcheck --demo-mistakes: loss_and_grads(params, X, y) -> (loss, Params) ----

def _demo(name: str, flavor: Flavor, doc: str) -> Callable:
    fn = build(flavor, "loss_and_grads")
    fn.__name__, fn.__qualname__, fn.__doc__ = name, name, doc
    return fn


missing_1_over_N = _demo(
    "missing_1_over_N", BY_ID["grad-not-divided-by-n"].flavors[0],
    "dZ = softmax - Y: the mean's 1/N forgotten (the gradient of the sum, not the mean).")
W_transposed = _demo(
    "W_transposed", BY_ID["transposed-grad"].flavors[1],
    "dW built as (dZ.T @ X), which is dW.T (C, D), then reshaped to (D, C) instead of "
    "transposed: the right numbers in the wrong places.")
wrong_sign = _demo(
    "wrong_sign", BY_ID["wrong-sign"].flavors[0],
    "dW = X.T @ (Y - softmax) / N: the sign of gradient ascent.")
softmax_without_max_shift = _demo(
    "softmax_without_max_shift",
    combine(BY_ID["no-max-shift"].flavors[0], BY_ID["log-of-softmax"].flavors[0]),
    "exp(Z) / sum exp(Z) with no max subtracted (and its log for the loss): right for small "
    "logits, NaN once a logit passes 709.8 (float64; 88.7 in float32), as exp overflows to inf "
    "and inf / inf = NaN.")
labels_off_by_one = _demo(
    "labels_off_by_one", replace(RIGHT, ids_off_by_one=("grad",)),
    "The gradient's one-hot built from y + 1 (mod C): an indexing slip in the backward pass "
    "only (the loss is right). A slip made in both loss and gradient would be a consistent, "
    "wrong model: gradcheck cannot see that one (the TF parity of the loss does).")

GRADCHECK_MISTAKES = {
    "missing 1/N": missing_1_over_N,
    "W gradient transposed": W_transposed,
    "wrong sign": wrong_sign,
    "softmax without the max shift": softmax_without_max_shift,
    "labels off by one": labels_off_by_one,
}
