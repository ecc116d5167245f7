"""Shape: a training SCRIPT. Importing it runs it: it loads `train_images.npy` and
`train_labels.npy` from the working directory (files that are not there: the import fails with
FileNotFoundError), trains a softmax regression and prints. Its functions `softmax(z)`,
`cross_entropy(logits, y)` (class ids, mean) and `loss_and_grads(params, X, y)` with
params = (W, b), returning (loss, (dW, db)), are correct.

Check it:  softmax-parity check examples/shapes/script.py
"""
import numpy as np

X_train = np.load("train_images.npy").reshape(-1, 784) / 255.0
y_train = np.load("train_labels.npy")
num_classes = 10


def softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)


def cross_entropy(logits, y):
    z = logits - np.max(logits, axis=1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(y)), y])


def loss_and_grads(params, X, y):
    W, b = params
    logits = X @ W + b
    loss = cross_entropy(logits, y)
    dlogits = softmax(logits)
    dlogits[np.arange(len(y)), y] -= 1
    dlogits /= len(y)
    dW = X.T @ dlogits
    db = dlogits.sum(axis=0)
    return loss, (dW, db)


W = np.zeros((X_train.shape[1], num_classes))
b = np.zeros(num_classes)
lr = 0.5
for epoch in range(10):
    for start in range(0, len(X_train), 128):
        Xb, yb = X_train[start:start + 128], y_train[start:start + 128]
        loss, (dW, db) = loss_and_grads((W, b), Xb, yb)
        W -= lr * dW
        b -= lr * db
    acc = np.mean(np.argmax(X_train @ W + b, axis=1) == y_train)
    print(f"epoch {epoch}: loss {loss:.4f}, train accuracy {acc:.3f}")
