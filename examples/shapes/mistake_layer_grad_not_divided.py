"""Shape 3 (a CS231n-style layers module, `softmax_loss(x, y)` -> (loss, dx)) with one mistake,
`grad-not-divided-by-n`: the loss is the mean but dx = p - Y is not divided by N.

Check it:  softmax-parity check examples/shapes/mistake_layer_grad_not_divided.py
"""
import numpy as np

from layers import affine_forward, relu_forward  # noqa: F401  (the rest of the file is right)


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
