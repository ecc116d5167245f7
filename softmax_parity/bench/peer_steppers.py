"""The JAX and PyTorch steppers of the bench's optional peers (softmax_parity.bench.peers says
what each does and why). Each library is imported when a stepper is built, never here.

Dimensions: N training rows, D features, C classes, B batch size, S steps per epoch.
"""
from __future__ import annotations

import contextlib

import numpy as np

from numpy_softmax import Params


# --- JAX -----------------------------------------------------------------------------------

def _jax_functions(lr: float):
    """(step, epoch), both jitted, for learning rate lr (a Python float: a weak-typed
    constant, so float32 parameters stay float32)."""
    import jax
    import jax.numpy as jnp

    def loss_fn(W, b, Xb, yb):
        Z = Xb @ W + b  # (B, C)
        logp = jax.nn.log_softmax(Z, axis=1)  # (B, C) shifted by the row max: exp cannot overflow
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))  # () mean over B

    grad = jax.value_and_grad(loss_fn, argnums=(0, 1))

    def step(W, b, X, y, idx):
        Xb, yb = X[idx], y[idx]  # (B, D), (B,) gathered on the device
        loss, (dW, db) = grad(W, b, Xb, yb)  # (), (D, C), (C,)
        return W - lr * dW, b - lr * db, loss  # the loss before this step's update

    def epoch(W, b, X, y, batches):
        def body(carry, idx):
            W, b, loss = step(*carry, X, y, idx)
            return (W, b), loss
        (W, b), losses = jax.lax.scan(body, (W, b), batches)  # S steps, (S,) losses
        return W, b, losses

    return jax.jit(step), jax.jit(epoch)


class JaxStepper:
    """jax-jit-step: one jitted call per step. X (N, D) float32 and y (N,) int32 live on the
    CPU device, one copy shared by the JAX contenders of a bench (`shared`)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, config, params: Params, shared: dict):
        import jax
        self.jax, self.config, self.n_train = jax, config, X.shape[0]
        if "jax" not in shared:
            shared["jax"] = (jax.device_put(X), jax.device_put(np.asarray(y, np.int32)))
        self.X, self.y = shared["jax"]
        self.W, self.b = jax.device_put(params.W), jax.device_put(params.b)  # (D, C), (C,)
        self._step, self._epoch = _jax_functions(config.lr)

    def step(self, idx: np.ndarray) -> float:
        self.W, self.b, loss = self._step(self.W, self.b, self.X, self.y,
                                          np.asarray(idx, np.int32))  # idx (B,)
        return float(loss)

    def params(self) -> Params:
        self.jax.block_until_ready((self.W, self.b))
        return Params(np.asarray(self.W), np.asarray(self.b))

    def logits(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.jax.device_put(np.asarray(X, np.float32)) @ self.W + self.b)


class JaxEpochStepper(JaxStepper):
    """jax-jit-epoch: JaxStepper with steps(batches), the whole epoch in one jitted call."""

    def steps(self, batches: np.ndarray) -> np.ndarray:
        """The SGD steps over the rows of batches (S, B); their S losses."""
        idx = self.jax.device_put(np.asarray(batches, np.int32))  # (S, B)
        self.W, self.b, losses = self._epoch(self.W, self.b, self.X, self.y, idx)
        return np.asarray(losses, dtype=np.float64)  # waits for the whole epoch


# --- PyTorch -------------------------------------------------------------------------------

@contextlib.contextmanager
def _torch_threads(torch, n: int | None):
    """torch's intra-op threads = n inside the block (None: leave as is)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchStepper:
    """torch-step: eager PyTorch, one autograd step per batch; X (N, D) is the NumPy array
    itself (torch.from_numpy shares the memory), each batch gathered into one reused buffer."""

    def __init__(self, X: np.ndarray, y: np.ndarray, config, params: Params):
        import torch
        import torch.nn.functional as F
        self.torch, self.F, self.config, self.n_train = torch, F, config, X.shape[0]
        self.X = torch.from_numpy(X)  # (N, D) float32, no copy
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))  # (N,)
        self.W = torch.tensor(params.W, requires_grad=True)  # (D, C) a copy
        self.b = torch.tensor(params.b, requires_grad=True)  # (C,)
        B = config.batch_size
        self.Xb = torch.empty((B, X.shape[1]), dtype=self.X.dtype)  # (B, D) reused
        self.yb = torch.empty(B, dtype=torch.int64)  # (B,)

    def step(self, idx: np.ndarray) -> float:
        torch, W, b, lr = self.torch, self.W, self.b, self.config.lr
        i = torch.from_numpy(np.asarray(idx, dtype=np.int64))  # (B,)
        torch.index_select(self.X, 0, i, out=self.Xb)  # (B, D)
        torch.index_select(self.y, 0, i, out=self.yb)  # (B,)
        loss = self.F.cross_entropy(torch.addmm(b, self.Xb, W), self.yb)  # mean over B
        W.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            W.sub_(lr * W.grad)  # W - lr * dW
            b.sub_(lr * b.grad)
        return loss.item()

    def threads(self, n: int | None):
        """A context manager: torch's intra-op threads = n inside it (the Contender's limit)."""
        return _torch_threads(self.torch, n)

    def params(self) -> Params:
        return Params(self.W.detach().numpy().copy(), self.b.detach().numpy().copy())

    def logits(self, X: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            Xt = self.torch.from_numpy(np.asarray(X, np.float32))  # (N', D)
            return self.torch.addmm(self.b, Xt, self.W).numpy()  # (N', C)
