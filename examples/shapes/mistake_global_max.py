"""A batch `softmax(z)` over rows with one mistake, `global-max-shift`: it subtracts the max
of the WHOLE array, not each row's, so a row far below the top one underflows to 0 / 0.
`cross_entropy(logits, labels)` (class ids, mean) is right.

Check it:  softmax-parity check examples/shapes/mistake_global_max.py
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))  # MISTAKE: the max of the whole batch, not of each row
    return e / np.sum(e, axis=1, keepdims=True)


def cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(labels)), labels])
