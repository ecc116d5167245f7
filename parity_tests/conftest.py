"""Hypothesis profiles for the parity suite.

  ci        (the default, and what CI runs) 100 examples per property, no deadline (TF's first
            calls and graph builds are slow and uneven), no example database (every run starts
            clean: a stored failing example from a local experiment cannot leak into CI),
            derandomized: the same examples on every run, so a CI result is reproducible and a
            red CI is never a coin toss; `thorough` (random, 1,000 examples) explores instead
  dev       20 examples, with the local example database: quick runs while editing
  thorough  1,000 examples (PARITY_EXAMPLES=n for another count): what parity_tests.measure
            runs to find the worst differences
Pick one with HYPOTHESIS_PROFILE=<name>; without it (CI set or not) the ci profile is loaded.
"""
import json
import os

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, report_multiple_bugs=False, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=100, database=None, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("thorough", max_examples=int(os.environ.get("PARITY_EXAMPLES", 1000)),
                         database=None, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")


def pytest_sessionfinish(session, exitstatus):
    """With PARITY_OBSERVED_JSON=<path>, write the worst differences the suite saw there."""
    path = os.environ.get("PARITY_OBSERVED_JSON")
    if not path:
        return
    from numpy_softmax.data import atomic_write

    from .checks import OBSERVED
    rows = [{"op": op, "dtype": dt, **rec} for (op, dt), rec in sorted(OBSERVED.items())]
    atomic_write(path, json.dumps(rows, indent=1).encode())  # a reader never sees half a file


@pytest.fixture(scope="package", autouse=True)
def one_blas_thread():
    """NumPy's BLAS on one thread while this suite runs. With TF imported, its thread pools and
    OpenBLAS's two spinning threads compete for the same 2 cores and small GEMMs wait on each
    other (docs/benchmarks.md, threads). Results stay within the tolerances either way; only
    the time changes. Tests outside parity_tests are unaffected."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        yield
