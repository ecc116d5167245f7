"""Run the check: find the target's functions, infer what each one is, then check each one in a
child process with a time limit (child.in_child), so that a function that raises, hangs,
exits, exhausts memory or crashes is that function's failure, never the command's.

check(target) -> Report is the Python API (softmax_parity.check.check): one line in a notebook or
an autograder test. The children import the target themselves; the calling process never runs
the user's code.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from numpy_softmax.tolerances import CHECK_EXAMPLES, CHECK_PROBE, CHECK_TIMEOUT

from ..errors import UsageError
from ..mistakes import BY_ID
from . import contract as ct
from .adapter import Adapted
from .choose import choose
from .signature import signature_settles
from . import diagnose, infer, inputs, properties, sandbox, second_oracle, target
from .child import in_child
from .report import Failure, Record, Report, counterexample, generic_hint
from .strategies import DTYPES


def _failure(spec, fn, case, out, dtype, kind) -> Failure:
    ids = diagnose.candidates(spec, fn, case, dtype, kind)
    one = ids[0] if len(ids) == 1 else None
    ms = [BY_ID[i] for i in one.split("+")] if one else []  # a combination: "a+b"
    hint = ("\n".join(m.hint[0] for m in ms) if len(ms) > 1 else "\n".join(ms[0].hint)) \
        if ms else generic_hint(spec.role)
    if one == "log-of-softmax" and spec.inputs == "probs":  # given probabilities, not logits
        hint = ("Y * log(p) is 0 * -inf = NaN where a probability is exactly 0 (it underflowed)\n"
                "and its label weight is 0: take only the label's term, log(p[range(N), y]).")
    if one == "wrong-axis" and spec.layout == "classes-first":  # their classes are axis 0
        hint = ("The max, the sum or the normalisation runs over axis 1 (the examples, in your\n"
                "classes-first layout): use axis=0 with keepdims=True, so each column sums to 1.")
    return Failure(out.property, counterexample(spec.role, case), out.expected, out.got,
                   one, hint, out.where, "; ".join(m.see for m in ms) or None,
                   also=ids if len(ids) > 1 else [])


def check_function(spec: ct.Contract, fn, fns: dict, examples: int, seed: int) -> Record:
    """Every property of fn (canonical, under `spec`) in float32 and float64, class ids then
    (if accepted) probability rows: each distinct failure shrunk and diagnosed."""
    notes, found = [], {}
    kinds = ("ids", "probs") if spec.role in ct.LABELLED else (None,)
    for kind in kinds:
        if kind == "probs":
            probe = inputs.probes(spec, np.float64, "probs")[0]
            if properties.call(spec, fn, probe).error:
                notes.append("takes class ids only (probability rows refused)")
                continue
        for dtype in DTYPES:
            for case, out in properties.search(spec, fn, dtype, kind, examples, seed):
                k = properties.key(out)
                if k not in found:
                    found[k] = _failure(spec, fn, case, out, dtype, kind)
    failures = sorted(found.values(), key=properties.rank)
    rec = Record(spec.role, "fail" if failures else "pass", failures=failures, notes=notes,
                 gradcheck=diagnose.consistency(spec.role, fns))
    for f in failures:
        if f.also:
            notes.append(f"{f.property}: reproduced by more than one catalogued mistake: "
                         + ", ".join(f.also))
    return rec.settle()


def _discover(tgt: str, mapped: list, timeout: float) -> dict:
    t0 = time.process_time()
    module, skipped = sandbox.load(tgt, timeout)
    load = time.process_time() - t0  # every child loads the file again: its time is theirs too
    found = infer.candidates(module, mapped)
    return {"functions": {n: [p.name for p in ps] for n, (_, ps) in found.items()},
            "signatures": {n: _sig(ps) for n, (_, ps) in found.items()},
            "settles": {n: signature_settles(ps) for n, (_, ps) in found.items()},
            "skipped": skipped, "load_seconds": load}


def _sig(params) -> list:
    return [p.name + ("" if p.default is p.empty else "=" + repr(p.default)[:20])
            for p in params]


def _readings(tgt: str, name: str, roles, mapped: list, timeout: float) -> list:
    module, _ = sandbox.load(tgt, timeout)
    factory, params = infer.candidates(module, mapped)[name]
    return infer.readings(factory, params, roles)


def _one(tgt: str, name: str, spec: ct.Contract, others: dict, mapped: list, examples: int,
         seed: int, timeout: float) -> Record:
    module, _ = sandbox.load(tgt, timeout)
    found = infer.candidates(module, mapped)
    factory, params = found[name]
    fn = Adapted(factory, spec, infer.names_of(params))
    fns = {spec.role: fn}
    for other, c in others.items():  # the file's own loss, for the gradient's consistency
        f, ps = found[other]
        fns.setdefault(c.role, Adapted(f, c, infer.names_of(ps)))
    rec = check_function(spec, fn, fns, examples, seed)
    if spec.role == "loss_and_grads" and "reg" in spec.slots and not any(
            f.property in ("does not raise", "output form", "shape") for f in rec.failures):
        rec = _with_l2(rec, factory, spec, params)
    return rec


def _with_l2(rec: Record, factory, spec: ct.Contract, params) -> Record:
    """The L2 term: the constant c of c * reg * sum(W**2) the loss uses, and whether dW adds
    its gradient 2 c reg W. Any c > 0 is a convention (CS231n: 1 or 0.5); a gradient that does
    not match its loss, a c <= 0, one that follows reg or N, a db that changes with reg unlike
    the loss, or a c other than the pinned one, is a failure. A reg that changes nothing is one
    too, unless --contract reg=0 says the assignment has no L2 term."""
    m = infer.l2_term(factory, spec, params)
    if "error" in m:
        rec.notes.append(f"the L2 check could not run: {m['error']}")
        return rec
    cs, grads = m["constants"], m["grad"]
    c = cs[0]
    rec.l2 = {"loss_constant": c, "grad_constant": grads[0], "constant": c,
              "per_problem": cs}
    pinned = spec.reg
    def near(x, y):
        return abs(x - y) <= CHECK_PROBE["rtol"] * max(1.0, abs(y))

    same = all(near(x, c) for x in cs + grads)
    if max(abs(x) for x in cs + grads) < CHECK_PROBE["atol"]:
        rec.l2["constant"] = 0.0
        bad = None if pinned == 0 else (
            "L2 term", "reg * sum(W**2) with some c > 0 (--contract reg=0 if the assignment "
                       "has no L2 term)", "reg changes nothing: no L2 term in the loss or in dW")
    elif not all(m["like_W"]) or not all(near(x, y) for x, y in zip(cs, grads)):
        bad = ("L2 gradient", f"dW gains 2 * {c:g} * reg * W (the loss's L2 term is "
                              f"{c:g} * reg * sum(W**2))",
               f"dW gains {2 * grads[0]:g} * reg * W" if all(m["like_W"]) else
               "dW's change is not a multiple of W")
    elif not same:
        bad = ("L2 term", "c * reg * sum(W**2) with one constant c",
               f"c = {cs[0]:g} at N = 5, reg = {infer.REGS[0]:g}; c = {cs[1]:g} at N = 2, "
               f"reg = {infer.REGS[1]:g} (the term follows reg or N)")
    elif c < 0:
        bad = ("L2 term", "c * reg * sum(W**2) with c > 0",
               f"{c:g} * reg * sum(W**2): a penalty that rewards large weights")
    elif not all(m["bias"]):
        bad = ("L2 gradient", "db changes with reg as the loss does (not at all, unless the "
                              "loss regularises b too)", "db changes unlike the loss")
    elif pinned is not None and not near(c, pinned):
        bad = ("L2 term", f"{pinned:g} * reg * sum(W**2) (--contract reg={pinned:g})",
               f"{c:g} * reg * sum(W**2)")
    else:
        bad = None
    if bad:
        prop, expected, got = bad
        rec.failures.append(Failure(prop, {"recipe": f"tame N=5 D=4 C=3 float64 reg="
                                                     f"{infer.REGS[0]:g}", "W": m["W"]},
                                    expected, got, None,
                                    "The L2 term c * reg * sum(W**2) adds 2 c * reg * W to dW,\n"
                                    "the same c > 0 in both (CS231n uses c = 1 or 0.5).",
                                    ["dW"], "docs/check.md (the L2 term)"))
        rec.status = "fail"
    return rec.settle()


def _second_opinions(tgt: str, specs: dict, mapped: list, timeout: float) -> dict:
    """{name: None (TF agrees) or the probe where it does not}, TF imported once, here."""
    module, _ = sandbox.load(tgt, timeout)
    found = infer.candidates(module, mapped)
    out = {}
    for name, spec in specs.items():
        factory, params = found[name]
        fn = Adapted(factory, spec, infer.names_of(params))
        kinds = ("ids", "probs") if spec.role in ct.LABELLED else (None,)
        out[name] = second_oracle.disagreement(spec, fn, kinds)
    return out


def _with_second_opinion(tgt: str, records: list, specs: dict, mapped: list,
                         timeout: float) -> list:
    """Each record that numpy_softmax passed, held to TensorFlow's answer on the probes."""
    asked = {r.function: specs[r.function] for r in records
             if r.status == "pass" and second_oracle.covers(specs.get(r.function))}
    if not asked:
        return records
    status, found = in_child(max(timeout, second_oracle.TIMEOUT), _second_opinions, tgt,
                             asked, mapped, timeout, limit=False)
    for r in records:
        if r.function not in asked:
            continue
        if status != "ok":
            r.notes.append(f"TensorFlow, the second oracle, gave no answer ({status})")
        elif found[r.function] is not None:
            d = found[r.function]
            r.failures.append(Failure("agrees with TensorFlow", counterexample(r.role, d["case"]),
                                      d["expected"], d["got"], None, generic_hint(r.role),
                                      d["where"]))
            r.status = "fail"
            r.settle()
    return records


