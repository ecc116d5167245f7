"""A learner's softmax regression with one catalogued mistake, `sum-not-mean`: the loss sums the rows instead of averaging them.

softmax-parity check examples/mistake_sum_not_mean.py names it.
"""
from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def cross_entropy(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    return -(Y * log_softmax(logits)).sum()  # MISTAKE: a sum over rows, not the mean
