"""The one catalogue of classic mistakes (softmax_parity.mistakes): each new mistake is named on
a learner's function that makes it, pairs of mistakes are named together, correct code names
nothing, and every user of the catalogue (check, gradcheck --demo-mistakes, the mutation tests)
is built from it.

The learners' functions are written out here the way learners write them, never taken from the
catalogue, and diagnosed as run.py does: diagnose.candidates on a counterexample Case and the
fixed probes. Dimensions: N examples, D features, C classes.
"""
from __future__ import annotations

import ast
import time
from pathlib import Path

import numpy as np
import pytest

import numpy_softmax as ns
from softmax_parity import gradcheck as gc
from softmax_parity import mistakes as mk
from softmax_parity.check import diagnose, inputs
from softmax_parity.check.strategies import DTYPES, Case

ROOT = Path(__file__).resolve().parents[2]
dtypes = pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])


# --- learners' functions --------------------------------------------------------------------------

def _onehot(labels, C, dtype):
    Y = np.zeros((labels.shape[0], C), dtype=dtype)  # (N, C)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def _right_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))  # exp cannot overflow
    return e / e.sum(axis=1, keepdims=True)


def _right_log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def _global_softmax(z):
    e = np.exp(z - np.max(z))  # the whole batch's max, not each row's
    return e / np.sum(e, axis=1, keepdims=True)


def _global_log_softmax(z):
    s = z - np.max(z)  # the whole batch's max
    return s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))


def _global_logsumexp(z):
    m = np.max(z)  # the whole batch's max
    return m + np.log(np.sum(np.exp(z - m), axis=1))


def _global_ce(logits, labels):
    lp = _global_log_softmax(logits)
    return -np.mean(lp[np.arange(len(labels)), labels])


def _global_grad(logits, labels):
    return (_global_softmax(logits) - _onehot(labels, logits.shape[1], logits.dtype)) \
        / logits.shape[0]


def _global_layer(x, y):
    return _global_ce(x, y), _global_grad(x, y)


def _global_jacobian(z):
    p = _global_softmax(z)  # (N, C)
    return np.stack([np.diag(row) - np.outer(row, row) for row in p])  # (N, C, C)


def _global_model(params, X, y):
    W, b = params
    Z = X @ W + b  # (N, C)
    dZ = _global_grad(Z, y)
    return _global_ce(Z, y), (X.T @ dZ, dZ.sum(axis=0))


GLOBAL_MAX_SHIFT = {"softmax": _global_softmax, "log_softmax": _global_log_softmax,
                    "logsumexp": _global_logsumexp, "cross_entropy": _global_ce,
                    "grad_logits": _global_grad, "loss_and_grad_logits": _global_layer,
                    "softmax_jacobian": _global_jacobian, "loss_and_grads": _global_model}


def _eps_ce(eps, clip=False, reduce=np.mean):
    def cross_entropy(logits, labels):
        p = _right_softmax(logits)[np.arange(len(labels)), labels]  # (N,)
        return -reduce(np.log(np.clip(p, eps, 1.0)) if clip else np.log(p + eps))
    return cross_entropy


# --- cases: a counterexample where the mistake shows ----------------------------------------------

def _hostile(role, dtype) -> Case:
    """Logits (N = 3, C = 3) [[900, 0, 1], [0, 1, 0], [60, 0, 0]], labels [1, 0, 1]: rows 2
    and 3 lie far below the batch's max (exp(z - 900) underflows: 0 / 0), and rows 1 and 3 are
    confident wrong predictions (p = e^-900, e^-60: a loss of -log(p + eps) is capped). For
    loss_and_grads the same logits come from X (N, D = 2) @ W (D, C) + 0."""
    ids = np.array([1, 0, 1])
    if role == "loss_and_grads":
        X = np.array([[900.0, 0.0], [0.0, 1.0], [60.0, 0.0]])  # (N, D)
        W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # (D, C)
        return Case("logits 900 apart", X=X.astype(dtype), W=W.astype(dtype),
                    b=np.zeros(3, dtype), labels=ids)
    z = np.array([[900.0, 0.0, 1.0], [0.0, 1.0, 0.0], [60.0, 0.0, 0.0]], dtype)  # (N, C)
    return Case("logits 900 apart", z=z, labels=ids if role in inputs.LABELLED else None)


