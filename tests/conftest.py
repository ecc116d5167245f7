"""Shared fixtures: real MNIST through the project's own loader (cached by `make data`)."""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist():
    from numpy_softmax import load_mnist
    return load_mnist(quiet=True)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
