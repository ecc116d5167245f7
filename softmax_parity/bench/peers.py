"""The optional peers of `softmax-parity bench`: JAX and PyTorch doing the same SGD.

Dimensions: N training rows, D = 784 features, C = 10 classes, B batch size, S steps per epoch.

Neither library is a dependency of this project. Each is imported only when one of its
contenders is asked for; when the import fails, the contender is recorded as skipped with the
reason (never an error) and the rest of the bench runs as before.

Every peer trains what the NumPy and TF contenders train: the float32 images (N, D), the same
initial Params (numpy_softmax.init_params), each epoch's batches in numpy_softmax.epoch_order,
and per step
    Z = Xb @ W + b                                   (B, C)
    L = mean_n(logsumexp(Z_n) - Z_n[y_n])            ()    the library's own log-softmax
    dW, db = autodiff of L                           (D, C), (C,)
    W -= lr * dW;  b -= lr * db                      plain SGD
returning the epoch's step losses (the loss before each update), so its final loss is checked
against NumPy's like everyone else's.

    jax-jit-step     jax.jit of one SGD step (value_and_grad); the rows stay on the device and
                     the step gathers its batch by index; one call per step, losses read once
                     per epoch (JAX dispatches asynchronously; the epoch waits for W and b)
    jax-jit-epoch    the whole epoch in one jax.jit: jax.lax.scan of that step over the (S, B)
                     batch indices
    torch-step       a per-step loop of torch ops: index_select into a reused buffer, addmm,
                     F.cross_entropy, backward(), W.sub_(lr * W.grad) under no_grad;
                     torch.set_num_threads(the bench's BLAS threads) while it runs
JAX on CPU runs XLA with its own thread pool (one thread per core); it cannot be resized once
the backend is up, so the record says so rather than pretending it matches the BLAS setting.
torch.compile is not a contender: see `TORCH_COMPILE` below.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import os

import numpy as np

from numpy_softmax import Params
from numpy_softmax.loop import steps_per_epoch

JAX = ("jax-jit-step", "jax-jit-epoch")
TORCH = ("torch-step",)
CONTENDERS = JAX + TORCH
LIBRARY = {**{n: "jax" for n in JAX}, **{n: "torch" for n in TORCH}}  # contender -> import
DISTRIBUTIONS = {"jax": ("jax", "jaxlib"), "torch": ("torch",)}  # what the record names

# Why torch.compile is not a contender (tried by hand: torch 2.13.0+cpu, g++ present, offline):
TORCH_COMPILE = ("torch.compile not measured: it works offline, but Inductor took 19 s to "
                 "compile the loss (forward and backward) and the compiled step then ran "
                 "266 ms/epoch against eager's 230 (B = 128, 1 thread)")


def _import(name: str):
    """import `name` (a seam for tests: monkeypatching sys.modules[name] = None fails it)."""
    return importlib.import_module(name)


def unavailable(library: str) -> str | None:
    """None if `library` imports; otherwise why not, as the record says it."""
    try:
        _import(library)
    except ImportError as e:
        return f"skipped: not installed ({e})"
    except Exception as e:  # noqa: BLE001 - a broken install is a skip too, never an error
        return f"skipped: import failed ({type(e).__name__}: {e})"
    return None


def _version(dist: str):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def status(contenders) -> dict:
    """{library: one line} for the record and the table: what ran, or why not. A library none
    of whose contenders was asked for is not imported (only looked up)."""
    out = {}
    for lib, dists in DISTRIBUTIONS.items():
        mine = [c for c in contenders if LIBRARY.get(c) == lib]
        if mine:
            why = unavailable(lib)
        else:
            try:
                found = importlib.util.find_spec(lib) is not None
            except (ImportError, ValueError):
                found = False
            why = None if found else "skipped: not installed"
        if why is not None:
            out[lib] = why
            continue
        ver = ", ".join(f"{d} {_version(d)}" for d in dists if _version(d))
        out[lib] = (f"{ver}: {', '.join(mine)} ({threads_note(lib)})" if mine
                    else f"{ver}: installed, not asked for (contenders "
                         f"{', '.join(c for c in CONTENDERS if LIBRARY[c] == lib)})")
    return out


def threads_note(lib: str) -> str:
    if lib == "jax":
        flags = os.environ.get("XLA_FLAGS")
        return f"XLA:CPU, XLA_FLAGS={flags!r}" if flags else "XLA:CPU, its default thread pool"
    torch = _import("torch")
    return (f"torch threads = the bench's BLAS threads, torch's own default "
            f"{torch.get_num_threads()}; {TORCH_COMPILE}")


def skipped(contenders) -> dict:
    """{contender: reason} for each asked-for peer contender whose library does not import."""
    out = {}
    for c in contenders:
        if c in LIBRARY:
            why = unavailable(LIBRARY[c])
            if why is not None:
                out[c] = why
    return out


def _batches(order: np.ndarray, config) -> np.ndarray:
    """The epoch's full batches as rows of indices (S, B), as every contender takes them."""
    B = config.batch_size
    S = steps_per_epoch(order.shape[0], config)
    return np.ascontiguousarray(order[:S * B].reshape(S, B))


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


