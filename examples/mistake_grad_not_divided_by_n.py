"""A learner's softmax regression with one catalogued mistake, `grad-not-divided-by-n`: the gradient of a mean loss, not divided by N.

softmax-parity check examples/mistake_grad_not_divided_by_n.py names it.
"""
from correct import *  # noqa: F401,F403  (the rest of the learner's file is right)


def grad_logits(logits, labels):
    Y = onehot(labels, logits.shape[1], logits.dtype)
    return softmax(logits) - Y  # MISTAKE: the loss is a mean, so dL/dZ needs / N
