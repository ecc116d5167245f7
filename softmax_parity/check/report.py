"""The records a check returns, as a table for people, as one JSON object, and as Gradescope's
results.json (docs/check.md, Output): each function with its role, its contract, its status
(pass, fail, ambiguous, unrecognised, missing) and every failure, the most serious first.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from .contract import ROLE_TEXT

def generic_hint(name: str) -> str:
    return (f"Not a catalogued mistake (diagnosis null): compare your code with the formula,\n"
            f"docs/math.md {ROLE_TEXT[name].section}; softmax-parity explain --toy shows each step.")


def _jsonable(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return [_jsonable(v) for v in a] if a.ndim else (float(a) if np.isfinite(a) else repr(float(a)))
    return a.tolist()


MAX_SHOWN = 60  # entries of an input array printed in full in a counterexample


def counterexample(name: str, case) -> dict:
    """The recipe (what hypothesis shrank) and the input arrays (small ones in full)."""
    arrays = {"z": case.z, "labels": case.labels, "X": case.X, "W": case.W, "b": case.b}
    out = {"recipe": case.recipe}
    if case.b is not None and "bias=none" in case.recipe:
        arrays["b"] = None  # no bias: b is 0 and not the learner's
    for k, a in arrays.items():
        if a is not None:
            out[k] = _jsonable(a) if a.size <= MAX_SHOWN else {"shape": list(a.shape)}
    if name == "sgd_step":
        out["lr"] = case.lr
    return out


@dataclass
class Failure:
    """One property that breaks, with its own minimal input."""

    property: str
    counterexample: dict | None = None
    expected: object = None
    got: object = None
    diagnosis: str | None = None   # a catalogue id, "id+id" for a combination, or None
    hint: str | None = None        # two lines
    where: list = field(default_factory=list)
    see: str | None = None
    also: list = field(default_factory=list)  # several mistakes reproduce it: no diagnosis

    def to_json(self) -> dict:
        return {"property": self.property, "counterexample": self.counterexample,
                "expected": self.expected, "got": self.got, "diagnosis": self.diagnosis,
                "hint": self.hint, "where": self.where, "see": self.see}


STATUSES = ("pass", "fail", "ambiguous", "unrecognised", "missing")


@dataclass
class Record:
    role: str | None               # what the function was understood as (contract.ROLES)
    status: str                    # one of STATUSES
    function: str | None = None    # the learner's name ("Class.method" for a method)
    understood: str | None = None  # one line: the signature, the role, the conventions
    contract: dict | None = None   # the conventions, as --contract keys
    failures: list = field(default_factory=list)  # Failure, the most serious first
    notes: list = field(default_factory=list)
    gradcheck: dict | None = None
    l2: dict | None = None         # the L2 constants the loss and dW imply

    def settle(self) -> "Record":
        if self.failures:
            self.status = "fail"
        return self

    @property
    def name(self) -> str:
        return self.function or self.role

    @property
    def first(self) -> Failure | None:
        return self.failures[0] if self.failures else None

    @property
    def diagnosis(self) -> str | None:
        return self.first.diagnosis if self.first else None

    @property
    def property(self) -> str | None:
        return self.first.property if self.first else None

    def to_json(self) -> dict:
        f = self.first or Failure(None)
        d = {"name": self.name, "function": self.function, "role": self.role,
             "status": self.status, "contract": self.contract, "understood": self.understood,
             "failures": [x.to_json() for x in self.failures],
             "diagnoses": [x.diagnosis for x in self.failures if x.diagnosis],
             "notes": self.notes, "gradcheck": self.gradcheck}
        d.update({k: v for k, v in f.to_json().items()})  # the first failure, as before
        if self.l2 is not None:
            d["l2"] = self.l2
        return d


@dataclass
class Report:
    target: str
    functions: list
    examples: int = 0
    seed: int = 0
    oracles: list = field(default_factory=lambda: ["numpy_softmax"])
    notes: list = field(default_factory=list)  # about the target (what loading skipped)

    @property
    def passed(self) -> bool:
        """Something was checked, no function failed, and none was left ambiguous."""
        return any(r.status == "pass" for r in self.functions) and \
            all(r.status not in ("fail", "ambiguous") for r in self.functions)

    def to_json(self) -> dict:
        return {"target": self.target, "passed": self.passed, "oracles": self.oracles,
                "notes": self.notes, "functions": [r.to_json() for r in self.functions]}

    def header(self) -> str:
        return (f"softmax-parity check {self.target}: float32 and float64, {self.examples} "
                f"examples per dtype and label kind, seed {self.seed}; oracles: "
                + " and ".join(self.oracles))

    def format(self) -> str:
        lines = [self.header()] + [f"note: {n}" for n in self.notes]
        for r in self.functions:
            if r.status != "missing":
                lines += describe(r)
        missing = [r.name for r in self.functions if r.status == "missing"]
        if missing:
            lines.append("not in the file (numpy_softmax's other names): " + ", ".join(missing))
        n = {s: sum(r.status == s for r in self.functions) for s in STATUSES}
        checked = n["pass"] + n["fail"]
        extra = ", ".join(f"{n[s]} {s}" for s in ("ambiguous", "unrecognised") if n[s])
        verdict = "FAIL" if n["fail"] else "NOT SETTLED" if n["ambiguous"] else \
            "NOTHING CHECKED" if not n["pass"] else "PASS"
        lines.append(f"{verdict}: {n['pass']} of {checked} functions checked pass"
                     + (f" ({extra})" if extra else "")
                     + ("; pin the ambiguous with --contract" if n["ambiguous"] else ""))
        return "\n".join(lines)

    def gradescope(self) -> dict:
        """Gradescope's results.json: one test per function checked (or ambiguous), a point
        each; the output of each test is its part of the table."""
        tests = []
        for r in self.functions:
            if r.status not in ("pass", "fail", "ambiguous"):
                continue
            tests.append({"name": f"{r.name} ({r.role})", "score": float(r.status == "pass"),
                          "max_score": 1.0,
                          "status": "passed" if r.status == "pass" else "failed",
                          "output": "\n".join(describe(r))})
        return {"score": float(sum(t["score"] for t in tests)),
                "output": "\n".join([self.header()] + [f"note: {n}" for n in self.notes]),
                "tests": tests}


VERDICT = {"pass": "pass", "fail": "FAIL", "missing": "not provided",
           "ambiguous": "AMBIGUOUS (not checked)", "unrecognised": "not recognised"}


def describe(r: Record) -> list:
    """The lines of the table for one function: what it was understood as, then the verdict."""
    if r.understood:
        lines = [r.understood, f"  {VERDICT[r.status]}"]
    else:
        lines = [f"{r.name:<24} {VERDICT[r.status]}"]
    for k, f in enumerate(r.failures, 1):
        lines += _details(f, k, len(r.failures))
    for n in r.notes:
        lines.append(f"  note: {n}")
    g = r.gradcheck
    if g and r.status == "fail" and g.get("consistent") is not None:
        lines.append(f"  gradient vs {g['against']} (finite differences): "
                     + ("consistent (if the loss is wrong too, the pair is wrong the "
                        "same way)" if g["consistent"] else
                        f"NOT consistent, max rel error {_g(g['max_rel_error'])} (the "
                        f"gradient does not match its loss)"))
    return lines


def _g(x) -> str:
    return f"{x:.2g}" if isinstance(x, (int, float)) else str(x)  # "nan", "inf" in JSON form


def _array_text(v) -> str:
    return str(v) if not isinstance(v, dict) else f"shape {v['shape']}"


def _details(f: Failure, k: int, n: int) -> list:
    out = [f"  failure {k} of {n}: {f.property}"]
    ce = f.counterexample or {}
    if ce:
        out.append(f"  minimal input   {ce['recipe']}")
        for key in ("z", "labels", "X", "W", "b", "lr"):
            if key in ce:
                out += textwrap.wrap(f"{key} = {_array_text(ce[key])}", 96,
                                     initial_indent=" " * 18, subsequent_indent=" " * 20)
    at = f" at {f.where[0]}{f.where[1:]}" if f.where else ""
    out.append(f"  expected{at}: {f.expected}")
    out.append(f"  got: {f.got}")
    out.append(f"  diagnosis       {f.diagnosis or 'unrecognised (not a catalogued mistake)'}")
    for h in (f.hint or "").splitlines():
        out.append(f"  hint            {h}")
    if f.see:
        out.append(f"  see             {f.see}")
    return out
