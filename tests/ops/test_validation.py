"""Bad input to the API gets a ValueError (InputError) naming the problem, never an answer."""
import re

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import InputError

Z = np.zeros((3, 4), np.float32)


@pytest.mark.parametrize("fn", [ns.cross_entropy, ns.grad_logits, ns.accuracy])
@pytest.mark.parametrize("labels,needle", [
    ([0, 1, -1], "[0, 4)"),          # NumPy would take -1 as the last class
    ([0, 1, 4], "[0, 4)"),
    ([0.5, 1, 2], "non-integer"),
    ([0, 1], "3 rows"),
    (np.full((3, 4), 0.3), "sums to"),
    (np.array([[1.5, -0.5, 0, 0]] * 3), "[0, 1]"),
    (np.zeros((3, 5)), "shape (3, 4)"),
    (np.array(["a", "b", "c"]), "integer"),
])
def test_bad_labels_are_refused_with_a_named_reason(fn, labels, needle):
    with pytest.raises(InputError) as e:
        fn(Z, labels)
    assert needle in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("bad,shown", [(np.nan, "NaN"), (np.inf, "+inf")])
def test_nan_and_plus_inf_logits_are_refused_naming_the_entry(bad, shown):
    z = Z.copy()
    z[1, 2] = bad
    for fn in (ns.softmax, ns.log_softmax, ns.logsumexp):
        with pytest.raises(InputError, match=re.escape(f"z[1, 2] is {shown};")):
            fn(z)
    for fn in (ns.cross_entropy, ns.grad_logits, ns.accuracy):
        with pytest.raises(InputError, match=re.escape(f"logits[1, 2] is {shown};")):
            fn(z, [0, 1, 2])


def test_minus_inf_logits_were_refused_and_are_now_masked_classes():
    """-inf used to be refused with the NaN and +inf; it is now a masked class (issue 15)."""
    z = Z.copy()
    z[1, 2] = -np.inf
    assert ns.softmax(z)[1, 2] == 0 and ns.log_softmax(z)[1, 2] == -np.inf
    assert np.isfinite(ns.logsumexp(z)).all() and np.isfinite(ns.cross_entropy(z, [0, 1, 0]))


def test_logits_must_be_2d_for_the_loss():
    with pytest.raises(InputError, match="2-D"):
        ns.cross_entropy(np.zeros(4), [0])


def test_complex_and_object_arrays_are_refused():
    with pytest.raises(InputError, match="float32 or float64"):
        ns.softmax(np.zeros((2, 2), complex))


def test_shape_mismatches_between_x_w_b_and_labels_are_named():
    p = ns.init_params(5, 3)
    X = np.zeros((4, 5), np.float32)
    with pytest.raises(InputError, match=r"X must have shape \(N, 5\)"):
        ns.loss_and_grads(p, np.zeros((4, 6)), [0, 1, 2, 0])
    with pytest.raises(InputError, match="b must have shape"):
        ns.loss_and_grads(ns.Params(p.W, np.zeros(4, np.float32)), X, [0, 1, 2, 0])
    with pytest.raises(InputError, match="4 rows"):
        ns.loss_and_grads(p, X, [0, 1, 2])
    with pytest.raises(InputError, match=r"\[0, 3\)"):
        ns.loss_and_grads(p, X, [0, 1, 2, 3])
    with pytest.raises(InputError, match="NaN"):
        ns.loss_and_grads(p, np.full((4, 5), np.nan), [0, 1, 2, 0])
    with pytest.raises(InputError, match="share a dtype"):
        ns.loss_and_grads(ns.Params(p.W, p.b.astype(np.float64)), X, [0, 1, 2, 0])


def test_valid_probability_rows_within_tolerance_are_accepted():
    Y = np.array([[0.1, 0.2, 0.7, 0.0]] * 3, np.float32)
    assert np.isfinite(ns.cross_entropy(Z, Y))


@pytest.mark.parametrize("kw,needle", [
    ({"lr": 0.0}, "lr"), ({"lr": float("nan")}, "lr"), ({"batch_size": 0}, "batch_size"),
    ({"epochs": -1}, "epochs"), ({"seed": -3}, "seed"), ({"dtype": "float16"}, "dtype"),
    ({"epochs": 2.5}, "epochs"),
])
def test_train_config_refuses_bad_values(kw, needle):
    with pytest.raises(InputError, match=needle):
        ns.TrainConfig(**kw)


def test_train_refuses_labels_outside_the_classes():
    X = np.zeros((8, 3), np.float32)
    p = ns.init_params(3, 2)
    with pytest.raises(InputError, match=r"\[0, 2\)"):
        ns.train(X, [0, 1, 2, 0, 1, 0, 1, 0], ns.TrainConfig(epochs=1, batch_size=4), params=p)
