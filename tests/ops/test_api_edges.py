"""Edge cases at the API edge (found in review): each ends in a named InputError, never a
wrong model or a wrong run."""
import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import InputError


def test_train_refuses_a_label_outside_the_ten_classes_instead_of_widening_the_model():
    X = np.zeros((256, 784), np.float32)
    y = np.zeros(256, np.int64)
    y[7] = 10
    with pytest.raises(InputError, match=r"\[0, 10\)"):
        ns.train(X, y, ns.TrainConfig(epochs=1))
    y[7] = 10**9
    with pytest.raises(InputError, match=r"\[0, 10\)"):
        ns.train(X, y, ns.TrainConfig(epochs=1))
    r = ns.train(X[:, :5], np.arange(256) % 3, ns.TrainConfig(epochs=1), n_classes=3)
    assert r.params.W.shape == (5, 3)


def test_api_edge_names_a_bad_axis_an_empty_class_axis_and_a_bad_seed():
    with pytest.raises(InputError, match="axis"):
        ns.softmax(np.zeros((3, 4)), axis=5)
    with pytest.raises(InputError, match="at least one class"):
        ns.log_softmax(np.zeros((3, 0)))
    with pytest.raises(InputError, match="seed"):
        ns.init_params(seed=-1)
    with pytest.raises(InputError, match="seed"):
        ns.init_params(seed=1.5)


def test_numpy_scalar_learning_rates_are_accepted_as_python_floats():
    assert type(ns.TrainConfig(lr=np.float32(0.5)).lr) is float
    with pytest.raises(InputError, match="lr"):
        ns.TrainConfig(lr=True)