def _names(role, fn, case, dtype) -> list:
    kind = "ids" if role in inputs.LABELLED else None
    with np.errstate(all="ignore"):
        return diagnose.candidates(role, fn, case, dtype, kind)


# --- the new mistakes are named -------------------------------------------------------------------

@dtypes
@pytest.mark.parametrize("role", list(GLOBAL_MAX_SHIFT))
def test_global_max_shift_is_named_in_every_role_it_can_show_in(role, dtype):
    assert role in mk.BY_ID["global-max-shift"].applies
    assert _names(role, GLOBAL_MAX_SHIFT[role], _hostile(role, dtype), dtype) \
        == ["global-max-shift"]


@dtypes
@pytest.mark.parametrize("clip", [False, True], ids=["log(p + eps)", "log(clip(p, eps, 1))"])
@pytest.mark.parametrize("eps", mk.EPSILONS)
def test_epsilon_in_log_is_named_for_every_eps_learners_use(eps, clip, dtype):
    fn = _eps_ce(eps, clip)
    with np.errstate(all="ignore"):
        got = fn(np.array([[60.0, 0.0]], dtype), np.array([1]))
    assert got == pytest.approx(-np.log(dtype(eps)), rel=1e-3)  # the cap, not the true 60
    assert _names("cross_entropy", fn, _hostile("cross_entropy", dtype), dtype) \
        == ["epsilon-in-log"]


@dtypes
def test_epsilon_in_log_is_named_in_a_layer(dtype):
    def softmax_loss(x, y):
        p = _right_softmax(x)  # (N, C)
        dx = (p - _onehot(y, x.shape[1], x.dtype)) / x.shape[0]
        return -np.mean(np.log(p[np.arange(len(y)), y] + 1e-8)), dx
    assert _names("loss_and_grad_logits", softmax_loss, _hostile("cross_entropy", dtype),
                  dtype) == ["epsilon-in-log"]


# --- pairs --------------------------------------------------------------------------------------

@dtypes
def test_log_of_a_softmax_without_the_shift_names_both_mistakes(dtype):
    """log(exp(z) / sum exp(z)): exp overflows (NaN) and a probability underflows (-inf)."""
    def log_softmax(z):
        return np.log(np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True))
    case = inputs.probes("log_softmax", dtype, None)[2]  # logits of +-1000: both show
    assert _names("log_softmax", log_softmax, case, dtype) == ["no-max-shift+log-of-softmax"]


@dtypes
def test_a_summed_loss_with_an_epsilon_names_both_mistakes(dtype):
    fn = _eps_ce(1e-7, reduce=np.sum)
    assert _names("cross_entropy", fn, _hostile("cross_entropy", dtype), dtype) \
        == ["sum-not-mean+epsilon-in-log"]


@dtypes
def test_a_single_mistake_is_named_alone_not_as_a_pair(dtype):
    def softmax(z):
        e = np.exp(z)  # no max shift, nothing else wrong
        return e / e.sum(axis=1, keepdims=True)
    case = inputs.probes("softmax", dtype, None)[3]  # exp overflows
    assert _names("softmax", softmax, case, dtype) == ["no-max-shift"]
    assert _names("cross_entropy", _eps_ce(1e-7, reduce=np.mean),
                  _hostile("cross_entropy", dtype), dtype) == ["epsilon-in-log"]


