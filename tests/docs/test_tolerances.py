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
