"""A function's signature: what each of its parameters can receive (slots), every Contract the
signature allows (variants), what it states by itself (signature_settles), and the roles its
name suggests.
"""
from __future__ import annotations

import inspect
import itertools
import re
from dataclasses import replace

from .contract import LAYOUTS, UNARY, Contract

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
                if "params" in slots:
                    combos += [dict(d, dicts=True) for d in combos]
            else:
                combos = []
                inputs = ("logits", "probs", "logprobs") if role == "cross_entropy" else \
                    ("logits", "probs") if role == "grad_logits" else ("logits",)
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
                        combos += [dict(d, dicts=True) for d in combos]
            out += [replace(base, **d) for d in combos]
    return out


INPUT_NAMES = {  # parameter names that say what a loss or a gradient is given
    "logits": {"logits", "logit", "scores", "z", "zs"},
    "probs": {"probs", "prob", "probabilities", "p", "y_hat", "yhat", "y_pred", "ypred",
              "pred", "preds", "predictions", "a", "al", "activations", "softmax_out"},
    "logprobs": {"log_probs", "logprobs", "log_p", "logp", "log_probabilities", "lp"},
}


def signature_settles(params: list) -> dict:
    """Conventions the signature itself states: a parameter named `logits`, `y_hat`,
    `log_probs` says what a loss is given (a loss on logits that forgot its softmax is then
    not read as one on probabilities); Keras's `from_logits=False` says probabilities; an
    `axis` parameter says a batch (a function of one vector needs none); its default of -1 or 1
    says the classes are the last axis (examples-first), 0 that they are the first."""
    names = {p.name.lower() for p in params}
    out = {}
    for inputs, said in INPUT_NAMES.items():  # what the loss or gradient is given, by name
        if names & said:
            out["inputs"] = inputs
            break
    for p in params:
        if p.name == "from_logits" and isinstance(p.default, bool):  # Keras's losses
            out["inputs"] = "logits" if p.default else "probs"
        if _special(p) == "axis":
            out["batch"] = "rows"
            if p.default is not p.empty and isinstance(p.default, int):
                out["layout"] = "examples-first" if p.default in (-1, 1) else "classes-first"
    return out


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
