"""Shape: d2l-style `softmax(X)` over rows and `cross_entropy(y_hat, y)` on PROBABILITIES.

cross_entropy takes the predicted probabilities y_hat (N, C) and class ids y (N,) and returns
the PER-EXAMPLE losses, shape (N,) (the caller averages them).

Check it:  softmax-parity check examples/shapes/d2l_probabilities.py
"""
import numpy as np


def softmax(X):
    X_exp = np.exp(X - X.max(axis=1, keepdims=True))
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition  # the broadcast divides each row by its sum


def cross_entropy(y_hat, y):
    return -np.log(y_hat[range(len(y_hat)), y])
