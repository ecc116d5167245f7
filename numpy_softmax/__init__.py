"""numpy_softmax: softmax regression in pure NumPy, every gradient written out by hand.

This package imports NumPy only (never TensorFlow). The public API:
    logsumexp, softmax, log_softmax, cross_entropy, grad_logits, accuracy   (ops)
    Params, init_params, logits, loss_and_grads                              (model)
    sgd_step, TrainConfig, train                                             (training)
    load_mnist                                                               (data)
"""
from .data import Dataset, Split, load_mnist
from .errors import DataError, InputError
from .gradcheck import GradcheckReport, gradcheck
from .model import Params, grads_from_dz, init_params, logits, loss_and_grads
from .ops import accuracy, cross_entropy, grad_logits, log_softmax, logsumexp, softmax
from .sgd import sgd_step
from .train import (DivergenceError, EpochRecord, TrainConfig, TrainResult, batches, sgd_epoch,
                    epoch_order, steps_per_epoch, train)

__version__ = "0.1.0"

__all__ = [
    "logsumexp", "softmax", "log_softmax", "cross_entropy", "grad_logits", "accuracy",
    "Params", "init_params", "logits", "loss_and_grads", "grads_from_dz", "sgd_step",
    "TrainConfig", "EpochRecord", "TrainResult", "DivergenceError", "train", "batches",
    "epoch_order", "steps_per_epoch", "sgd_epoch", "load_mnist", "Dataset", "Split", "InputError",
    "DataError", "gradcheck", "GradcheckReport",
]