def test_pairs_are_every_two_mistakes_that_combine_in_catalogue_order():
    order = [m.id for m in mk.CATALOGUE]
    assert {"no-max-shift+log-of-softmax", "sum-not-mean+epsilon-in-log"} \
        <= {p.id for p in mk.PAIRS}
    for p in mk.PAIRS:
        a, b = p.id.split("+")
        assert order.index(a) < order.index(b)
        assert set(p.applies) <= set(mk.BY_ID[a].applies) & set(mk.BY_ID[b].applies)
        assert p.flavors and len(p.hint) == 2 and mk.BY_ID[a].see in p.see
    # two ways of computing the same link do not combine; different links do
    no_shift, global_shift = mk.BY_ID["no-max-shift"], mk.BY_ID["global-max-shift"]
    assert no_shift.flavors[1].softmax is not global_shift.flavors[1].softmax
    assert mk.combine(no_shift.flavors[1], global_shift.flavors[1]) is None
    both = mk.combine(no_shift.flavors[1], global_shift.flavors[2])  # softmax, log_softmax
    assert both.softmax is mk.naive_softmax
    assert both.log_softmax is global_shift.flavors[2].log_softmax


# --- correct code names nothing; a diagnosis stays fast -------------------------------------------

def _right_ce(logits, labels):
    return -np.mean(_right_log_softmax(logits)[np.arange(len(labels)), labels])


def _right_grad(logits, labels):
    return (_right_softmax(logits) - _onehot(labels, logits.shape[1], logits.dtype)) \
        / logits.shape[0]


def _right_model(params, X, y):
    W, b = params
    Z = X @ W + b  # (N, C)
    dZ = _right_grad(Z, y)
    return _right_ce(Z, y), (X.T @ dZ, dZ.sum(axis=0))


def _right_logsumexp(z):
    m = z.max(axis=1)  # (N,)
    return m + np.log(np.sum(np.exp(z - m[:, None]), axis=1))


RIGHT = {"softmax": _right_softmax, "log_softmax": _right_log_softmax,
         "logsumexp": _right_logsumexp,
         "cross_entropy": _right_ce, "grad_logits": _right_grad,
         "loss_and_grad_logits": lambda x, y: (_right_ce(x, y), _right_grad(x, y)),
         "softmax_jacobian": lambda z: np.stack([np.diag(p) - np.outer(p, p)
                                                 for p in _right_softmax(z)]),
         "loss_and_grads": _right_model}


@dtypes
@pytest.mark.parametrize("role", list(RIGHT))
def test_correct_code_names_nothing(role, dtype):
    for case in [_hostile(role, dtype)] + inputs.probes(role, dtype,
                                                         "ids" if role in inputs.LABELLED
                                                         else None):
        assert _names(role, RIGHT[role], case, dtype) == []


def test_a_diagnosis_that_tries_every_pair_stays_fast():
    """A wrong model no mistake explains: every single and every pair is tried."""
    def loss_and_grads(params, X, y):
        W, b = params
        return 1.0, (np.ones_like(W), np.ones_like(b))
    case = _hostile("loss_and_grads", np.float32)
    t0 = time.perf_counter()
    assert _names("loss_and_grads", loss_and_grads, case, np.float32) == []
    assert time.perf_counter() - t0 < 5.0  # ~0.2 s measured; check diagnoses each failure


# --- the roles ------------------------------------------------------------------------------------

@dtypes
def test_the_right_flavor_gives_the_reference_answer_in_every_role(dtype):
    for role in mk.ROLES:
        kind = "ids" if role in inputs.LABELLED else None
        for case in inputs.probes(role, dtype, kind):
            expected, allowed, _ = inputs.reference(role, case)
            got = inputs.parts(role, mk.build(mk.RIGHT, role)(*inputs.arguments(role, case)))
            for k, e in expected.items():
                g = np.asarray(got[k], dtype=np.float64).reshape(np.shape(e))
                assert np.all(np.abs(g - e) <= np.asarray(allowed[k])), (role, k, case)


