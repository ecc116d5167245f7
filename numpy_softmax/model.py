"""Softmax (multinomial logistic) regression: Z = X W + b, L = mean cross-entropy(Z, y).

Dimensions: N examples, D features (784 = 28 x 28 pixels for MNIST), C classes (10).
Each class has D + 1 parameters: a column of W and one entry of b.

The chain rule, one link per function:
    Z = X @ W + b                   (N, C)   logits
    dL/dZ = (softmax(Z) - Y) / N    (N, C)   kernels.grad_logits
    dL/dW = X.T @ dL/dZ             (D, C)   grads_from_dz
    dL/db = sum_n dL/dZ_n           (C,)     grads_from_dz
The arithmetic is numpy_softmax.kernels'; this module checks inputs and speaks in Params.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels, validate
from .errors import InputError


class Params(NamedTuple):
    """The model's parameters. Immutable: training makes new Params, never edits them."""

    W: np.ndarray  # (D, C)
    b: np.ndarray  # (C,)


def init_params(n_features: int = 784, n_classes: int = 10, *, seed: int = 0,
                stddev: float = 0.01, dtype=np.float32) -> Params:
    """W ~ Normal(0, stddev^2) drawn from np.random.default_rng(seed), b = 0 (the seed's init).

    The draw is made in float64 and rounded to `dtype`, so float32 and float64 runs start from
    the same numbers up to float32 rounding.
    """
    if n_features < 1 or n_classes < 2:
        raise InputError(f"need n_features >= 1 and n_classes >= 2, got {n_features}, {n_classes}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    if not (np.isfinite(stddev) and stddev >= 0):
        raise InputError(f"stddev must be a finite number >= 0, got {stddev}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise InputError(f"dtype must be float32 or float64, got {dtype}")
    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((n_features, n_classes)) * stddev).astype(dtype)  # (D, C)
    b = np.zeros(n_classes, dtype=dtype)  # (C,)
    return Params(W, b)


def grads_from_dz(X: np.ndarray, dZ: np.ndarray) -> Params:
    """The last links of the chain rule, from dL/dZ (N, C) to the parameters:
    dL/dW = X.T @ dZ  (D, C)  since Z_nc = sum_d X_nd W_dc;
    dL/db = sum over rows of dZ  (C,)  since b is added to every row."""
    return Params(*kernels.grads_from_dz(X, dZ))


def check_params(params) -> Params:
    """Validate Params: W (D, C) and b (C,) finite, same float dtype."""
    if not isinstance(params, tuple) or len(params) != 2:
        raise InputError("params must be a Params(W, b)")
    W = validate.float_array("W", params[0], 2)
    b = validate.float_array("b", params[1], 1)
    if b.shape[0] != W.shape[1]:
        raise InputError(f"b must have shape ({W.shape[1]},) to match W {W.shape}, got {b.shape}")
    if W.dtype != b.dtype:
        raise InputError(f"W and b must share a dtype, got {W.dtype} and {b.dtype}")
    return Params(W, b)


def check_inputs(params, X, labels):
    """Validate everything loss_and_grads needs; returns (Params, X, kind, y)."""
    params = check_params(params)
    X = validate.float_array("X", X, 2)
    D, C = params.W.shape
    if X.shape[1] != D:
        raise InputError(f"X must have shape (N, {D}) to match W {params.W.shape}, got {X.shape}")
    if X.shape[0] == 0:
        raise InputError("X has 0 rows; need at least one example")
    X = X.astype(params.W.dtype, copy=False)
    kind, y = validate.labels("labels", labels, X.shape[0], C, params.W.dtype)
    return params, X, kind, y


def check_logits_inputs(params, X) -> tuple:
    """Validate Params and X (N, D) for Z = X @ W + b; returns (Params, X in W's dtype)."""
    params = check_params(params)
    X = validate.float_array("X", X, 2)
    if X.shape[1] != params.W.shape[0]:
        raise InputError(f"X must have shape (N, {params.W.shape[0]}) to match W "
                         f"{params.W.shape}, got {X.shape}")
    return params, X.astype(params.W.dtype, copy=False)


def logits(params: Params, X) -> np.ndarray:
    """Z = X @ W + b.  Shapes: X (N, D), W (D, C), b (C,) -> Z (N, C), in W's dtype."""
    params, X = check_logits_inputs(params, X)
    return kernels.logits(X, params.W, params.b)


def loss_and_grads(params: Params, X, labels) -> tuple:
    """Mean cross-entropy of softmax(X W + b) against labels, and its gradient as a Params.

    L = -(1/N) sum_n log softmax(X_n W + b)_{y_n}
    dL/dW = X.T @ (softmax(Z) - Y) / N    (D, C)
    dL/db = sum_n (softmax(Z) - Y)_n / N   (C,)
    Shapes: X (N, D), labels (N,) ids or (N, C) probabilities. Returns (loss, Params(dW, db)),
    all in W's dtype. TF's version (tf_softmax.loss_and_grads) gets the same by autodiff.
    """
    params, X, kind, y = check_inputs(params, X, labels)
    loss, dW, db = kernels.loss_and_grads(X, params.W, params.b, kind, y)
    return loss, Params(dW, db)
