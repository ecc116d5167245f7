"""A learner's softmax regression with one catalogued mistake, `log-of-softmax`: log_softmax as the log of softmax.

softmax-parity check examples/mistake_log_of_softmax.py names it.
"""
import numpy as np

from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def log_softmax(z):
    return np.log(softmax(z))  # MISTAKE: -inf where softmax underflows to 0
