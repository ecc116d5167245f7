"""Pick the contract to check a function under, from its readings (every way of calling it, tried
on tame probes: infer.readings) and the rest of the file's: --contract pins first, then the
function's own signature, then what the other functions settle, then the function's own
matching reading. A function right only under a convention nothing settles, which also runs the
canonical way (a softmax over axis 0, a summed loss), is ambiguous: the flag that decides is
named, and it is never failed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .contract import DIMS, LABELLED, MODEL, ROLES, UNARY, Contract
from .signature import roles_by_name

@dataclass
class Reading:
    contract: Contract
    matched: bool    # the right values on every probe
    error: str | None = None
    raised: bool = False  # the error is an exception (not an output of another form or shape)
    misshapen: bool = False  # the error is only an output of another shape


def _fits(c: Contract, fixed: dict, soft=()) -> bool:
    """Does c agree with what is fixed? (A reduction the rest of the file settles leaves
    per-example losses alone: soft.) reg is checked on its own, not here."""
    for k, v in fixed.items():
        if k == "reg" or not hasattr(c, k):
            continue
        if k == "reduction" and (c.role not in LABELLED or (k in soft and c.reduction == "none")):
            continue
        if k in ("bias",) and c.role not in MODEL or k == "inputs" and c.role not in ("cross_entropy", "grad_logits"):
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
    if dim == "inputs":
        return role in ("cross_entropy", "grad_logits")
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
    fixed: dict = field(default_factory=dict)     # dim -> the value settled
    decisive: list = field(default_factory=list)  # settled dims the function alone reads else


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
        if d == "inputs" and c.role not in ("cross_entropy", "grad_logits"):
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
    ran = [r for r in readings if not r.raised and r.contract.role == "loss_and_grad_logits"]
    if ran:  # a (loss, dZ) layer, even with a dZ of the wrong shape, is no loss with a cache
        rs = [r for r in rs if not r.contract.cache]
    if not rs:  # it raised (or gave no output of the form) every way it was called
        shaped = [r for r in readings if r.misshapen and r.contract.role in (role, *by_name)]
        if shaped and not role:  # its name says a role, it runs, its outputs have another
            return Choice("check", shaped[0].contract)  # shape: it fails as that role
        named = [r for r in readings if r.contract.role == role]
        named = [r for r in named if not r.raised] or named
        if named:  # named (numpy_softmax's name) or mapped as a role: it fails as that role
            return Choice("check", named[0].contract,
                          why="" if not named[0].raised else
                          "every way of calling it raised; if it takes its arguments "
                              "another way, --contract or a wrapper says how")
        first = next((r.error for r in readings if r.error), None)
        if by_name and first:
            return Choice("unrecognised", why=f"its name says {by_name[0]}, but every way of "
                                              f"calling it failed (e.g. {first[:80]}); "
                                              f"--map and --contract pin what it is")
        return Choice("unrecognised", why="not softmax math (no way of calling it gave a "
                                          "softmax output)")
    if role is None:
        roles = {r.contract.role for r in rs if r.matched}
        pick = [x for x in by_name if x in roles] or sorted(roles, key=ROLES.index)
        if not pick:  # right under no reading: a mistake, if its name says what it is for
            formed = {r.contract.role for r in rs}
            pick = [x for x in by_name if x in formed]
            shaped = [r for r in readings if r.misshapen and r.contract.role in by_name]
            if not pick and shaped:  # its name's role runs, with outputs of another shape
                return Choice("check", shaped[0].contract)
            if not pick and by_name:
                return Choice("unrecognised", why=f"its name says {by_name[0]}, but no way of "
                                                  f"calling it as one runs; --map and "
                                                  f"--contract pin what it is")
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
    decisive = [d for d in settled if d in DIMS and any(
        r.matched and getattr(r.contract, d) != fixed[d] for r in rs)]
    pool = [r for r in rs if _fits(r.contract, fixed, soft)]
    if not pool:  # nothing runs under what is settled: check it so, and say what breaks
        settled_ones = [r for r in readings if r.contract.role == role
                        and _fits(r.contract, fixed, soft)]
        if settled_ones:
            return Choice("check", settled_ones[0].contract, settled=settled, fixed=fixed, decisive=decisive)
        pool = rs
    free = [d for d in DIMS if d not in fixed]
    good = [r for r in pool if r.matched]
    plain_good = [r for r in good if not _defaults_in(r.contract, free)]
    if plain_good:
        return Choice("check", plain_good[0].contract, settled=settled, fixed=fixed, decisive=decisive)
    runs_plain = [r for r in pool if not _defaults_in(r.contract, free)]
    if good and not runs_plain:  # it cannot even run the canonical way: its own convention
        return Choice("check", good[0].contract, settled=settled, fixed=fixed, decisive=decisive)
    if good:  # right only under a convention nothing settles: that, or a mistake
        c = good[0].contract
        dims = _defaults_in(c, free)
        flags = [f"{d}={getattr(c, d)}" for d in dims]
        return Choice("ambiguous", c, flags=flags, settled=settled, fixed=fixed, decisive=decisive,
                      why="right if " + ", ".join(flags) + " (a convention); wrong if "
                          + ", ".join(f"{d}={DIMS[d]}" for d in dims) + " (a mistake)")
    plain = [r for r in pool if not _defaults_in(r.contract, free)] or pool
    return Choice("check", plain[0].contract, settled=settled, fixed=fixed, decisive=decisive)
