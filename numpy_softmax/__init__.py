"""numpy_softmax: softmax regression in pure NumPy, every gradient written out by hand.

This package imports NumPy only (never TensorFlow). The public API:
    logsumexp, softmax, log_softmax, cross_entropy, grad_logits, accuracy   (ops)
    Params, init_params, logits, loss_and_grads, grads_from_dz              (model)
    sgd_step                                                                 (sgd)
    TrainConfig, Position, EpochRecord, TrainResult, DivergenceError,
    epoch_order, batches, steps_per_epoch                                    (loop: THE loop)
    train, ReferenceStepper, FastStepper                                     (steppers)
    gradcheck                                                                (gradcheck)
    load_mnist, Dataset, Split                                               (data)
The unchecked math the steppers, tf_softmax and the tests share is numpy_softmax.kernels.
"""
from .data import Dataset, Split, load_mnist
from .errors import DataError, InputError
from .gradcheck import GradcheckReport, gradcheck
from .loop import (DivergenceError, EpochRecord, Position, TrainConfig, TrainResult, batches,
                   epoch_order, steps_per_epoch)
from .model import Params, grads_from_dz, init_params, logits, loss_and_grads
from .ops import accuracy, cross_entropy, grad_logits, log_softmax, logsumexp, softmax
from .sgd import sgd_step
from .steppers import FastStepper, ReferenceStepper, train

__version__ = "0.1.0"

__all__ = [
    "logsumexp", "softmax", "log_softmax", "cross_entropy", "grad_logits", "accuracy",
    "Params", "init_params", "logits", "loss_and_grads", "grads_from_dz", "sgd_step",
    "TrainConfig", "Position", "EpochRecord", "TrainResult", "DivergenceError", "train",
    "batches", "epoch_order", "steps_per_epoch", "ReferenceStepper", "FastStepper",
    "load_mnist", "Dataset", "Split", "InputError", "DataError", "gradcheck", "GradcheckReport",
]
