"""A learner's softmax regression with one catalogued mistake, `sum-not-mean`: the loss sums the rows instead of averaging them.

softmax-parity check examples/mistake_sum_not_mean.py names it.
"""
import numpy as np


def softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)  # exp cannot overflow
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def logsumexp(z):
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


def onehot(labels, C, dtype):
    if labels.ndim == 2:  # probability rows
        return labels.astype(dtype)
    Y = np.zeros((labels.shape[0], C), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def cross_entropy(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    return -(Y * log_softmax(logits)).sum()  # MISTAKE: a sum over rows, not the mean


def grad_logits(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    return (softmax(logits) - Y) / logits.shape[0]


def loss_and_grads(params, X, labels):
    W, b = params
    Z = X @ W + b
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), (X.T @ dZ, dZ.sum(axis=0))


def sgd_step(params, grads, lr):
    (W, b), (dW, db) = params, grads
    return W - lr * dW, b - lr * db
