"""A pytest plugin that runs SciPy's own test_logsumexp.py against numpy_softmax's softmax family.

Not a test module: tests/ops/test_scipy_suite.py loads it into a separate pytest process with
`-p tests.ops.scipy_suite_plugin`, the repository root on PYTHONPATH. It does two things:

  pytest_configure  puts ours in SciPy's place before SciPy's test module is imported:
                    scipy.special.logsumexp, softmax and log_softmax become numpy_softmax's,
                    each behind the one shim below, and each is entered in SciPy's
                    xp_capabilities_table with the entry of the SciPy function it stands for
                    (make_xp_test_case looks its function up there while collecting).
  the report        one JSON file, at the path in $SCIPY_SUITE_REPORT, written when the session
                    ends: what was collected, whether SciPy's test module really imported ours,
                    and per test the outcome of its call phase (plus any failing setup or
                    teardown); for a failure, the exception's type name and module, the first
                    line of its message and its number of lines.

The shim fills in SciPy's default, axis=None, when the caller gives no axis (ours is -1), and
does nothing else: every other argument reaches numpy_softmax as SciPy's test wrote it.
"""
from __future__ import annotations

import functools
import json
import os
import sys

import pytest

import numpy_softmax

REPORT_ENV = "SCIPY_SUITE_REPORT"
SUITE = "scipy.special.tests.test_logsumexp"
OPS = ("logsumexp", "softmax", "log_softmax")

_records: list[dict] = []
_collected: list[str] = []
_collection_errors: list[dict] = []


def with_scipys_default_axis(op):
    """`op` with axis=None when the caller passes no axis (SciPy's default; ours is -1)."""
    @functools.wraps(op)
    def call(z, *args, **kwargs):
        if not args and "axis" not in kwargs:
            kwargs["axis"] = None
        return op(z, *args, **kwargs)
    return call


def pytest_configure(config):
    import scipy.special
    from scipy._lib._array_api import xp_capabilities_table

    for name in OPS:
        scipys = getattr(scipy.special, name)
        ours = with_scipys_default_axis(getattr(numpy_softmax, name))
        xp_capabilities_table[ours] = xp_capabilities_table[scipys]
        setattr(scipy.special, name, ours)


def _exception(excinfo) -> dict:
    message = str(excinfo.value)
    lines = message.splitlines()
    return {"type": excinfo.typename, "module": type(excinfo.value).__module__,
            "message": lines[0] if lines else "", "lines": len(lines)}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" and not report.failed:
        return  # a passed or skipped setup/teardown: the call phase (if any) says enough
    record = {"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome}
    if hasattr(report, "wasxfail"):
        record["xfail"] = True
    if report.failed and call.excinfo is not None:
        record.update(_exception(call.excinfo))
    _records.append(record)


def pytest_collectreport(report):
    if report.failed:
        _collection_errors.append({"nodeid": report.nodeid,
                                   "message": str(report.longrepr).splitlines()[-1:]})


def pytest_collection_finish(session):
    _collected.extend(item.nodeid for item in session.items)


def _suite_uses_ours() -> dict:
    """For each op: does SciPy's test module call numpy_softmax's (through the shim)?"""
    module = sys.modules.get(SUITE)
    return {name: getattr(getattr(module, name, None), "__wrapped__", None)
            is getattr(numpy_softmax, name) for name in OPS}


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    report = {"exitstatus": int(exitstatus), "collected": _collected,
              "collection_errors": _collection_errors, "uses_ours": _suite_uses_ours(),
              "tests": _records}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
