"""Shape: Keras-style `cross_entropy(y_true, y_pred)`, labels FIRST, on probabilities.

y_true (N, C) one-hot rows, y_pred (N, C) predicted probabilities; returns the mean over rows
of -sum(y_true * log(y_pred)). Plus `softmax(z)` over rows.

Check it:  softmax-parity check examples/shapes/onehot_labels_first.py
"""
import numpy as np


def softmax(z):
    exps = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)


def cross_entropy(y_true, y_pred):
    # classes with y_true == 0 contribute nothing, even where y_pred is 0 (0 * log 0 := 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y_true > 0, y_true * np.log(y_pred), 0)
    return np.mean(-np.sum(terms, axis=1))
