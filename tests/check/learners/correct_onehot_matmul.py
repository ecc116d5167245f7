"""Correct, written another way: one-hot matrices and matrix products for every sum."""
import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / (e @ np.ones((z.shape[1], 1), dtype=z.dtype))  # row sums as a product


def log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s) @ np.ones((z.shape[1], 1), dtype=z.dtype))


def logsumexp(z):
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]) @ np.ones(z.shape[1], dtype=z.dtype))


def onehot(labels, C, dtype):
    if labels.ndim == 2:
        return labels.astype(dtype)
    return (labels[:, None] == np.arange(C)[None, :]).astype(dtype)


def cross_entropy(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    N = logits.shape[0]
    return -(Y.ravel() @ log_softmax(logits).ravel()) / logits.dtype.type(N)


def grad_logits(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    return (softmax(logits) - Y) / logits.dtype.type(logits.shape[0])


def loss_and_grads(params, X, labels):
    W, b = params
    Z = X @ W + b
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), (X.T @ dZ, np.ones(X.shape[0], dtype=X.dtype) @ dZ)
