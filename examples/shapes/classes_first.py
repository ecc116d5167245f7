"""Shape: classes-first data (Andrew Ng course style): one example per COLUMN.

X (D, N), W (C, D), b (C, 1), logits Z = W X + b (C, N), one-hot labels Y (C, N);
softmax over axis 0; losses are means over the N columns.
`cross_entropy` and `grad_logits` insist that Y is one-hot by columns, and
`model_loss_and_grads` adds a (C, 1) bias, so the file settles its own layout.

Check it:  softmax-parity check examples/shapes/classes_first.py
"""
import numpy as np


def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)


def cross_entropy(Z, Y):
    """Mean cross-entropy of logits Z (C, N) against one-hot labels Y (C, N)."""
    C, N = Z.shape
    assert Y.shape == (C, N), "Y must be (C, N) like Z"
    assert np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1), \
        "each column of Y must be one example's one-hot label"
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    log_A = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    return -np.sum(Y * log_A) / N


def grad_logits(Z, Y):
    """dJ/dZ (C, N) of the mean cross-entropy: (softmax(Z) - Y) / N."""
    C, N = Z.shape
    assert Y.shape == (C, N), "Y must be (C, N) like Z"
    assert np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1), \
        "each column of Y must be one example's one-hot label"
    A = softmax(Z)
    return (A - Y) / N


def model_loss_and_grads(W, b, X, Y):
    """Forward and backward pass: returns (cost, dW (C, D), db (C, 1))."""
    assert b.shape == (W.shape[0], 1), "b must be a (C, 1) column"
    Z = np.dot(W, X) + b
    cost = cross_entropy(Z, Y)
    dZ = grad_logits(Z, Y)
    dW = np.dot(dZ, X.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    return cost, dW, db
