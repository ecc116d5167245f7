"""Shape: a CS231n-style linear classifier, `softmax_loss_naive` and `softmax_loss_vectorized`.

Both take W (D, C), X (N, D), y (N,) class ids and a regularisation strength reg, and return
(loss, dW): the mean cross-entropy plus reg * sum(W * W), with dW (D, C). No bias.

Check it:  softmax-parity check examples/shapes/cs231n_model.py
"""
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with explicit loops over the examples and the classes."""
    loss = 0.0
    dW = np.zeros_like(W)

    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)  # shift so that exp cannot overflow
        exp_scores = np.exp(scores)
        sum_exp = np.sum(exp_scores)
        # -log(p_y) = log(sum_j exp(s_j)) - s_y, without taking the log of a tiny p_y
        loss += np.log(sum_exp) - scores[y[i]]
        for j in range(num_classes):
            p_j = exp_scores[j] / sum_exp
            if j == y[i]:
                dW[:, j] += (p_j - 1) * X[i]
            else:
                dW[:, j] += p_j * X[i]

    loss /= num_train
    dW /= num_train

    loss += reg * np.sum(W * W)
    dW += 2 * reg * W

    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss without loops."""
    num_train = X.shape[0]

    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    sum_exp = np.sum(exp_scores, axis=1, keepdims=True)
    log_probs = scores - np.log(sum_exp)

    loss = -np.sum(log_probs[np.arange(num_train), y]) / num_train
    loss += reg * np.sum(W * W)

    dscores = exp_scores / sum_exp
    dscores[np.arange(num_train), y] -= 1
    dscores /= num_train
    dW = X.T.dot(dscores) + 2 * reg * W

    return loss, dW
