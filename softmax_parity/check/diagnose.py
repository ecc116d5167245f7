"""Name the mistake behind a failure, and check a gradient against its own loss.

diagnose: run every catalogued mistake that can show in the function (each variant, from
softmax_parity.mistakes) on the counterexample and on the fixed probes; a mistake is named only
when it reproduces the user's output on all of them (properties.agree, with the float32 budget,
which still separates every two mistakes by orders of magnitude) and differs from the right
code. When no mistake alone does, every two that combine (mistakes.PAIRS) are tried, and a
pair is named as one diagnosis "a+b". None when nothing, or more than one, reproduces it.

consistency: numpy_softmax.gradcheck of the user's gradient against finite differences of the
user's own loss (cross_entropy for grad_logits; loss_and_grads' first output), in float64 on a
small fixed problem. A wrong gradient that matches its own loss means the loss has the same
mistake (a consistent but wrong pair); one that does not is a slip in the backward pass.
"""
from __future__ import annotations

import numpy as np

import numpy_softmax as ns
from numpy_softmax.tolerances import GRADCHECK

from ..mistakes import CATALOGUE, PAIRS, RIGHT, ROLES, build
from . import inputs, properties


def _reproduces(spec, variant, cases, users, allowed, right) -> bool:
    """Does variant give the user's outputs on every case, and somewhere not the right ones?
    Stops at the first case where it does not (most variants differ on the counterexample)."""
    differs = False
    for c, u, a, r in zip(cases, users, allowed, right):
        try:
            theirs = properties.call(spec, variant, c)
        except Exception:  # a variant that cannot run on this input does not match
            return False
        if not properties.agree(u, theirs, a):
            return False
        differs = differs or not properties.agree(r, theirs, a)
    return differs  # a variant no different from the right code names nothing


def candidates(spec, fn, case, dtype, labels) -> list:
    """The ids of the catalogued mistakes that reproduce fn's outputs on case and the probes;
    when none does alone, the pairs that do together ("no-max-shift+log-of-softmax"). spec: a
    role name or a Contract (fn is then the canonical function under it)."""
    role = getattr(spec, "role", spec)
    if role not in ROLES:  # the catalogue has no mistakes of this role (sgd_step)
        return []
    cases = [case] + inputs.probes(spec, dtype, labels)
    users = [properties.call(spec, fn, c) for c in cases]
    if any(u.parts is None for u in users):
        return []
    allowed = [inputs.reference(spec, c, np.float32)[1] for c in cases]
    right = [properties.call(spec, build(RIGHT, role), c) for c in cases]
    for mistakes in (CATALOGUE, PAIRS):
        found = [m.id for m in mistakes
                 if any(_reproduces(spec, v, cases, users, allowed, right)
                        for v in m.variants(role))]
        if found:
            return found
    return []


def _probe(rng, N, C):
    z = rng.standard_normal((N, C)) * 2  # (N, C)
    return z, rng.integers(0, C, N)


def consistency(name: str, fns: dict) -> dict | None:
    """{"against", "consistent", "max_rel_error"} or None when there is no loss to check against.
    consistent is None (with "problem") when the functions could not be run. Every call gets
    copies: a loss that changes its input in place must not move the finite differences."""
    rng = np.random.default_rng(0)
    opts = dict(n_directions=3, **GRADCHECK[np.dtype(np.float64)])

    def check(loss, at, grad, label, **kw):
        return ns.gradcheck(lambda v: loss(v.copy()), at.copy(), np.asarray(grad), name=label,
                            **opts, **kw)

    try:
        if name in ("grad_logits", "loss_and_grad_logits"):
            z, y = _probe(rng, 4, 3)
            if name == "grad_logits":
                if "cross_entropy" not in fns:
                    return None
                ce, dz = fns["cross_entropy"], fns[name](z.copy(), y.copy())
                against = "your cross_entropy"
            else:
                layer = fns[name]
                ce, dz = (lambda v, t: layer(v, t)[0]), layer(z.copy(), y.copy())[1]
                against = "its own loss"
            reps = [check(lambda v: ce(v, y.copy()), z, dz, "dL/dZ",
                          f_scale=float(np.abs(z).max()))]
        elif name == "loss_and_grads":
            f = fns[name]
            X, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
            W, b = rng.standard_normal((4, 3)), rng.standard_normal(3)
            bias = getattr(f, "contract", None) is None or f.contract.bias
            b = b if bias else np.zeros(3)
            grads = f((W.copy(), b.copy()), X.copy(), y.copy())[1]
            reps = [check(lambda v: f((v, b.copy()), X.copy(), y.copy())[0], W, grads[0], "dW")]
            if bias:
                reps.append(check(lambda v: f((W.copy(), v), X.copy(), y.copy())[0], b,
                                  grads[1], "db"))
            against = "its own loss"
        else:
            return None
    except Exception as e:  # the user's code: whatever it raises, the check could not run
        return {"against": None, "consistent": None, "max_rel_error": None,
                "problem": f"{type(e).__name__}: {e}"[:200]}
    worst = max(r.max_rel_error for r in reps)
    return {"against": against, "consistent": all(r.passed for r in reps),
            "max_rel_error": float(worst) if np.isfinite(worst) else repr(float(worst))}
