"""A learner's softmax regression with one catalogued mistake, `wrong-axis`: softmax normalised over the examples (axis 0).

softmax-parity check examples/mistake_wrong_axis.py names it.
"""
import numpy as np

from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def softmax(z):
    shifted = z - z.max(axis=0, keepdims=True)  # MISTAKE: axis 0 is the examples
    e = np.exp(shifted)
    return e / e.sum(axis=0, keepdims=True)
