"""Shape: d2l-style `softmax(X)` over rows and `cross_entropy(y_hat, y)` on PROBABILITIES,
returning the MEAN loss.

cross_entropy takes the predicted probabilities y_hat (N, C) and class ids y (N,).

Check it:  softmax-parity check examples/shapes/d2l_probabilities_mean.py
"""
import numpy as np


def softmax(X):
    X_exp = np.exp(X - X.max(axis=1, keepdims=True))
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition


def cross_entropy(y_hat, y):
    return -np.log(y_hat[range(len(y_hat)), y]).mean()
