"""The softmax family in exact arithmetic: the oracle every accuracy figure is measured against.

Each function takes the float inputs as they are (float32 or float64 values are exact binary
fractions, so mpmath.mpf(float(v)) is the input itself) and computes in mpmath at DIGITS
significant digits, far beyond float64's 16: the results are the true values of the ops on
those inputs, correctly rounded to 60 digits. Masks: an entry -inf adds exp(-inf) = 0 to every
sum, its softmax is exactly 0 and its log-softmax exactly -inf; a row of -inf only has
logsumexp -inf. Dimensions: z (N, C) logits, rows along axis 1; y (N,) class ids.

Results are NumPy object arrays of mpmath numbers (or one number, for the loss); `ulps` and
`condition_ulps` turn a float result into its error. mpmath is a dev dependency (pyproject's
`dev` extra): the library never imports this module.
"""
from __future__ import annotations

import mpmath
import numpy as np

DIGITS = 60
NEG_INF = mpmath.mpf("-inf")


def _mp(a) -> np.ndarray:
    """The float array as an object array of exact mpmath numbers."""
    a = np.asarray(a)
    return np.frompyfunc(lambda v: mpmath.mpf(float(v)), 1, 1)(a).astype(object).reshape(a.shape)


def _row_parts(row) -> tuple:
    """(m, log1p(r)) of a row: m its largest entry, r the sum of exp(z_j - m) over the others
    (every entry but one largest), so that lse = m + log1p(r). Each z_j - m is exact (mpmath's
    exact subtraction), and log1p keeps r's digits where 1 + r would lose them even at 60
    digits (r = exp(-350) ~ 1e-152 in a row with |z| ~ 1e4). (None, None) for a row of -inf."""
    finite = [v for v in row if v != NEG_INF]
    if not finite:
        return None, None
    k = max(range(len(finite)), key=lambda i: finite[i])
    m = finite[k]
    r = mpmath.fsum(mpmath.exp(mpmath.fsub(v, m, exact=True))
                    for i, v in enumerate(finite) if i != k)
    return m, mpmath.log1p(r)


def _lse_and_log_softmax(z) -> tuple:
    """(lse (N,), log_softmax (N, C)) from one pass of _row_parts over the rows."""
    Z = _mp(z)
    lse, L = np.empty(Z.shape[0], dtype=object), np.empty(Z.shape, dtype=object)
    for n, row in enumerate(Z):
        m, l1p = _row_parts(row)
        lse[n] = NEG_INF if m is None else m + l1p  # the log of an empty sum: -inf
        L[n] = [NEG_INF if v == NEG_INF else mpmath.fsub(v, m, exact=True) - l1p for v in row]
    return lse, L


def _softmax_of(L) -> np.ndarray:
    return np.frompyfunc(lambda v: mpmath.mpf(0) if v == NEG_INF else mpmath.exp(v),
                         1, 1)(L).astype(object)


def _cross_entropy_of(L, Y) -> mpmath.mpf:
    total = mpmath.fsum(-Y[n, c] * L[n, c] for n in range(L.shape[0])
                        for c in range(L.shape[1]) if Y[n, c] != 0)
    return total / L.shape[0]


def _grad_of(L, P, Y) -> np.ndarray:
    out = np.empty(L.shape, dtype=object)
    for idx in np.ndindex(L.shape):
        if L[idx] == NEG_INF:
            out[idx] = -Y[idx] / L.shape[0]
        elif Y[idx] == 0:  # p itself: e^{-350} ~ 1e-152 is no 1 - (1 - 1e-152) at 60 digits
            out[idx] = P[idx] / L.shape[0]
        else:
            one_minus_y = mpmath.fsub(1, Y[idx], exact=True)
            out[idx] = mpmath.fsum([mpmath.expm1(L[idx]), one_minus_y]) / L.shape[0]
    return out


def _label_rows(kind: str, y, shape) -> np.ndarray:
    if kind == "ids":
        Y = np.zeros(shape, dtype=object)
        Y[:] = mpmath.mpf(0)
        Y[np.arange(shape[0]), np.asarray(y)] = mpmath.mpf(1)
        return Y
    return _mp(y)


def logsumexp(z) -> np.ndarray:
    """log sum_j exp(z_nj) per row: (N, C) -> (N,)."""
    with mpmath.workdps(DIGITS):
        return _lse_and_log_softmax(z)[0]


