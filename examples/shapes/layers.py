"""Shape: a CS231n-style layers module; `softmax_loss(x, y)` returns (loss, dx).

x (N, C) class scores, y (N,) class ids; loss is the mean cross-entropy, dx (N, C) its gradient.
`affine_forward` and `relu_forward` are other layers (not softmax math).

Check it:  softmax-parity check examples/shapes/layers.py
"""
import numpy as np


def affine_forward(x, w, b):
    """out = x w + b, with x reshaped to (N, D). Returns (out, cache)."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def relu_forward(x):
    """out = max(0, x). Returns (out, cache)."""
    out = np.maximum(0, x)
    cache = x
    return out, cache


def softmax_loss(x, y):
    """Softmax loss and gradient.

    Inputs:
    - x: (N, C) scores, x[i, j] the score of class j for example i
    - y: (N,) labels, 0 <= y[i] < C

    Returns (loss, dx): the mean loss and its gradient with respect to x.
    """
    shifted = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