def _roles_for(name: str, mapping: dict):
    role = mapping.get(name)
    if role is None and name in inputs.API:
        role = name
    return role


def check(tgt: str, *, mapping: dict | str | None = None, contract: dict | str | None = None,
          examples: int = CHECK_EXAMPLES, seed: int = 0, timeout: float = CHECK_TIMEOUT,
          tf: bool = True) -> Report:
    """Check every function of the target: what each one is (its role and conventions,
    inferred, or pinned by `contract` / `mapping`), then its properties. A Report
    (report.passed, report.functions, report.to_json(), report.format()). numpy_softmax is the
    oracle; with tf (and TensorFlow installed) TF is a second one, on fixed probes. Raises
    UsageError when the target does not import or an option is wrong."""
    if isinstance(mapping, str) or mapping is None:
        mapping = target.parse_map(mapping)
    pinned = ct.parse_contract(contract) if isinstance(contract, str) or contract is None \
        else dict(contract)
    if examples < 1:
        raise UsageError(f"examples must be >= 1, got {examples}")
    target.check_exists(tgt)
    mapped = list(mapping)
    status, found = in_child(timeout + 5, _discover, tgt, mapped, timeout)
    if status == "timeout":
        raise UsageError(f"{tgt}: loading it did not finish in {timeout:g} s")
    if status != "ok":
        raise UsageError(found)
    names = found["functions"]
    per_function = timeout + found["load_seconds"]  # the file's own load is not the function's
    unknown = [m for m in mapping if m not in names]
    if unknown:
        raise UsageError(f"--map {unknown[0]}: {tgt} has no function or method of that name "
                         f"(it has {', '.join(names) or 'none'})")
    if not names:
        why = found["skipped"][0].replace("running the file failed at line ",
                                          f"{tgt}:") if found["skipped"] else ""
        raise UsageError(f"{why}: so it defines no function or method to check" if why
                         else f"{tgt} defines no function or method to check")
    # what each function is: its readings on tame probes, then the file's conventions
    readings, records = {}, {}
    for name, params in names.items():
        role = _roles_for(name, mapping)
        status, rs = in_child(per_function, _readings, tgt, name, (role,) if role else None,
                              mapped, timeout)
        if status == "ok":
            readings[name] = rs
        else:
            readings[name] = []
            if role:
                got = "timed out" if status == "timeout" else rs
                records[name] = _broken(name, role, status, got, timeout)
    signatures = found["signatures"]
    choices = {}
    for name, params in names.items():
        if name in records:
            continue
        role = _roles_for(name, mapping)
        choice = choose(name, found["settles"][name], readings[name], readings, pinned, role)
        if choice.status == "unrecognised" and role:
            records[name] = _uncallable(name, role, signatures[name], readings[name])
            continue
        choices[name] = choice
    # the checks, one child per function
    checked = {n: c.contract for n, c in choices.items() if c.status == "check"}
    for name, choice in choices.items():
        sig = signatures[name]
        if choice.status == "unrecognised":
            records[name] = Record(None, "unrecognised", function=name,
                                   understood=f"{name}({', '.join(sig)}): {choice.why}")
            continue
        spec = choice.contract
        if "reg" in pinned and "reg" in spec.slots:
            spec = replace(spec, reg=pinned["reg"])
        others = {n: c for n, c in checked.items() if n != name}
        status, rec = in_child(per_function, _one, tgt, name, spec, others, mapped, examples,
                               seed, timeout)
        if status != "ok":
            rec = _broken(name, spec.role, status, "timed out" if status == "timeout" else rec,
                          timeout)
        if rec.l2 is not None:  # the L2 constant the check measured
            spec = replace(spec, reg=rec.l2["constant"])
        rec.function, rec.understood = name, spec.describe(name, sig)
        rec.contract = spec.public()
        if choice.status == "ambiguous":
            rec = _ambiguous(rec, choice)
        elif choice.why:
            rec.notes.append(choice.why)
        said = {k: v for k, v in choice.settled.items() if k in rec.contract
                and (v == "--contract" or k in choice.decisive)}
        if said:  # a convention the function did not show by itself
            rec.notes.insert(0, "; ".join(f"{k}={choice.fixed.get(k, rec.contract[k])} settled "
                                          f"by {v}" for k, v in said.items()))
        records[name] = rec
    ordered = [records[n] for n in names if n in records]
    roles_seen = {r.role for r in ordered if r.status in ("pass", "fail", "ambiguous")}
    if any(n in inputs.API for n in names):  # written against numpy_softmax's names
        ordered += [Record(api, "missing", function=None) for api in inputs.API
                    if api not in roles_seen and api not in names]
    oracles = ["numpy_softmax"]
    if tf and second_oracle.available():
        ordered = _with_second_opinion(tgt, ordered, checked, mapped, timeout)
        oracles.append("tensorflow")
    skipped = found["skipped"]
    notes = [f"{skipped[0]}: only its imports and definitions were loaded; not run: "
             + "; ".join(skipped[1:])] if skipped else []
    return Report(tgt, ordered, examples=examples, seed=seed, oracles=oracles, notes=notes)


