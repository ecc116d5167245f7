"""tf_softmax: the numpy_softmax model computed by TensorFlow.

Same public op names as numpy_softmax, computed with TF ops, gradients by TF autodiff:
    logsumexp, softmax, log_softmax, cross_entropy, grad_logits, accuracy, logits,
    loss_and_grads                                   (tf_softmax.ops, eager, GradientTape)
    graph_loss_and_grads                             (tf_softmax.graph, tf.gradients in a graph)
Params, TrainConfig and the data come from numpy_softmax (reused, not copied).
The trainers (tf_softmax.graph.train, tf_softmax.function.train) are imported on use.
Importing this package imports TensorFlow (quietly: TF_CPP_MIN_LOG_LEVEL=2 unless set).
"""
from numpy_softmax import Params, TrainConfig

from .graph import graph_loss_and_grads
from .ops import (accuracy, cross_entropy, grad_logits, log_softmax, logits, loss_and_grads,
                  logsumexp, softmax)

__all__ = [
    "logsumexp", "softmax", "log_softmax", "cross_entropy", "grad_logits", "accuracy",
    "logits", "loss_and_grads", "graph_loss_and_grads", "Params", "TrainConfig",
]
