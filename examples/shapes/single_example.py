"""Shape: one example at a time: `softmax(x)` of a vector x (C,) and its (C, C) Jacobian.

softmax normalises the whole input; `softmax_gradient(z)` returns diag(p) - p p^T, p = softmax(z).

Check it:  softmax-parity check examples/shapes/single_example.py
"""
import numpy as np


def softmax(x):
    e_x = np.exp(x - np.max(x))
    return e_x / e_x.sum()


def softmax_gradient(z):
    s = softmax(z).reshape(-1, 1)  # column vector (C, 1)
    return np.diagflat(s) - np.dot(s, s.T)
