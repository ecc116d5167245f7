"""The bench's contenders: steppers of the one loop (numpy_softmax.loop), each timed through
loop.sgd_steps under its thread limit, and the training rows in the forms they take.

    numpy-fast-u8    numpy_softmax.FastStepper (its fast mode) on uint8 pixels (ScaledRows):
                     what `train --backend numpy` and numpy_softmax.train() run
    numpy-fast-f32   the same stepper on the float32 images
    numpy-exact-u8   FastStepper(exact=True) on uint8 pixels: the reference's numbers, bit for
                     bit (train(stepper="exact"))
    numpy-ref        numpy_softmax.ReferenceStepper, the readable step
    tf-*             the TF steppers (softmax_parity.bench.tf, imported only when asked for)
    jax-*, torch-*   the optional peers (softmax_parity.bench.peers)
"""
from __future__ import annotations

import functools
import importlib.util

import numpy as np

from numpy_softmax import FastStepper, ReferenceStepper, TrainConfig, init_params, loop
from numpy_softmax.data import ScaledRows
from numpy_softmax.threads import blas_threads

from . import peers
from .config import blas_limit


class Contender:
    """A stepper of the one loop, timed through loop.sgd_steps, with `limit(threads)` (a
    context manager; BLAS's thread limit by default) around its steps. threads None: the
    library's threads as they are."""

    def __init__(self, stepper, threads=None, limit=blas_threads):
        self.stepper, self.threads, self.limit = stepper, threads, limit

    def epoch(self, order: np.ndarray, epoch: int) -> list:
        """The steps over the rows `order` (n,) (an epoch, or its first rows); their losses."""
        with self.limit(self.threads):
            return loop.sgd_steps(self.stepper, order, epoch=epoch)[0]

    def close(self) -> None:
        if hasattr(self.stepper, "close"):
            self.stepper.close()


class Data:
    """The training rows once, in the forms the contenders take: uint8 pixels (N, D), the
    loader's float32 images (N, D) made from them, class ids (N,). The `shared` stores hold
    what the contenders of one library share (one copy of the data as TF constants, one
    JAX device copy), not one per contender."""

    def __init__(self, pixels: np.ndarray, labels: np.ndarray):
        self.pixels = np.ascontiguousarray(pixels)
        self.scaled = ScaledRows(self.pixels, 1 / 255)
        self.images = self.scaled.materialize()  # (N, D) float32, = Split.images
        self.labels = np.asarray(labels, dtype=np.int64)
        self.n = self.labels.shape[0]
        self.tf_shared: dict = {}
        self.peers_shared: dict = {}


def initial_params(data: Data, config: TrainConfig):
    """The seed's initial Params for D = data's features and C = 10 classes."""
    return init_params(data.pixels.shape[1], 10, seed=config.seed, stddev=config.init_stddev)


def make_contender(name: str, data: Data, config: TrainConfig, params, threads=None):
    """The contender `name` from params; threads: BenchConfig.blas_threads, the BLAS threads
    of the NumPy ones (config.blas_limit: None as train() runs each) and torch's; TF and JAX
    keep their own thread pools."""
    numpy = {"numpy-fast-u8": (FastStepper, data.scaled),
             "numpy-fast-f32": (FastStepper, data.images),
             "numpy-exact-u8": (functools.partial(FastStepper, exact=True), data.scaled),
             "numpy-ref": (ReferenceStepper, data.images)}
    if name in numpy:
        cls, X = numpy[name]
        stepper = cls(X, data.labels, config, params)
        return Contender(stepper, blas_limit(threads, stepper.threads))
    if name in peers.CONTENDERS:
        return peers.make(name, data.images, data.labels, config, params, threads=threads or None,
                          shared=data.peers_shared)
    from . import tf
    return Contender(tf.make(name, data.images, data.labels, config, params, data.tf_shared))


def tf_available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None
