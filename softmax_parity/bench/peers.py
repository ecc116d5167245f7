"""The optional peers of `softmax-parity bench`: JAX and PyTorch doing the same SGD, as
steppers of the one loop (numpy_softmax.loop), timed through loop.sgd_steps like every contender.

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
returning the loss before each update, so its final loss is checked against NumPy's like
everyone else's.

    jax-jit-step     JaxStepper: jax.jit of one SGD step (value_and_grad); the rows stay on the
                     device and the step gathers its batch by index; one call per step
    jax-jit-epoch    JaxEpochStepper: steps(batches) runs the whole epoch in one jax.jit, a
                     jax.lax.scan of that step over the (S, B) batch indices
    torch-step       TorchStepper: a per-step loop of torch ops: index_select into a reused
                     buffer, addmm, F.cross_entropy, backward(), W.sub_(lr * W.grad) under
                     no_grad; torch.set_num_threads(the bench's BLAS threads) around its steps
JAX on CPU runs XLA with its own thread pool (one thread per core); it cannot be resized once
the backend is up, so the record says so rather than pretending it matches the BLAS setting.
The steppers are in softmax_parity.bench.peer_steppers.
torch.compile is not a contender: see `TORCH_COMPILE` below.
"""
from __future__ import annotations

import importlib
import importlib.util
import os

import numpy as np

from numpy_softmax import Params

from ..versions import version
from .peer_steppers import JaxEpochStepper, JaxStepper, TorchStepper

JAX = ("jax-jit-step", "jax-jit-epoch")
TORCH = ("torch-step",)
CONTENDERS = JAX + TORCH
LIBRARY = {**{n: "jax" for n in JAX}, **{n: "torch" for n in TORCH}}  # contender -> import
DISTRIBUTIONS = {"jax": ("jax", "jaxlib"), "torch": ("torch",)}  # what the record names

# Why torch.compile is not a contender (tried by hand; the figures are in docs/benchmarks.md):
TORCH_COMPILE = ("torch.compile not measured: Inductor's compile of the loss (forward and "
                 "backward) would dominate a bench run, and the compiled step was no "
                 "faster than eager")


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
        ver = ", ".join(f"{d} {version(d)}" for d in dists if version(d))
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


def make_stepper(name: str, X: np.ndarray, y: np.ndarray, config, params: Params,
                 shared: dict):
    """The stepper of peer contender `name` over float32 rows X (N, D) and ids y (N,), from
    params. `shared` holds data the contenders of one library share (one device copy for JAX)."""
    if name == "jax-jit-step":
        return JaxStepper(X, y, config, params, shared)
    if name == "jax-jit-epoch":
        return JaxEpochStepper(X, y, config, params, shared)
    if name == "torch-step":
        return TorchStepper(X, y, config, params)
    raise KeyError(name)


def make(name: str, X: np.ndarray, y: np.ndarray, config, params: Params, *, threads=None,
         shared: dict):
    """The peer contender `name`: its stepper under its thread limit (torch's threads =
    `threads`; XLA keeps its own thread pool)."""
    from .contenders import Contender
    stepper = make_stepper(name, X, y, config, params, shared)
    if name in TORCH:
        return Contender(stepper, threads, limit=stepper.threads)
    return Contender(stepper)


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
