"""What a learner's function is: its role and its conventions (the contract), as the checks and
--contract name them.

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
per-example losses, no bias with an L2 term `c * reg * sum(W**2)`, an `axis` to pass, an
(output, cache) pair, an update in place. A Contract says which; adapter.Adapted wraps the
function so that it takes and returns the canonical forms; signature lists the contracts a
function's parameters allow; choose picks one (docs/check.md, "What each function is").
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError

ROLES = ("softmax", "log_softmax", "logsumexp", "softmax_jacobian", "cross_entropy",
         "grad_logits", "loss_and_grad_logits", "loss_and_grads", "sgd_step")
UNARY = ("softmax", "log_softmax", "logsumexp", "softmax_jacobian")
LABELLED = ("cross_entropy", "grad_logits", "loss_and_grad_logits", "loss_and_grads")
MODEL = ("loss_and_grads", "sgd_step")

LAYOUTS = ("examples-first", "classes-first")
KEYS = {  # --contract KEY=VALUE: the values each key takes (the first is the default)
    "layout": LAYOUTS, "labels": ("ids", "onehot"), "inputs": ("logits", "probs", "logprobs"),
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
    inputs: str = "logits"       # "probs": softmax(z) instead (a loss, a gradient);
                                 # "logprobs": log_softmax(z) (a loss: nll_loss)
    reduction: str = "mean"      # "mean", "sum", or "none" (per-example losses)
    batch: str = "rows"          # "rows", or "single": one example (C,) at a time
    bias: bool = True
    reg: float | None = None     # c in c * reg * sum(W**2); 0: reg ignored; None: not known
                                 # (measured by the check) or no reg parameter
    cache: bool = False          # returns (output, cache), as CS231n's and dlai's layers do
    inplace: bool = False        # sgd_step: updates the params it is given, returns nothing
    dicts: bool = False          # params (and grads) as {"W": ..., "b": ...}
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
        text = ROLE_TEXT[self.role]
        bits = [text.what]
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
        if self.role in LABELLED and self.inputs != "logits":
            bits.append({"probs": "takes probabilities",
                         "logprobs": "takes log-probabilities"}[self.inputs])
        if self.cache:
            bits.append("returns (output, cache)")
        if self.inplace:
            bits.append("in place")
        if self.dicts:
            bits.append('params as {"W", "b"}')
        if self.role in LABELLED:
            bits.append("class ids" if self.labels == "ids" else "one-hot labels")
            if self.slots[:1] == ("labels",):
                bits.append("labels first")
            bits.append({"mean": "mean over rows", "sum": "sum over rows",
                         "none": "per-example losses"}[self.reduction])
        return f"{name}({', '.join(params)}) -> {text.outputs(self)}: " + ", ".join(bits)


@dataclass(frozen=True)
class RoleText:
    """How the check speaks of a role: in the understood-as line, in a form or signature
    failure, and where docs/math.md derives it."""

    what: str        # "a layer (loss and its gradient in the logits)"
    signature: str   # the canonical call the checks make
    section: str     # of docs/math.md
    outputs: object  # Contract -> what it returns under that contract


ROLE_TEXT = {
    "softmax": RoleText("softmax", "softmax(z) -> (N, C)", "section 2 (softmax)",
                        lambda c: "probabilities"),
    "log_softmax": RoleText("log-softmax", "log_softmax(z) -> (N, C)",
                            "section 3 (log-sum-exp)", lambda c: "log-probabilities"),
    "logsumexp": RoleText("log-sum-exp", "logsumexp(z) -> (N,)", "section 3 (log-sum-exp)",
                          lambda c: "lse"),
    "softmax_jacobian": RoleText("softmax Jacobian",
                                 "softmax_jacobian(z) -> (C, C) for one row z (C,)",
                                 "section 2 (softmax)", lambda c: "(C, C)"),
    "cross_entropy": RoleText("a loss", "cross_entropy(logits, labels) -> scalar",
                              "section 4 (cross-entropy)",
                              lambda c: "losses" if c.reduction == "none" else "loss"),
    "grad_logits": RoleText("the gradient of the loss in the logits",
                            "grad_logits(logits, labels) -> (N, C)", "section 5 (dL/dZ)",
                            lambda c: "dZ"),
    "loss_and_grad_logits": RoleText("a layer (loss and its gradient in the logits)",
                                     "loss_and_grad_logits(logits, labels) -> (loss, dZ)",
                                     "sections 4 and 5 (cross-entropy, dL/dZ)",
                                     lambda c: "(loss, dZ)"),
    "loss_and_grads": RoleText("a model", "loss_and_grads((W, b), X, labels) -> (loss, (dW, db))",
                               "section 6 (the chain rule to W, b)",
                               lambda c: "(loss, dW, db)" if c.bias else "(loss, dW)"),
    "sgd_step": RoleText("an SGD step", "sgd_step((W, b), (dW, db), lr) -> (W, b)",
                         "section 7 (gradient descent)", lambda c: "(W, b)" if c.bias else "W"),
}


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
            if value == "none":  # no L2 term: c = 0
                out["reg"] = 0.0
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

DIMS = {"layout": "examples-first", "batch": "rows", "reduction": "mean",  # the conventions a
        "inputs": "logits"}  # mistake can mimic: their canonical values