def log_softmax(z) -> np.ndarray:
    """z_nj - lse(z_n) = (z_nj - m) - log1p(r): (N, C) -> (N, C); -inf where z is -inf."""
    with mpmath.workdps(DIGITS):
        return _lse_and_log_softmax(z)[1]


def softmax(z) -> np.ndarray:
    """exp(z_nj - lse(z_n)): (N, C) -> (N, C); exactly 0 where z is -inf."""
    with mpmath.workdps(DIGITS):
        return _softmax_of(log_softmax(z))


def cross_entropy(z, kind: str, y) -> mpmath.mpf:
    """-(1/N) sum_n sum_c Y_nc log softmax(z)_nc; a class of weight 0 adds 0 (0 log 0 = 0), a
    weighted masked class makes it +inf."""
    with mpmath.workdps(DIGITS):
        return _cross_entropy_of(log_softmax(z), _label_rows(kind, y, np.shape(z)))


def grad_logits(z, kind: str, y) -> np.ndarray:
    """(softmax(z) - Y) / N: (N, C) -> (N, C). p - Y is formed as expm1(log p) + (1 - Y) where
    Y > 0, so a probability within 1e-60 of its label keeps its difference's digits, and as p
    where Y = 0."""
    with mpmath.workdps(DIGITS):
        L = log_softmax(z)
        return _grad_of(L, _softmax_of(L), _label_rows(kind, y, np.shape(z)))


def all_ops(z, kind: str, y) -> dict:
    """{"logsumexp", "log_softmax", "softmax", "cross_entropy", "grad_logits"}: each op's exact
    value, as the functions above, from one pass over the rows (each computed once)."""
    with mpmath.workdps(DIGITS):
        lse, L = _lse_and_log_softmax(z)
        P, Y = _softmax_of(L), _label_rows(kind, y, np.shape(z))
        return {"logsumexp": lse, "log_softmax": L, "softmax": P,
                "cross_entropy": _cross_entropy_of(L, Y), "grad_logits": _grad_of(L, P, Y)}


def to_float(x) -> np.ndarray:
    """Exact values rounded to float64 (for scales and display; errors use `ulps`)."""
    return np.asarray(np.frompyfunc(float, 1, 1)(np.asarray(x, dtype=object)), dtype=np.float64)


def ulps(got, exact, dtype) -> np.ndarray:
    """|got - exact| / (eps max(|exact|, tiny)) elementwise, eps and tiny of `dtype` (the
    dtype's machine epsilon and smallest normal): the error in units of the last place of the
    exact value, floored at the smallest normal so that a result that should be 0 is counted
    against tiny. A mask must be exact: where the exact value is infinite, `got` equal to it
    counts 0 and anything else inf."""
    fi = np.finfo(dtype)
    eps, tiny = mpmath.mpf(float(fi.eps)), mpmath.mpf(float(fi.tiny))
    got = np.asarray(got, dtype=np.float64)

    def one(g, e):
        if mpmath.isinf(e) or not np.isfinite(g):
            return 0.0 if (mpmath.isinf(e) and float(e) == g) else np.inf
        return float(abs(mpmath.mpf(g) - e) / (eps * max(abs(e), tiny)))

    with mpmath.workdps(DIGITS):
        exact = np.asarray(exact, dtype=object)
        return np.asarray(np.frompyfunc(one, 2, 1)(got, np.broadcast_to(exact, got.shape)),
                          dtype=np.float64)


def condition_ulps(got, exact, scale, dtype) -> np.ndarray:
    """|got - exact| / (eps max(scale, tiny)): the error in units of eps times a condition-aware
    scale, for values whose cancellation is inherent (logsumexp near 0: scale sum_j p_j |z_j|;
    softmax: p_j (1 + |z_j - max z|)); masks as in `ulps`."""
    fi = np.finfo(dtype)
    got = np.asarray(got, dtype=np.float64)
    scale = np.maximum(np.broadcast_to(np.asarray(scale, dtype=np.float64), got.shape),
                       float(fi.tiny))
    with mpmath.workdps(DIGITS):
        exact = np.broadcast_to(np.asarray(exact, dtype=object), got.shape)

        def one(g, e, s):
            if mpmath.isinf(e) or not np.isfinite(g):
                return 0.0 if (mpmath.isinf(e) and float(e) == g) else np.inf
            return float(abs(mpmath.mpf(g) - e) / (mpmath.mpf(float(fi.eps)) * mpmath.mpf(s)))

        return np.asarray(np.frompyfunc(one, 3, 1)(got, exact, scale), dtype=np.float64)
