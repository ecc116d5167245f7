"""tf_softmax: the numpy_softmax model computed by TensorFlow.

Same public op names as numpy_softmax, computed with TF ops, gradients by TF autodiff:
    logsumexp, softmax, log_softmax, cross_entropy, grad_logits, accuracy, logits,
    loss_and_grads                                   (tf_softmax.ops, eager, GradientTape)
    graph_loss_and_grads                             (tf_softmax.graph, tf.gradients in a graph)
Steppers for numpy_softmax's one training loop (numpy_softmax.loop.run):
    GraphStepper, GraphEpochStepper                  (tf_softmax.graph, the seed's TF1 program)
    FunctionStepper, FunctionEpochStepper            (tf_softmax.function, TF2 tf.function)
    KerasStepper, KerasFitStepper                    (tf_softmax.keras, Keras train_on_batch /
                                                     model.fit on tf.data)
    DistributedStepper                               (tf_softmax.distributed, tf.distribute)
Params, TrainConfig and the data come from numpy_softmax (reused, not copied). `tf` is
TensorFlow itself, imported quietly (TF_CPP_MIN_LOG_LEVEL=2 unless set).
"""
from numpy_softmax import Params, TrainConfig

from ._tf import tf
from .distributed import DistributedStepper
from .function import FunctionEpochStepper, FunctionStepper
from .graph import GraphEpochStepper, GraphStepper, graph_loss_and_grads
from .keras import KerasFitStepper, KerasStepper
from .ops import (accuracy, cross_entropy, grad_logits, log_softmax, logits, loss_and_grads,
                  logsumexp, softmax)

__all__ = [
    "logsumexp", "softmax", "log_softmax", "cross_entropy", "grad_logits", "accuracy",
    "logits", "loss_and_grads", "graph_loss_and_grads", "Params", "TrainConfig", "tf",
    "GraphStepper", "GraphEpochStepper", "FunctionStepper", "FunctionEpochStepper",
    "KerasStepper", "KerasFitStepper",
    "DistributedStepper",
]
