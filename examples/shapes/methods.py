"""Shape: layer classes with methods (PyTorch-module style, in NumPy).

`CrossEntropy().forward(logits, y)` returns the mean loss of logits (N, C) against class ids
y (N,) and keeps the probabilities; `backward(logits, y)` returns dL/dlogits (N, C) from them,
so it works only after `forward`. `Softmax()(z)` is the softmax over rows.

Check it:  softmax-parity check examples/shapes/methods.py
"""
import numpy as np


class Softmax:
    def __call__(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


class CrossEntropy:
    def __init__(self):
        self.probs = None

    def forward(self, logits, y):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.probs = np.exp(log_probs)  # saved for backward
        n = logits.shape[0]
        return -log_probs[np.arange(n), y].mean()

    def backward(self, logits, y):
        if self.probs is None:
            raise RuntimeError("call forward before backward")
        n = logits.shape[0]
        grad = self.probs.copy()
        grad[np.arange(n), y] -= 1
        return grad / n
