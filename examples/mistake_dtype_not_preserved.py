"""A learner's softmax regression with one catalogued mistake, `dtype-not-preserved`: softmax computes in float64 and returns float64.

softmax-parity check examples/mistake_dtype_not_preserved.py names it.
"""
import numpy as np

from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def softmax(z):
    z = z.astype(np.float64)  # MISTAKE: float32 in, float64 out (no cast back)
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
