"""Plain stochastic gradient descent: a constant step, no momentum, no schedule (the seed's
GradientDescentOptimizer(0.01))."""
from __future__ import annotations

from .model import Params


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """theta <- theta - lr * dL/dtheta, for W (D, C) and b (C,). Returns new Params.

    lr is a Python float: NumPy rounds it to the parameters' dtype before multiplying, as
    TF's GradientDescentOptimizer casts its learning rate to the variable's dtype."""
    lr = float(lr)  # a NumPy float64 scalar would promote float32 parameters to float64
    return Params(params.W - lr * grads.W, params.b - lr * grads.b)
