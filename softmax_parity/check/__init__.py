"""softmax_parity.check: property-test a learner's own NumPy softmax code, as people write it,
against numpy_softmax (the library behind `softmax-parity check`).

    from softmax_parity.check import check
    report = check("my_softmax.py")     # runs the file as Python code, in child processes
    report.passed, report.functions, report.to_json(), report.gradescope(), report.format()

Modules: sandbox (contain a child, load the file even when its body fails), infer (its
functions and methods, their readings on tame probes, the L2 term), contract (roles and
conventions), signature (the contracts a signature allows), adapter (a function under a
contract, as the canonical one), choose (the contract to check it under, or ambiguous),
inputs (arguments, reference answers), budget (rounding or bug), properties (the checks, the hypothesis search), diagnose
(which catalogued mistake, softmax_parity.mistakes, and the gradient against its own loss),
report (records, table, JSON, Gradescope), run (check: the whole run), child (the contained
child processes with time limits),
second_oracle (TensorFlow), strategies (the hypothesis recipes, shared with parity_tests).
"""
from ..mistakes import CATALOGUE
from .report import Record, Report
from .run import check

__all__ = ["check", "Report", "Record", "CATALOGUE"]
