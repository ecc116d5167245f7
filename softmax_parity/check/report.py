"""The records a check returns, as a table for people and as one JSON object for autograders:
{"target", "passed", "functions": [{"name", "status": "pass"|"fail"|"missing", "property",
"counterexample", "expected", "got", "diagnosis", "hint", ...}]} (docs/check.md, JSON).
"""
from __future__ import annotations

import textwrap
from dataclasses import asdict, dataclass, field

import numpy as np

SECTIONS = {  # where the right formula is: docs/math.md
    "softmax": "section 2 (softmax)", "log_softmax": "section 3 (log-sum-exp)",
    "logsumexp": "section 3 (log-sum-exp)", "cross_entropy": "section 4 (cross-entropy)",
    "grad_logits": "section 5 (dL/dZ)", "loss_and_grads": "section 6 (the chain rule to W, b)",
    "sgd_step": "section 7 (gradient descent)"}


def generic_hint(name: str) -> str:
    return (f"Not a catalogued mistake (diagnosis null): compare your code with the formula,\n"
            f"docs/math.md {SECTIONS[name]}; softmax-parity explain --toy shows each step.")


def _jsonable(a):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return [_jsonable(v) for v in a] if a.ndim else (float(a) if np.isfinite(a) else repr(float(a)))
    return a.tolist()


MAX_SHOWN = 60  # entries of an input array printed in a counterexample


def counterexample(name: str, case) -> dict:
    """The recipe (what hypothesis shrank) and the input arrays (small ones in full)."""
    arrays = {"z": case.z, "labels": case.labels, "X": case.X, "W": case.W, "b": case.b}
    out = {"recipe": case.recipe}
    for k, a in arrays.items():
        if a is not None:
            out[k] = _jsonable(a) if a.size <= MAX_SHOWN else {"shape": list(a.shape)}
    if name == "sgd_step":
        out["lr"] = case.lr
    return out


@dataclass
class Record:
    name: str
    status: str                    # "pass", "fail" or "missing"
    property: str | None = None
    counterexample: dict | None = None
    expected: object = None
    got: object = None
    diagnosis: str | None = None   # a catalogue id, or None
    hint: str | None = None        # two lines
    where: list = field(default_factory=list)
    see: str | None = None
    gradcheck: dict | None = None
    notes: list = field(default_factory=list)
    function: str | None = None    # the target's name, when --map renamed it


@dataclass
class Report:
    target: str
    functions: list
    examples: int = 0
    seed: int = 0
    oracles: list = field(default_factory=lambda: ["numpy_softmax"])

    @property
    def passed(self) -> bool:
        return all(r.status != "fail" for r in self.functions)

    def to_json(self) -> dict:
        return {"target": self.target, "passed": self.passed, "oracles": self.oracles,
                "functions": [asdict(r) for r in self.functions]}

    def format(self) -> str:
        lines = [f"softmax-parity check {self.target}: float32 and float64, {self.examples} "
                 f"examples per dtype and label kind, seed {self.seed}; oracles: "
                 + " and ".join(self.oracles)]
        for r in self.functions:
            label = r.name + (f" ({r.function})" if r.function else "")
            verdict = {"pass": "pass", "fail": "FAIL", "missing": "not provided"}[r.status]
            lines.append(f"{label:<16} {verdict}" + (f"  {r.property}" if r.property else ""))
            if r.status == "fail":
                lines += _details(r)
            for n in r.notes:
                lines.append(f"  note: {n}")
            g = r.gradcheck
            if g and r.status == "fail" and g.get("consistent") is not None:
                lines.append(f"  gradient vs {g['against']} (finite differences): "
                             + ("consistent (if the loss is wrong too, the pair is wrong the "
                                "same way)" if g["consistent"] else
                                f"NOT consistent, max rel error {g['max_rel_error']:.2g} (the "
                                f"gradient does not match its loss)"))
        bad = sum(r.status == "fail" for r in self.functions)
        given = sum(r.status != "missing" for r in self.functions)
        lines.append(f"{'PASS' if self.passed else 'FAIL'}: {given - bad} of {given} functions "
                     f"provided pass")
        return "\n".join(lines)


def _details(r: Record) -> list:
    out = []
    ce = r.counterexample or {}
    if ce:
        out.append(f"  minimal input   {ce['recipe']}")
        for k in ("z", "labels", "X", "W", "b"):
            if k in ce:
                text = str(ce[k]) if not isinstance(ce[k], dict) else f"shape {ce[k]['shape']}"
                out += textwrap.wrap(f"{k} = {text}", 76, initial_indent=" " * 18,
                                     subsequent_indent=" " * 20, max_lines=3)
    at = f" at {r.where[0]}{r.where[1:]}" if r.where else ""
    out.append(f"  expected{at}: {r.expected}")
    out.append(f"  got: {r.got}")
    out.append(f"  diagnosis       {r.diagnosis or 'unrecognised (not a catalogued mistake)'}")
    for h in (r.hint or "").splitlines():
        out.append(f"  hint            {h}")
    if r.see:
        out.append(f"  see             {r.see}")
    return out