@dtypes
def test_the_layer_and_the_jacobian_are_built_from_the_flavors_links(dtype):
    z = np.array([[1.0, 2.0, 0.5], [800.0, 0.0, -3.0]], dtype)  # (N, C): row 2 overflows exp
    y = np.array([2, 0])
    for m in mk.CATALOGUE + mk.PAIRS:
        for f in m.flavors:
            if f.mutates:
                continue  # shifts its input: compared on copies below would differ
            loss, dZ = mk.build(f, "loss_and_grad_logits")(z.copy(), y)
            np.testing.assert_array_equal(loss, mk.build(f, "cross_entropy")(z.copy(), y))
            np.testing.assert_array_equal(dZ, mk.build(f, "grad_logits")(z.copy(), y))
            p = mk.build(f, "softmax")(z.copy())  # (N, C)
            J = mk.build(f, "softmax_jacobian")(z.copy())  # (N, C, C)
            assert J.shape == z.shape + z.shape[1:]
            with np.errstate(all="ignore"):
                want = np.stack([np.diag(r) - np.outer(r, r) for r in p]).astype(J.dtype)
            np.testing.assert_allclose(J, want, rtol=1e-6, atol=0, equal_nan=True)


def test_the_new_roles_are_in_applies_wherever_the_mistake_can_show():
    jac = {"no-max-shift", "wrong-axis", "double-softmax", "dtype-not-preserved",
           "mutates-input", "global-max-shift"}
    for m in mk.CATALOGUE:
        assert ("softmax_jacobian" in m.applies) == (m.id in jac), m.id
        in_loss = {"cross_entropy", "grad_logits"} & set(m.applies)
        assert ("loss_and_grad_logits" in m.applies) == bool(in_loss), m.id
    assert set(mk.BY_ID["epsilon-in-log"].applies) == {"cross_entropy", "loss_and_grads",
                                                       "loss_and_grad_logits"}
    assert all(len(m.hint) == 2 and m.see for m in mk.CATALOGUE)


# --- one catalogue ------------------------------------------------------------------------------

def test_gradchecks_demo_mistakes_are_the_catalogues():
    assert gc.MISTAKES is mk.GRADCHECK_MISTAKES
    assert list(gc.MISTAKES) == ["missing 1/N", "W gradient transposed", "wrong sign",
                                 "softmax without the max shift", "labels off by one"]
    assert all(fn.__module__ == "softmax_parity.mistakes" for fn in gc.MISTAKES.values())


def test_the_demo_mistakes_are_the_catalogues_flavors():
    rng = np.random.default_rng(0)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    y = rng.integers(0, 3, 5)
    p = ns.Params(W, b)
    same = {"missing 1/N": mk.BY_ID["grad-not-divided-by-n"].flavors[0],
            "W gradient transposed": mk.BY_ID["transposed-grad"].flavors[1],
            "wrong sign": mk.BY_ID["wrong-sign"].flavors[0]}
    for name, flavor in same.items():
        want = mk.build(flavor, "loss_and_grads")(p, X, y)
        got = gc.MISTAKES[name](p, X, y)
        assert got[0] == want[0] and all(np.array_equal(g, w) for g, w in zip(got[1], want[1]))
    loss, g = gc.MISTAKES["softmax without the max shift"](ns.Params(W, b + 1000.0), X, y)
    assert np.isnan(loss) and np.isnan(g.W).any()


def _defined_functions(path: Path) -> set:
    return {n.name for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.FunctionDef)}


def test_the_catalogue_is_the_only_definition_of_the_mistakes():
    """No second catalogue, no second naive softmax, no demo mistake written elsewhere."""
    assert not (ROOT / "softmax_parity" / "check" / "catalogue.py").exists()
    demo = {fn.__name__ for fn in mk.GRADCHECK_MISTAKES.values()}
    for folder in ("softmax_parity", "numpy_softmax", "parity_tests", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "softmax_parity" / "mistakes.py" or "learners" in path.parts:
                continue
            defined = _defined_functions(path)
            assert "naive_softmax" not in defined, path
            assert not demo & defined, (path, demo & defined)