def _ambiguous(rec: Record, choice) -> Record:
    """A function right on the tame probes only under a convention nothing settles: checked
    under that convention. Wrong even so, it fails (wrong either way); right, it is ambiguous,
    and the flag that decides is named."""
    flags = choice.flags
    defaults = ",".join(f"{f.split('=')[0]}={ct.DIMS[f.split('=')[0]]}" for f in flags)
    if rec.status == "fail":
        rec.notes.insert(0, f"checked as {', '.join(flags)} (the file does not settle it; "
                            f"--contract {defaults} checks it as a mistake): wrong even so")
        return rec
    options = " or ".join(f"--contract {f}" for f in flags)
    return Record(rec.role, "ambiguous", function=rec.function, understood=rec.understood,
                  contract=rec.contract,
                  notes=[f"{choice.why}; nothing in the file settles it: {options} checks it "
                         f"as that convention (it passes so), --contract {defaults} as a "
                         f"mistake"])


def _broken(name: str, role: str, status: str, got, timeout: float) -> Record:
    """A function that hung, raised outside the properties, or ended its process."""
    if status == "timeout":
        f = Failure("does not hang", None, f"returns within {timeout:g} s", "timed out", None,
                    generic_hint(role))
    else:
        f = Failure("does not raise", None, "a result", got, None, generic_hint(role))
    return Record(role, "fail", function=name, failures=[f]).settle()


def _uncallable(name: str, role: str, sig: list, readings: list) -> Record:
    """A function named or mapped as `role` that no way of calling fits: say which arguments
    the tool would pass and which the function wants, before any search."""
    why = next((r.error for r in readings if r.error), None)
    wants = f"{name}({', '.join(sig)})"
    f = Failure("signature", None, ct.ROLE_TEXT[role].signature, wants, None,
                f"The check calls {role} as {ct.ROLE_TEXT[role].signature};\n"
                f"{wants} fits none of the ways it knows"
                + (f" (the nearest raised {why})" if why else "")
                + ": pin the conventions with --contract or wrap it.")
    return Record(role, "fail", function=name, failures=[f]).settle()
