"""A learner's softmax regression with one catalogued mistake, `mutates-input`: softmax shifts its caller's array in place.

softmax-parity check examples/mistake_mutates_input.py names it.
"""
import numpy as np

from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def softmax(z):
    z -= z.max(axis=1, keepdims=True)  # MISTAKE: in place, the caller's logits change
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
