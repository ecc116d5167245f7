"""The same SGD, data-parallel under tf.distribute: K replicas, each on a shard of every batch.

Dimensions: B examples per global batch, K replicas, B_k rows in replica k's shard, D features,
C classes.

One step of the custom training loop, on the global batch idx (B,) of the project's order:
    shards = split idx into K parts of B // K or B // K + 1 rows, in order   (B_k,) each
    on replica k:
        Z_k = X[shard_k] @ W + b                                 (B_k, C)
        l_k = sparse_softmax_cross_entropy_with_logits(y, Z_k)   (B_k,)  per example
        L_k = compute_average_loss(l_k, global_batch_size=B)     = sum(l_k) / B
        dW_k, db_k = tape.gradient(L_k, [W, b])                  (D, C), (C,)
    dW = sum_k dW_k;  db = sum_k db_k          strategy.reduce(SUM): the strategy's all-reduce
    W -= lr * dW;  b -= lr * db                plain SGD, as FunctionStepper
Since sum_k sum(l_k) / B = mean(l) over the global batch, dW is exactly the gradient of the
global batch's mean loss: the NumPy reference's step, with the sum split into K partial sums.

A batch that does not split evenly (B = 128, K = 3) is split by np.array_split: shards of 43,
43 and 42 rows. Dividing by the global B (never by B_k) keeps every example's weight 1/B, so
uneven shards give the same step. A batch smaller than K would leave a replica empty: refused.

The classic mistake (mistake="per-replica-mean"): L_k = mean(l_k) = sum(l_k) / B_k. With even
shards B_k = B / K, so sum_k dL_k = K * dL: every step is K times too large, and the loss still
falls. The reported loss stays the true mean over the global batch, so only the update shows it.

DistributedStepper runs under MirroredStrategy over K logical CPU devices of this process (set
up by SOFTMAX_PARITY_CPU_DEVICES before TF starts: tf_softmax._tf), or, with workers=True,
under MultiWorkerMirroredStrategy with one replica per worker process (TF_CONFIG names the
cluster and this worker; softmax_parity.workers starts them). Every worker computes the same
global batch order and takes its own shard; the chief's parameters are the result.
"""
from __future__ import annotations

import numpy as np

from numpy_softmax import InputError, Params, TrainConfig

from . import _tf
from ._tf import tf
from .ops import tensor_logits

MISTAKES = ("per-replica-mean",)


def cpu_devices() -> int:
    """How many logical CPU devices this process's TF has (TF initialises them on first use)."""
    return len(tf.config.list_logical_devices("CPU"))


def mirrored_strategy(replicas: int):
    """MirroredStrategy over the logical CPU devices /cpu:0 .. /cpu:K-1. Refuses when TF was
    initialised with another count: devices can be configured once per process."""
    have = cpu_devices()
    if have != replicas:
        raise InputError(f"--replicas {replicas} needs {replicas} logical CPU devices, but "
                         f"TensorFlow was already initialised with {have} in this process; "
                         "run it in a fresh process")
    return tf.distribute.MirroredStrategy(
        devices=[f"/cpu:{k}" for k in range(replicas)],
        cross_device_ops=tf.distribute.ReductionToOneDevice())  # CPUs: no NCCL


def multi_worker_strategy():
    """The MultiWorkerMirroredStrategy of this worker process for the cluster in TF_CONFIG,
    made by tf_softmax._tf when TF started (collectives must be configured before that)."""
    if _tf.worker_strategy is None:
        raise InputError("workers need TF_CONFIG and SOFTMAX_PARITY_WORKER set before "
                         "TensorFlow starts (softmax_parity.workers sets them)")
    return _tf.worker_strategy


class DistributedStepper:
    """A stepper of numpy_softmax.loop: each global batch goes through strategy.run on K
    shards, gradients summed by strategy.reduce, one plain SGD update of the mirrored W, b."""

    def __init__(self, X, y, config: TrainConfig, params: Params, *, replicas: int = 1,
                 workers: bool = False, mistake: str | None = None):
        if mistake is not None and mistake not in MISTAKES:
            raise InputError(f"unknown mistake {mistake!r}; choose one of {', '.join(MISTAKES)}")
        self.strategy = multi_worker_strategy() if workers else \
            mirrored_strategy(replicas)
        self.K = self.strategy.num_replicas_in_sync
        if config.batch_size < self.K:
            raise InputError(f"batch size {config.batch_size} is smaller than the {self.K} "
                             "replicas: a replica would get no rows")
        self.X, self.y, self.config, self.n_train = X, y, config, X.shape[0]
        self.mistake, self.lr = mistake, config.lr
        with self.strategy.scope():  # mirrored: one copy per replica, kept equal
            self.W = tf.Variable(params.W, name="W")  # (D, C)
            self.b = tf.Variable(params.b, name="b")  # (C,)
        self._step = tf.function(self._global_step)
        D = params.W.shape[0]
        self._logits = tf.function(lambda X: tensor_logits(self.W, self.b, X),
                                   input_signature=[tf.TensorSpec((None, D), self.W.dtype)])

    def _replica_step(self, Xs, ys, B):
        """One replica's share on its shard Xs (B_k, D), ys (B_k,): its reported loss and
        gradients, scaled so that their sum over replicas is the global batch's."""
        with tf.GradientTape() as tape:
            Z = tensor_logits(self.W, self.b, Xs)  # (B_k, C)
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(ys, Z)  # (B_k,)
            if self.mistake == "per-replica-mean":
                loss = tf.reduce_mean(per_example)  # the mistake: / B_k, not / B
            else:
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=B)
        dW, db = tape.gradient(loss, [self.W, self.b])  # (D, C), (C,)
        reported = tf.reduce_sum(per_example) / tf.cast(B, per_example.dtype)  # sum_k: mean
        return reported, dW, db

    def _global_step(self, Xs, ys, B):
        loss, dW, db = self.strategy.run(self._replica_step, args=(Xs, ys, B))
        SUM = tf.distribute.ReduceOp.SUM
        loss, dW, db = (self.strategy.reduce(SUM, v, axis=None) for v in (loss, dW, db))
        self.W.assign_sub(self.lr * dW)  # plain SGD on the summed gradients
        self.b.assign_sub(self.lr * db)
        return loss  # the global batch's mean loss before this update

    def shards(self, idx) -> list[np.ndarray]:
        """The K shards (B_k,) of the global batch idx (B,), in order (np.array_split)."""
        return np.array_split(np.asarray(idx), self.K)

    def step(self, idx) -> float:
        parts = self.shards(idx)
        dtype = self.W.dtype.as_numpy_dtype

        def shard(ctx):  # called on each (local) replica's device with its global id
            rows = parts[ctx.replica_id_in_sync_group]
            return (tf.constant(np.asarray(self.X[rows], dtype=dtype)),
                    tf.constant(np.asarray(self.y[rows], dtype=np.int64)))

        Xs = self.strategy.experimental_distribute_values_from_function(lambda c: shard(c)[0])
        ys = self.strategy.experimental_distribute_values_from_function(lambda c: shard(c)[1])
        return float(self._step(Xs, ys, tf.constant(len(idx), tf.int64)))

    def params(self) -> Params:
        return Params(self.W.numpy(), self.b.numpy())

    def logits(self, X) -> np.ndarray:
        return self._logits(np.asarray(X, dtype=self.W.dtype.as_numpy_dtype)).numpy()

    def close(self) -> None:
        pass  # the strategy and the Variables go with the object
