"""A learner's softmax regression with one catalogued mistake, `bias-grad-not-summed`: db is dZ itself, not summed over the rows.

softmax-parity check examples/mistake_bias_grad_not_summed.py names it.
"""
from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def loss_and_grads(params, X, labels):
    W, b = params
    Z = X @ W + b
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), (X.T @ dZ, dZ)  # MISTAKE: db must sum dZ's rows
