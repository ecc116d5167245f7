"""A learner's softmax regression with one catalogued mistake, `double-softmax`: the loss applies softmax to probabilities.

softmax-parity check examples/mistake_double_softmax.py names it.
"""
from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def cross_entropy(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    probs = softmax(logits)
    return -(Y * log_softmax(probs)).sum(axis=1).mean()  # MISTAKE: log_softmax of probabilities
