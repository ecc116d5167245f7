"""A learner's softmax regression with one catalogued mistake, `transposed-grad`: dW computed as dZ.T @ X, shape (C, D).

softmax-parity check examples/mistake_transposed_grad.py names it.
"""
from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def loss_and_grads(params, X, labels):
    W, b = params
    Z = X @ W + b
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), (dZ.T @ X, dZ.sum(axis=0))  # MISTAKE: (C, D), not (D, C)
