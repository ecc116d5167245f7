"""Shape 3 (a CS231n-style layers module, `softmax_loss(x, y)` -> (loss, dx)) with one mistake,
`grad-not-divided-by-n`: the loss is the mean but dx = p - Y is not divided by N.

Check it:  softmax-parity check examples/shapes/mistake_layer_grad_not_divided.py
"""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted), axis=1, keepdims=True)
    log_probs = shifted - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1  # MISTAKE: dx is not divided by N, though the loss is a mean
    return loss, dx
