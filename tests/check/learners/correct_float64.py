"""Correct, written another way: every function computes in float64 and casts back."""
import numpy as np


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def softmax(z):
    x = _f64(z)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(z.dtype)


def log_softmax(z):
    x = _f64(z)
    s = x - x.max(axis=1, keepdims=True)
    return (s - np.log(np.exp(s).sum(axis=1, keepdims=True))).astype(z.dtype)


def logsumexp(z):
    x = _f64(z)
    m = x.max(axis=1)
    return (m + np.log(np.exp(x - m[:, None]).sum(axis=1))).astype(z.dtype)


def _targets(labels, C):
    if labels.ndim == 2:
        return _f64(labels)
    Y = np.zeros((len(labels), C))
    Y[np.arange(len(labels)), labels] = 1.0
    return Y


def cross_entropy(logits, labels):
    Y = _targets(labels, logits.shape[1])
    return logits.dtype.type(-(Y * _f64(log_softmax(_f64(logits)))).sum(axis=1).mean())


def grad_logits(logits, labels):
    Y = _targets(labels, logits.shape[1])
    return ((softmax(_f64(logits)) - Y) / len(logits)).astype(logits.dtype)


def loss_and_grads(params, X, labels):
    W, b = params
    Z = _f64(X) @ _f64(W) + _f64(b)
    dZ = grad_logits(Z, labels)
    return cross_entropy(Z, labels), ((_f64(X).T @ dZ).astype(W.dtype), dZ.sum(axis=0).astype(b.dtype))


def sgd_step(params, grads, lr):
    (W, b), (dW, db) = params, grads
    return (_f64(W) - lr * _f64(dW)).astype(W.dtype), (_f64(b) - lr * _f64(db)).astype(b.dtype)
