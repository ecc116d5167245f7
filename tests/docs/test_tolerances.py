"""numpy_softmax.tolerances: every limit comes with its reason, and the bounds are positive."""
import dataclasses

from numpy_softmax import tolerances as T


def test_every_compare_limit_has_a_reason_and_is_positive_where_checked():
    assert set(T.REASONS) == set(T.COMPARE)
    for dtype, tol in T.COMPARE.items():
        assert set(T.REASONS[dtype]) == {f.name for f in dataclasses.fields(tol)}
        for name in T.COMPARE_NAMES:
            assert T.REASONS[dtype][name].strip(), (dtype, name)
            value = getattr(tol, name)
            assert value is None or value > 0, (dtype, name)  # None: not checked


def test_every_op_tolerance_has_a_reason_and_positive_ulps():
    for op, tol in T.TOLERANCES.items():
        assert tol.reason.strip() and tol.scale.strip(), op
        assert tol.ulps > 0 and tol.tinies >= 0, op
    for name, (ulps, reason) in T.MATH_ULPS.items():
        assert ulps > 0 and reason.strip(), name
    assert all(reason.strip() for reason in T.EXACT.values())


def test_the_op_tolerances_follow_from_each_sides_error_against_exact():
    """|numpy - tf| <= |numpy - exact| + |tf - exact|: each op's tolerance is at least twice
    that sum, each side's worst over every regime and dtype of parity_tests/accuracy.json (in
    the op's parity scale), so the tolerance covers what either side gets wrong, and no more
    than 64x it (a tolerance far above what both sides' errors explain hides a mistake)."""
    import pytest
    pytest.importorskip("mpmath")
    from parity_tests import accuracy
    data = accuracy.load()
    for op in accuracy.OPS:
        both = accuracy.triangle_ulps(data, op)
        assert 2 * both <= T.TOLERANCES[op].ulps <= 64 * max(both, 0.5), (op, both)
