"""Shape 1 (CS231n `softmax_loss_naive` / `softmax_loss_vectorized`, W (D, C), X (N, D), y (N,),
reg * sum(W * W)) with one mistake, `sum-not-mean`: the vectorized loss and dW are not divided by
N. The naive one is right, so the file settles that the loss is a mean.

Check it:  softmax-parity check examples/shapes/mistake_cs231n_no_mean.py
"""
import numpy as np

from cs231n_model import softmax_loss_naive  # noqa: F401  (the right one, as written there)


def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    sum_exp = np.sum(exp_scores, axis=1, keepdims=True)
    log_probs = scores - np.log(sum_exp)
    loss = -np.sum(log_probs[np.arange(num_train), y])  # MISTAKE: no / num_train
    loss += reg * np.sum(W * W)
    dscores = exp_scores / sum_exp
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) + 2 * reg * W  # MISTAKE: no / num_train
    return loss, dW
