"""Correct, written another way: log-sum-exp by np.logaddexp.reduce, softmax as exp(log_softmax)."""
import numpy as np


def logsumexp(z):
    return np.logaddexp.reduce(z, axis=1)


def log_softmax(z):
    return z - logsumexp(z)[:, None]


def softmax(z):
    return np.exp(log_softmax(z))


def _targets(labels, C, dtype):
    return labels.astype(dtype) if labels.ndim == 2 else np.eye(C, dtype=dtype)[labels]


def cross_entropy(logits, labels):
    Y = _targets(labels, logits.shape[1], logits.dtype)
    return np.mean(logsumexp(logits) * Y.sum(axis=1) - (Y * logits).sum(axis=1))


def grad_logits(logits, labels):
    Y = _targets(labels, logits.shape[1], logits.dtype)
    return (softmax(logits) * Y.sum(axis=1, keepdims=True) - Y) / len(logits)


def loss_and_grads(params, X, labels):
    W, b = params
    Z = X @ W + b
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), (X.T @ dZ, dZ.sum(axis=0))