class JaxContender:
    """jax-jit-step (one jitted call per step) or jax-jit-epoch (one per epoch, lax.scan).
    X (N, D) float32 and y (N,) int32 live on the CPU device, shared by both contenders."""

    def __init__(self, name: str, X: np.ndarray, y: np.ndarray, config, params: Params,
                 shared: dict):
        import jax
        self.jax, self.name, self.config = jax, name, config
        if "jax" not in shared:
            shared["jax"] = (jax.device_put(X), jax.device_put(y.astype(np.int32)))
        self.X, self.y = shared["jax"]
        self.W, self.b = jax.device_put(params.W), jax.device_put(params.b)  # (D, C), (C,)
        self._step, self._epoch = _jax_functions(config.lr)

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        batches = self.jax.device_put(_batches(order, self.config).astype(np.int32))  # (S, B)
        if self.name == "jax-jit-epoch":
            self.W, self.b, losses = self._epoch(self.W, self.b, self.X, self.y, batches)
        else:
            out = []
            for s in range(batches.shape[0]):
                self.W, self.b, loss = self._step(self.W, self.b, self.X, self.y, batches[s])
                out.append(loss)
            losses = self.jax.numpy.stack(out)  # (S,)
        self.jax.block_until_ready((self.W, self.b))  # all the epoch's work is done
        return np.asarray(losses, dtype=np.float64).tolist()

    def params(self) -> Params:
        return Params(np.asarray(self.W), np.asarray(self.b))

    def close(self) -> None:
        pass


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


class TorchContender:
    """torch-step: eager PyTorch, one autograd step per batch; X (N, D) is the NumPy array
    itself (torch.from_numpy shares the memory), each batch gathered into one reused buffer."""

    def __init__(self, X: np.ndarray, y: np.ndarray, config, params: Params, threads=None):
        import torch
        import torch.nn.functional as F
        self.torch, self.F, self.config, self.threads = torch, F, config, threads
        self.X = torch.from_numpy(X)  # (N, D) float32, no copy
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))  # (N,)
        self.W = torch.tensor(params.W, requires_grad=True)  # (D, C) a copy
        self.b = torch.tensor(params.b, requires_grad=True)  # (C,)
        B = config.batch_size
        self.Xb = torch.empty((B, X.shape[1]), dtype=self.X.dtype)  # (B, D) reused
        self.yb = torch.empty(B, dtype=torch.int64)  # (B,)

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        torch, F, W, b, lr = self.torch, self.F, self.W, self.b, self.config.lr
        batches = torch.from_numpy(_batches(order, self.config))  # (S, B)
        losses = []
        with _torch_threads(torch, self.threads):
            for idx in batches:
                torch.index_select(self.X, 0, idx, out=self.Xb)  # (B, D)
                torch.index_select(self.y, 0, idx, out=self.yb)  # (B,)
                loss = F.cross_entropy(torch.addmm(b, self.Xb, W), self.yb)  # mean over B
                W.grad = b.grad = None
                loss.backward()
                with torch.no_grad():
                    W.sub_(lr * W.grad)  # W - lr * dW
                    b.sub_(lr * b.grad)
                losses.append(loss.detach())
            return torch.stack(losses).tolist()

    def params(self) -> Params:
        return Params(self.W.detach().numpy().copy(), self.b.detach().numpy().copy())

    def close(self) -> None:
        pass


def make(name: str, X: np.ndarray, y: np.ndarray, config, params: Params, *, threads=None,
         shared: dict):
    """The peer contender `name` over float32 rows X (N, D) and ids y (N,), from params.
    `shared` holds data the contenders of one library share (one device copy for JAX)."""
    if name in JAX:
        return JaxContender(name, X, y, config, params, shared)
    if name in TORCH:
        return TorchContender(X, y, config, params, threads)
    raise KeyError(name)


def leads(out: dict, me: dict) -> dict:
    """The numpy backend's epoch (`me`) against the fastest JAX contender in `out` (the epochs
    section's contenders): which one, whether `me` is faster, and by how much; {} when no JAX
    contender ran."""
    jx = {n: v for n, v in out.items() if n in JAX}
    if not jx:
        return {}
    fastest = min(jx, key=lambda n: jx[n]["median_s"])
    return {"fastest_jax": fastest, "faster_than_jax_jit": me["median_s"] < jx[fastest]["median_s"],
            "speedup_vs_fastest_jax": jx[fastest]["median_s"] / me["median_s"]}
