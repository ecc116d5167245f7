"""softmax_parity.check: property-test a user's own NumPy softmax, cross-entropy and gradients
against numpy_softmax (the library behind `softmax-parity check`).

    from softmax_parity.check import check
    report = check("my_softmax.py")     # runs the file as Python code, in a child process
    report.passed, report.functions, report.to_json(), print(report.format())

Modules: target (load the file, find the functions), inputs (arguments, reference answers),
budget (rounding or bug), properties (the checks, the hypothesis search), catalogue (the
mistakes, as code), diagnose (which mistake, and the gradient against its own loss), report
(records, table, JSON), run (child processes with time limits; check), strategies (the
hypothesis recipes, shared with parity_tests).
"""
from .catalogue import CATALOGUE
from .report import Record, Report
from .run import check

__all__ = ["check", "Report", "Record", "CATALOGUE"]
