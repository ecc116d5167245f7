"""Run the check: each function's checks in a child process with a time limit, so that a function
that raises, hangs or crashes is that function's failure, never the command's.

check(target) -> Report is the Python API (softmax_parity.check.check): one line in a notebook or
an autograder test. The child imports the target itself; the calling process never runs the
user's code.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import warnings

import numpy as np

from numpy_softmax.threads import blas_threads
from numpy_softmax.tolerances import CHECK_EXAMPLES, CHECK_TIMEOUT

from ..errors import UsageError
from . import diagnose, inputs, properties, second_oracle, target
from .catalogue import BY_ID
from .report import Record, Report, counterexample, generic_hint
from .strategies import DTYPES


def check_function(name: str, fns: dict, examples: int, seed: int) -> Record:
    """Every property of `name` on fns[name], in float32 and float64, class ids then (if
    accepted) probability rows; the first failure shrunk, diagnosed and returned."""
    fn, notes = fns[name], []
    kinds = ("ids", "probs") if name in inputs.LABELLED else (None,)
    for kind in kinds:
        if kind == "probs":
            probe = inputs.probes(name, np.float64, "probs")[0]
            if properties.call(name, fn, probe).error:
                notes.append("probability labels not supported")
                continue
        for dtype in DTYPES:
            hit = properties.search(name, fn, dtype, kind, examples, seed)
            if hit is None:
                continue
            case, out = hit
            ids = diagnose.candidates(name, fn, case, dtype, kind)
            if len(ids) > 1:
                notes.append("reproduced by more than one catalogued mistake: " + ", ".join(ids))
            m = BY_ID[ids[0]] if len(ids) == 1 else None
            return Record(name, "fail", out.property, counterexample(name, case), out.expected,
                          out.got, m.id if m else None,
                          "\n".join(m.hint) if m else generic_hint(name), where=out.where,
                          see=m.see if m else None,
                          gradcheck=diagnose.consistency(name, fns), notes=notes)
    return Record(name, "pass", gradcheck=diagnose.consistency(name, fns), notes=notes)


def _quiet_child() -> None:
    """The user's prints and NumPy's overflow warnings would garble the report (or the JSON)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    np.seterr(all="ignore")
    warnings.simplefilter("ignore")


def _child(conn, job, *args) -> None:
    _quiet_child()
    try:
        with blas_threads(1):  # small GEMMs; the cores are shared
            result = job(*args)
        conn.send(("ok", result))
    except UsageError as e:
        conn.send(("usage", str(e)))
    except BaseException as e:  # reported as the function's failure, with its message
        conn.send(("error", f"{type(e).__name__}: {e}"[:300]))


def _discover(tgt: str, mapping: dict) -> dict:
    return target.find_functions(target.load(tgt), mapping)


def _one(tgt: str, mapping: dict, name: str, examples: int, seed: int) -> Record:
    module = target.load(tgt)
    found = target.find_functions(module, mapping)
    fns = {api: getattr(module, real) for api, real in found.items() if real}
    return check_function(name, fns, examples, seed)


def _second_opinions(tgt: str, mapping: dict, names: list) -> dict:
    """{name: None (TF agrees) or the probe where it does not}, TF imported once, here."""
    module = target.load(tgt)
    found = target.find_functions(module, mapping)
    return {name: second_oracle.disagreement(
                name, getattr(module, found[name]),
                ("ids", "probs") if name in inputs.LABELLED else (None,))
            for name in names}


def _with_second_opinion(tgt: str, mapping: dict, records: list, timeout: float) -> list:
    """Each record that numpy_softmax passed, held to TensorFlow's answer on the probes."""
    passed = [r.name for r in records if r.status == "pass"]
    if not passed:
        return records
    status, found = in_child(max(timeout, second_oracle.TIMEOUT), _second_opinions, tgt,
                             mapping, passed)
    for r in records:
        if r.name not in passed:
            continue
        if status != "ok":
            r.notes.append(f"TensorFlow, the second oracle, gave no answer ({status})")
        elif found[r.name] is not None:
            d = found[r.name]
            r.status, r.property = "fail", "agrees with TensorFlow"
            r.counterexample = counterexample(r.name, d["case"])
            r.expected, r.got, r.where = d["expected"], d["got"], d["where"]
            r.hint = generic_hint(r.name)
    return records


def _context():
    """Children come from a fork server where there is one (Linux): a clean process that has
    imported this module and nothing else, so no child inherits the caller's threads (a fork
    of a process running TensorFlow's thread pools can deadlock) and none pays for the
    imports again. Elsewhere, spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def in_child(timeout: float, job, *args):
    """(status, value): job(*args) run in a child process; ("timeout", None) after `timeout`
    seconds (the child is killed), ("error", message) if it raised or died."""
    ctx = _context()
    mine, theirs = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(theirs, job, *args), daemon=True)
    p.start()
    theirs.close()
    try:
        if not mine.poll(timeout):
            p.kill()
            return "timeout", None
        return mine.recv()
    except EOFError:
        return "error", f"the check's process died (exit code {p.exitcode})"
    finally:
        p.join(5)
        mine.close()


def check(tgt: str, *, mapping: dict | str | None = None, examples: int = CHECK_EXAMPLES,
          seed: int = 0, timeout: float = CHECK_TIMEOUT, tf: bool = True) -> Report:
    """Check the target's API functions; a Report (report.passed, report.functions,
    report.to_json(), report.format()). numpy_softmax is the oracle; with tf (and TensorFlow
    installed) TF is a second one, on fixed probes. Raises UsageError when the target does
    not import."""
    if isinstance(mapping, str) or mapping is None:
        mapping = target.parse_map(mapping)
    if examples < 1:
        raise UsageError(f"examples must be >= 1, got {examples}")
    target.check_exists(tgt)
    status, found = in_child(timeout, _discover, tgt, mapping)
    if status == "timeout":
        raise UsageError(f"{tgt}: importing it did not finish in {timeout:g} s")
    if status != "ok":
        raise UsageError(found)
    if not any(found.values()):
        raise UsageError(f"{tgt} defines none of {', '.join(inputs.API)} (rename with --map)")
    records = []
    for api, real in found.items():
        if real is None:
            records.append(Record(api, "missing"))
            continue
        status, rec = in_child(timeout, _one, tgt, mapping, api, examples, seed)
        if status == "timeout":
            rec = Record(api, "fail", "does not hang", expected=f"returns within {timeout:g} s",
                         got="timed out", hint=generic_hint(api))
        elif status != "ok":
            rec = Record(api, "fail", "does not raise", expected="a result", got=rec,
                         hint=generic_hint(api))
        if real != api:
            rec.function = real
        records.append(rec)
    oracles = ["numpy_softmax"]
    if tf and second_oracle.available():
        records = _with_second_opinion(tgt, mapping, records, timeout)
        oracles.append("tensorflow")
    return Report(tgt, records, examples=examples, seed=seed, oracles=oracles)
