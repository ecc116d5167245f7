"""Shape: the 2015 CS231n layout, `softmax_loss_naive` and `softmax_loss_vectorized`.

W (C, D), X (D, N) with one example per column, y (N,) class ids, reg; both return
(loss, dW): the mean cross-entropy plus 0.5 * reg * sum(W * W), with dW (C, D). No bias.

Check it:  softmax-parity check examples/shapes/cs231n_2015_layout.py
"""
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with loops. W is (C, D), X is (D, N), y is (N,)."""
    loss = 0.0
    dW = np.zeros_like(W)

    num_classes = W.shape[0]
    num_train = X.shape[1]
    for i in range(num_train):
        x_i = X[:, i]
        f = W.dot(x_i)  # (C,) class scores of example i
        f = f - np.max(f)
        exp_f = np.exp(f)
        norm = np.sum(exp_f)
        loss += -f[y[i]] + np.log(norm)
        for j in range(num_classes):
            p = exp_f[j] / norm
            dW[j, :] += (p - (j == y[i])) * x_i

    loss = loss / num_train + 0.5 * reg * np.sum(W * W)
    dW = dW / num_train + reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss, vectorized. W is (C, D), X is (D, N), y is (N,)."""
    num_train = X.shape[1]

    f = W.dot(X)  # (C, N)
    f = f - np.max(f, axis=0, keepdims=True)
    exp_f = np.exp(f)
    norm = np.sum(exp_f, axis=0, keepdims=True)  # (1, N)

    correct = f[y, np.arange(num_train)]
    loss = np.mean(np.log(norm[0]) - correct) + 0.5 * reg * np.sum(W * W)

    probs = exp_f / norm
    probs[y, np.arange(num_train)] -= 1
    dW = probs.dot(X.T) / num_train + reg * W
    return loss, dW
