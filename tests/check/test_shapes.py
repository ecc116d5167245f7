"""`softmax-parity check` on learner code as people write it (examples/shapes/: CS231n model
functions in both layouts, a CS231n layer, d2l's losses on probabilities, one-hot labels first,
classes-first data, a required axis, methods whose backward needs forward, one example at a
time, a script that fails at import, and mistakes in those shapes): each function's role,
contract and verdict as tests/check/shapes_expected.py states them, with no adapter and no
flag."""
from __future__ import annotations

from pathlib import Path

import pytest

from softmax_parity.check import check

from .shapes_expected import EXPECTED

SHAPES = Path(__file__).resolve().parents[2] / "examples" / "shapes"


@pytest.fixture(scope="module")
def reports():
    return {}


def _report(reports, stem):
    if stem not in reports:
        reports[stem] = check(str(SHAPES / f"{stem}.py"), tf=False, examples=40)
    return reports[stem]


def test_every_shape_file_has_expectations():
    assert {p.stem for p in SHAPES.glob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_each_function_is_understood_and_judged_as_expected(stem, reports):
    report = _report(reports, stem)
    got = {r.function: r for r in report.functions if r.function}
    for name, want in EXPECTED[stem].items():
        assert name in got, (name, sorted(got))
        r = got[name]
        assert r.status == want["status"], (name, r.status, report.format())
        if "role" in want:
            assert r.role == want["role"], (name, r.role)
        for key, value in want.get("contract", {}).items():
            assert r.contract[key] == value, (name, key, r.contract)
        if "diagnosis" in want:
            assert want["diagnosis"] in [f.diagnosis for f in r.failures], \
                (name, [(f.property, f.diagnosis) for f in r.failures])
        if r.status == "pass":
            assert r.understood.startswith(name.split(".")[-1] if "." not in name else name)


@pytest.mark.parametrize("stem", sorted(s for s in EXPECTED if not s.startswith("mistake")))
def test_a_correct_shape_raises_no_alarm(stem, reports):
    report = _report(reports, stem)
    assert report.passed, report.format()
    assert not [r for r in report.functions if r.status in ("fail", "ambiguous")]
