"""SciPy's own test file for the softmax family, scipy/special/tests/test_logsumexp.py, run
unchanged against numpy_softmax's logsumexp, softmax and log_softmax: it fails only on clear
refusals of what lies outside our API.

How: a separate pytest process runs the installed SciPy test module (`--pyargs`), with the
plugin tests/ops/scipy_suite_plugin.py putting our three functions in place of SciPy's before
the module imports them, and writing each test's outcome to a JSON file this test reads. The
process starts in a temporary directory with an empty pytest.ini, so this repository's pytest
configuration plays no part; SCIPY_ARRAY_API is unset, so SciPy tests NumPy arrays only.

The one difference of convention: SciPy's default axis is None (the whole array), ours is -1.
The plugin's shim fills in axis=None when SciPy's test gives no axis, and changes nothing else:
every other argument reaches numpy_softmax as SciPy's test wrote it.

What must hold: every failing SciPy test fails with numpy_softmax's one-line InputError, and
the message refuses something outside the API (complex input, b=, return_sign=, keepdims=, a
tuple axis, a 0-d input, +inf or NaN); test_gh18295 (a row with the others 40 below the
largest) passes; and at least PASSED tests pass. A SciPy test stops at its first refusal, so
its checks after that line do not run here: tests/ops/test_scipy_cases.py checks those cases
inside the overlap one by one. SciPy is a dev dependency, an oracle only.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from numpy_softmax import InputError

pytest.importorskip("scipy")

REPO = Path(__file__).resolve().parents[2]  # the root: tests/ops/ is two levels down
PLUGIN = "tests.ops.scipy_suite_plugin"
SUITE = "scipy.special.tests.test_logsumexp"
TIMEOUT = 600  # seconds; the run takes a few on a loaded 2-core machine
# SciPy 1.17.1's file collects 407 tests for NumPy; most are refused for complex input.
MIN_COLLECTED = 300
# What passes (SciPy 1.17.1): test_wrap_radians (SciPy's own helper), test_xp_invalid_input
# with a list, test_array_like, test_dtypes_a for float32, float64, int32, int64,
# test_gh18295, test_gh22601_infinite_elements with (-inf, -inf), and for softmax
# test_softmax_fixtures, _int_array, _array_like; for log_softmax test_log_softmax_basic,
# _int_array, _array_like, _translation (offsets 0 and 100), _noneaxis, test_axes (axis 0 and
# 1), _2d_axis1 and _2d_axis0.
PASSED = 22

# Each refusal names something outside the API (the messages of numpy_softmax.validate).
OUTSIDE_THE_API = {
    "complex input": r"must be a float32 or float64 array, got dtype complex",
    "a SciPy-only option": r"takes only z and axis, got (b|return_sign|keepdims)=",
    "a 0-d input": r"needs at least 1 dimension, got a scalar",
    "+inf or NaN": r"is (\+inf|NaN); logits must be finite",
    "a tuple axis": r"axis must be an integer .* got \(",
}


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """The plugin's report of one run of SciPy's test module against numpy_softmax."""
    where = tmp_path_factory.mktemp("scipy_suite")
    (where / "pytest.ini").write_text("[pytest]\n")  # stops pytest's search for a config
    report = where / "report.json"
    env = dict(os.environ)
    for name in ("SCIPY_ARRAY_API", "PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), env.get("PYTHONPATH")) if p)  # this checkout's packages first
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no cache files next to SciPy's installed tests
    env["SCIPY_SUITE_REPORT"] = str(report)
    cmd = [sys.executable, "-m", "pytest", "-q", "-c", "pytest.ini", "-p", "no:cacheprovider",
           "-p", PLUGIN, "--tb=line", "--pyargs", SUITE]  # short tracebacks: ~7x faster
    done = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert report.exists(), (f"the run wrote no report (exit status {done.returncode}):\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(report.read_text())


def test_scipys_suite_ran_against_numpy_softmax(suite):
    assert suite["uses_ours"] == {"logsumexp": True, "softmax": True, "log_softmax": True}
    assert not suite["collection_errors"], suite["collection_errors"]
    assert len(suite["collected"]) > MIN_COLLECTED, len(suite["collected"])
    assert suite["exitstatus"] in (0, 1), suite["exitstatus"]  # 1: some tests failed
    not_called = [t for t in suite["tests"] if t["when"] != "call"]  # a failing setup/teardown
    assert not not_called, not_called


def _is_refusal(test) -> bool:
    return (test.get("type") == InputError.__name__
            and test.get("module") == InputError.__module__
            and test.get("lines") == 1
            and any(re.search(p, test["message"]) for p in OUTSIDE_THE_API.values()))


def test_scipys_suite_fails_only_on_clear_refusals_of_what_lies_outside_the_api(suite):
    failed = [t for t in suite["tests"] if t["outcome"] == "failed"]
    others = [f"{t['nodeid']}: {t.get('type')}: {t.get('message')}"
              + (f" (+{t['lines'] - 1} more lines)" if t.get("lines", 1) > 1 else "")
              for t in failed if not _is_refusal(t)]
    assert not others, "failures that are not refusals:\n" + "\n".join(others)


def test_scipys_suite_passes_gh18295_and_every_case_inside_the_api(suite):
    passed = [t["nodeid"] for t in suite["tests"] if t["outcome"] == "passed"]
    assert any("::test_gh18295[" in n for n in passed), passed
    assert len(passed) >= PASSED, f"{len(passed)} passed, want >= {PASSED}: {passed}"
