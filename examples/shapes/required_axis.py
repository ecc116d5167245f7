"""Shape: functions whose class axis is a REQUIRED argument (no default).

`logsumexp(x, axis)` returns the reduced array (no keepdims); `softmax(x, axis)` and
`log_softmax(x, axis)` keep x's shape.

Check it:  softmax-parity check examples/shapes/required_axis.py
"""
import numpy as np


def logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    s = np.sum(np.exp(x - m), axis=axis)
    return np.squeeze(m, axis=axis) + np.log(s)


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis):
    return x - np.expand_dims(logsumexp(x, axis), axis)
