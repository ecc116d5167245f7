"""TensorFlow as the second oracle: each function that numpy_softmax passed is run again on the
fixed probes (inputs.probes: ordinary logits, probabilities that underflow, exp that
overflows), in float32 and float64, and held to TF's answer within the same budget.

Dimensions: N examples, D features, C classes.

TF computes in float64 on the same (already rounded) inputs, as inputs.reference does with
numpy_softmax's kernels; gradients come from TF's autodiff (tf_softmax), never from the
hand-derived formula. Importing TF takes seconds, so this runs once per check, in one child
process (run.check), and only when TF is installed.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from . import inputs, properties
from .strategies import DTYPES

TIMEOUT = 120.0  # seconds for the one child that imports TF and runs every probe


def available() -> bool:
    return importlib.util.find_spec("tensorflow") is not None


def covers(spec) -> bool:
    """TF answers for numpy_softmax's own ops, from logits (a loss on probabilities is held to
    the probabilities it was given: numpy_softmax alone judges it)."""
    return spec is not None and spec.role in inputs.API and spec.inputs == "logits"


def expected(spec, case) -> dict:
    """{part: float64 array}: TF's answer for `name` on `case`, in float64, through TF's own
    ops on tensors (unchecked: the case's float32 probability rows, widened, sum to 1 only
    to float32's precision) and TF's autodiff for the gradients."""
    from tf_softmax import tf
    from tf_softmax.ops import tensor_cross_entropy, tensor_logits
    name = inputs.contract_of(spec).role
    labels = tf.constant(case.labels if case.kind == "ids" else
                         case.labels.astype(np.float64))  # (N,) ids or (N, C) rows
    if name in inputs.MODEL:
        if name == "sgd_step":  # the update of the case's own gradient, as the user gets it
            (W, b), (dW, db), lr = inputs.arguments(name, case)
            return {"W": W.astype(np.float64) - lr * dW.astype(np.float64),
                    "b": b.astype(np.float64) - lr * db.astype(np.float64)}
        X, W, b = (tf.constant(a.astype(np.float64)) for a in (case.X, case.W, case.b))
        with tf.GradientTape() as tape:
            tape.watch([W, b])
            loss = tensor_cross_entropy(tensor_logits(W, b, X), case.kind, labels)  # ()
        dW, db = tape.gradient(loss, [W, b])  # (D, C), (C,)
        return {"loss": np.float64(loss), "dW": dW.numpy(), "db": db.numpy()}
    z = tf.constant(case.z.astype(np.float64))  # (N, C)
    if name == "softmax":
        return {"out": tf.nn.softmax(z, axis=1).numpy()}
    if name == "log_softmax":
        return {"out": tf.nn.log_softmax(z, axis=1).numpy()}
    if name == "logsumexp":
        return {"out": tf.reduce_logsumexp(z, axis=1).numpy()}
    with tf.GradientTape() as tape:
        tape.watch(z)
        loss = tensor_cross_entropy(z, case.kind, labels)  # ()
    if name == "cross_entropy":
        return {"out": np.float64(loss)}
    return {"out": tape.gradient(loss, z).numpy()}  # grad_logits (N, C)


def disagreement(spec, fn, kinds) -> dict | None:
    """The first probe on which fn's answer is outside the budget around TF's, as
    {"counterexample" case, "expected", "got", "where"}; None when fn agrees with TF on all."""
    for kind in kinds:
        for dtype in DTYPES:
            for case in inputs.probes(spec, dtype, kind):
                called = properties.call(spec, fn, case)
                if called.parts is None:
                    continue  # refusing an input kind is judged by the first oracle
                tf_parts = expected(spec, case)
                _, allowed, _ = inputs.reference(spec, case)
                for k, e in tf_parts.items():
                    if k not in called.parts:  # no bias: b is 0, db not returned
                        continue
                    got = np.asarray(called.parts[k], dtype=np.float64).reshape(np.shape(e))
                    with np.errstate(invalid="ignore"):
                        over = np.where(np.isfinite(e), np.abs(got - e) / allowed[k], 0.0)
                    over = np.where(np.isfinite(e) & ~np.isfinite(got), np.inf, over)
                    if np.max(over) > 1:
                        i = np.unravel_index(int(np.argmax(over)), np.shape(e))
                        return {"case": case,
                                "expected": properties.json_number(np.asarray(e)[i]),
                                "got": properties.json_number(got[i]),
                                "where": [k, *map(int, i)]}
    return None
