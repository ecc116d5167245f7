"""Learner code in the forms a review of real files found (a red-team pass): each snippet with
the role, the conventions and the verdict a careful grader gives it. Each was once misjudged."""
from __future__ import annotations

import pytest

from softmax_parity.check import check

NP = "import numpy as np\n"
SOFTMAX = ("def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
           "    return e / e.sum(axis=1, keepdims=True)\n")

CASES = {
    # a layer class whose backward() takes nothing and reads what forward stored
    "stateful_backward_wrong_sign": (
        NP + "class SoftmaxCE:\n    def forward(self, x, y):\n"
             "        z = x - x.max(axis=1, keepdims=True)\n"
             "        lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
             "        self.p, self.y = np.exp(lp), y\n"
             "        return -lp[np.arange(len(y)), y].mean()\n"
             "    def backward(self, dout=1.0):\n        d = self.p.copy()\n"
             "        d[np.arange(len(self.y)), self.y] -= 1\n        return -d / len(self.y)\n",
        {"SoftmaxCE.forward": ("pass", "cross_entropy"),
         "SoftmaxCE.backward": ("fail", "grad_logits", "wrong-sign")}),
    # a summed loss next to a gradient divided by N: the file settles the mean
    "sum_loss_mean_grad": (
        NP + SOFTMAX + "def cross_entropy(z, y):\n    z = z - z.max(axis=1, keepdims=True)\n"
        "    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
        "    return -lp[np.arange(len(y)), y].sum()\n"
        "def cross_entropy_grad(z, y):\n    g = softmax(z)\n    g[np.arange(len(y)), y] -= 1\n"
        "    return g / len(y)\n",
        {"cross_entropy": ("fail", "cross_entropy", "sum-not-mean"),
         "cross_entropy_grad": ("pass", "grad_logits")}),
    # a lone gradient of the summed loss: a convention or a mistake, whatever its name
    "lone_grad_without_n": (
        NP + SOFTMAX + "def softmax_grad(z, y):\n    g = softmax(z)\n"
                       "    g[np.arange(len(y)), y] -= 1\n    return g\n",
        {"softmax_grad": ("ambiguous", "grad_logits")}),
    # the usual deeplearning.ai / CS231n forward: (output, cache)
    "output_and_cache": (
        NP + "def softmax_forward(scores):\n"
             "    e = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
             "    return e / e.sum(axis=1, keepdims=True), scores\n",
        {"softmax_forward": ("pass", "softmax")}),
    # a gradient written on softmax's output, next to a loss on logits
    "grad_from_probabilities": (
        NP + SOFTMAX + "def cross_entropy(z, y):\n    z = z - z.max(axis=1, keepdims=True)\n"
        "    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
        "    return -lp[np.arange(len(y)), y].mean()\n"
        "def output_delta(probs, Y):\n    return (probs - Y) / Y.shape[0]\n",
        {"output_delta": ("pass", "grad_logits")}),
    # one example at a time, a loss and the softmax it settles
    "one_example": (
        NP + "def stable_softmax(x):\n    e = np.exp(x - np.max(x))\n    return e / e.sum()\n"
             "def example_loss(x, target):\n    m = np.max(x)\n"
             "    return m + np.log(np.sum(np.exp(x - m))) - x[target]\n",
        {"stable_softmax": ("pass", "softmax"), "example_loss": ("pass", "cross_entropy")}),
    # d2l's updater: the params updated in place, nothing returned
    "sgd_in_place": (
        "def updater(params, grads, lr):\n    for p, g in zip(params, grads):\n"
        "        p -= lr * g\n",
        {"updater": ("pass", "sgd_step")}),
    # a model class: its private _softmax is softmax math, predict is not
    "class_with_private_softmax": (
        NP + "class SoftmaxRegression:\n    def __init__(self):\n        self.W = None\n"
             "    def _softmax(self, z):\n        e = np.exp(z - z.max(axis=1, keepdims=True))\n"
             "        return e / e.sum(axis=1, keepdims=True)\n"
             "    def predict(self, X):\n        return np.argmax(X @ self.W, axis=1)\n",
        {"SoftmaxRegression._softmax": ("pass", "softmax"),
         "SoftmaxRegression.predict": ("unrecognised", None)}),
    # probabilities clipped by an epsilon keyword: a real mistake, named
    "epsilon_keyword": (
        NP + "def cross_entropy(predictions, targets, epsilon=1e-12):\n"
             "    predictions = np.clip(predictions, epsilon, 1.0 - epsilon)\n"
             "    return -np.sum(targets * np.log(predictions)) / predictions.shape[0]\n",
        {"cross_entropy": ("fail", "cross_entropy", "epsilon-in-log")}),
    # a class of static and class methods: each checked, the wrong one failed
    "static_and_class_methods": (
        NP + "class Ops:\n    @staticmethod\n    def softmax(x):\n"
             "        e = np.exp(x - x.max(axis=1, keepdims=True))\n"
             "        return e / e.sum(axis=1, keepdims=True)\n"
             "    @classmethod\n    def log_softmax(cls, x):\n"
             "        return np.log(cls.softmax(x))\n",
        {"Ops.softmax": ("pass", "softmax"),
         "Ops.log_softmax": ("fail", "log_softmax", "log-of-softmax")}),
    # params and grads as dicts
    "dict_params": (
        NP + "def loss_and_grads(params, X, y):\n    W, b = params['W'], params['b']\n"
             "    z = X @ W + b\n    z = z - z.max(axis=1, keepdims=True)\n"
             "    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n    n = len(y)\n"
             "    dz = np.exp(lp)\n    dz[np.arange(n), y] -= 1\n    dz /= n\n"
             "    return -lp[np.arange(n), y].mean(), {'W': X.T @ dz, 'b': dz.sum(axis=0)}\n"
             "def sgd_step(params, grads, lr):\n"
             "    return {k: params[k] - lr * grads[k] for k in params}\n",
        {"loss_and_grads": ("pass", "loss_and_grads"), "sgd_step": ("pass", "sgd_step")}),
    # a negative log-likelihood of log-probabilities
    "nll_of_log_probabilities": (
        NP + "def nll_loss(log_probs, target):\n"
             "    return -log_probs[np.arange(len(target)), target].mean()\n",
        {"nll_loss": ("pass", "cross_entropy")}),
    # Keras's from_logits=False says probabilities: softmax applied again is double-softmax
    "keras_from_logits_false": (
        NP + "def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):\n"
             "    e = np.exp(y_pred - y_pred.max(axis=-1, keepdims=True))\n"
             "    p = e / e.sum(axis=-1, keepdims=True)\n"
             "    return -np.log(p[np.arange(len(y_true)), y_true])\n",
        {"sparse_categorical_crossentropy": ("fail", "cross_entropy", "double-softmax")}),
    # a decorator without functools.wraps: the wrapped function's signature is used
    "decorator_without_wraps": (
        NP + "def logged(fn):\n    def wrapper(*args, **kwargs):\n"
             "        return fn(*args, **kwargs)\n    return wrapper\n"
             "@logged\ndef softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
             "    return e / e.sum(axis=1, keepdims=True)\n",
        {"softmax": ("pass", "softmax")}),
    # right on tame inputs only as one example, but wrong that way too: a failure, not ambiguity
    "ambiguous_but_wrong_either_way": (
        NP + "def log_softmax(z):\n    return z - np.log(np.sum(np.exp(z)))\n",
        {"log_softmax": ("fail", "log_softmax", "no-max-shift")}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_code_gets_the_verdict_a_grader_gives(tmp_path, name):
    source, want = CASES[name]
    p = tmp_path / f"{name}.py"
    p.write_text(source)
    report = check(str(p), tf=False, examples=40)
    got = {r.function: r for r in report.functions if r.function}
    for fn, (status, role, *diagnosis) in want.items():
        r = got[fn]
        assert (r.status, r.role) == (status, role), (fn, report.format())
        if diagnosis:
            assert diagnosis[0] in [f.diagnosis for f in r.failures], report.format()


REVIEWED = {
    # an SGD step with the wrong sign: a value failure (the catalogue has no sgd_step mistakes)
    "sgd_wrong_sign": ("def sgd_step(params, grads, lr):\n    (W, b), (dW, db) = params, grads\n"
                       "    return W + lr * dW, b + lr * db\n",
                       {"sgd_step": ("fail", "sgd_step", None)}),
    # a CS231n model returning dW transposed: a shape failure, not "not recognised"
    "cs231n_dW_transposed": (
        NP + "def softmax_loss_vectorized(W, X, y, reg):\n    n = X.shape[0]\n"
             "    s = X @ W\n    s = s - s.max(axis=1, keepdims=True)\n"
             "    p = np.exp(s)\n    p /= p.sum(axis=1, keepdims=True)\n"
             "    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)\n"
             "    p[np.arange(n), y] -= 1\n    return loss, (p.T @ X) / n + 2 * reg * W.T\n",
        {"softmax_loss_vectorized": ("fail", "loss_and_grads", None)}),
    # a loss on logits that forgot its softmax: the name says logits, so no "probabilities"
    "loss_forgot_softmax": (NP + "def cross_entropy(logits, y):\n"
                                 "    return -np.log(logits[np.arange(len(y)), y]).mean()\n",
                            {"cross_entropy": ("fail", "cross_entropy", None)}),
    # the Jacobian's diagonal alone, elementwise: a shape failure under its name
    "jacobian_elementwise": (NP + "def softmax_jacobian(z):\n"
                                  "    s = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                                  "    s /= s.sum(axis=-1, keepdims=True)\n"
                                  "    return s * (1 - s)\n",
                             {"softmax_jacobian": ("fail", "softmax_jacobian", None)}),
    # a layer whose dx comes out transposed is no loss with a cache
    "layer_dx_transposed": (
        NP + "def softmax_loss(x, y):\n    s = x - x.max(axis=1, keepdims=True)\n"
             "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n    N = len(y)\n"
             "    dx = np.exp(lp)\n    dx[np.arange(N), y] -= 1\n"
             "    return -lp[np.arange(N), y].mean(), dx.T / N\n",
        {"softmax_loss": ("fail", "loss_and_grad_logits", None)}),
}

L2 = {  # a CS231n loss, right but for its L2 lines: (loss's term, dW's term)
    "negative": ("- reg * np.sum(W * W)", "- 2 * reg * W"),
    "reg_squared": ("+ reg * reg * np.sum(W * W)", "+ 2 * reg * reg * W"),
    "ignored": ("+ 0.0", "+ 0.0"),
    "per_example": ("+ len(y) * reg * np.sum(W * W)", "+ len(y) * 2 * reg * W"),
}


@pytest.mark.parametrize("mistake", sorted(L2))
def test_an_l2_term_of_any_positive_constant_passes_and_these_do_not(tmp_path, mistake):
    loss_term, grad_term = L2[mistake]
    source = (NP + "def softmax_loss_vectorized(W, X, y, reg):\n    n = X.shape[0]\n"
              "    s = X @ W\n    s = s - s.max(axis=1, keepdims=True)\n"
              "    lp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))\n    p = np.exp(lp)\n"
              "    loss = -lp[np.arange(n), y].mean() {}\n"
              "    p[np.arange(n), y] -= 1\n    return loss, X.T @ p / n {}\n")
    for name, terms, passes in (("right", ("+ 0.7 * reg * np.sum(W * W)", "+ 1.4 * reg * W"),
                                 True), (mistake, L2[mistake], False)):
        p = tmp_path / f"{name}.py"
        p.write_text(source.format(*terms))
        r = check(str(p), tf=False, examples=10).functions[0]
        assert (r.status == "pass") == passes, (name, r.failures, r.notes)
        if not passes:
            assert r.failures[0].property in ("L2 term", "L2 gradient")


@pytest.mark.parametrize("name", sorted(REVIEWED))
def test_wrong_code_a_review_found_passing_now_fails(tmp_path, name):
    source, want = REVIEWED[name]
    p = tmp_path / f"{name}.py"
    p.write_text(source)
    report = check(str(p), tf=False, examples=20)
    got = {r.function: r for r in report.functions if r.function}
    for fn, (status, role, _) in want.items():
        assert (got[fn].status, got[fn].role) == (status, role), report.format()
        assert not any("KeyError" in str(f.got) for f in got[fn].failures)  # the tool's own
    assert not report.passed


def test_a_file_with_nothing_checkable_does_not_pass(tmp_path):
    p = tmp_path / "helpers.py"
    p.write_text("def relu(x):\n    return x * (x > 0)\n")
    report = check(str(p), tf=False, examples=5)
    assert [r.status for r in report.functions] == ["unrecognised"]
    assert not report.passed and "NOTHING CHECKED" in report.format()
