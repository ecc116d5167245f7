"""Determinism of the NumPy reference.

What holds, and is tested here: the same seed and the same number of BLAS threads give
bit-identical results, run after run and process after process, in float32 and float64.

What does not hold, measured (README, section reliability): 1 and 2 BLAS threads are NOT
bit-identical. With NumPy's OpenBLAS 0.3.31 on this machine, the logits GEMM X @ W of a batch
(128 x 784 @ 784 x 10, M*N*K ~ 1.0e6) comes out in a different rounding with 2 threads than
with 1 (a few float32 ulps); the gradient GEMM X.T @ dZ and the reductions come out identical.
So here 1 vs 2 threads is tested against bounds: each GEMM within the worst-case rounding
bound of a dot product, and training within numpy_softmax.tolerances.THREAD_TOL."""
import textwrap

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import numpy_softmax as ns
from numpy_softmax.loop import TrainConfig
from numpy_softmax.tolerances import THREAD_EPOCHS, THREAD_TOL

RUN = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import numpy_softmax as ns
    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (2048, 784)).astype(np.float32) * np.float32(1 / 255)
    y = rng.integers(0, 10, 2048)
    r = ns.train(X, y, ns.TrainConfig(epochs=2, seed=int(sys.argv[1]), lr=0.5),
                 X_val=X[:500], y_val=y[:500])
    h = hashlib.sha256(r.params.W.tobytes() + r.params.b.tobytes())
    h.update(repr([(e.loss, e.val_accuracy) for e in r.history]).encode())
    print(h.hexdigest())
""")


def test_the_same_seed_is_bit_identical_across_processes_and_another_seed_is_not(
        python_process):
    def digest_in_a_new_process(seed: int) -> str:
        done = python_process("-c", RUN, seed)
        assert done.code == 0, done.err
        return done.out.strip()

    a, b, c = digest_in_a_new_process(0), digest_in_a_new_process(0), digest_in_a_new_process(1)
    assert len(a) == 64 and a == b
    assert a != c  # the digest does see the seed: the equality above means something


def blas_threads() -> int:
    return max(d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas")


def train_with_threads(threads, X, y, cfg):
    with threadpool_limits(limits=threads, user_api="blas"):
        assert blas_threads() == threads
        return ns.train(X, y, cfg)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_thread_count_is_bit_identical_and_1_vs_2_threads_stay_within_rounding(mnist_like,
                                                                                  dtype):
    X, y = mnist_like(4096, seed=7)
    cfg = TrainConfig(epochs=THREAD_EPOCHS, seed=4, dtype=dtype)
    runs = {t: [train_with_threads(t, X, y, cfg) for _ in range(2)] for t in (1, 2)}
    for t in (1, 2):  # what holds: a fixed thread count is bit-identical
        a, b = runs[t]
        assert a.params.W.tobytes() == b.params.W.tobytes()
        assert a.params.b.tobytes() == b.params.b.tobytes()
        assert [h.loss for h in a.history] == [h.loss for h in b.history]
    one, two = runs[1][0], runs[2][0]  # what differs: rounding, within the tolerance
    W1, W2 = one.params.W.astype(np.float64), two.params.W.astype(np.float64)
    assert np.abs(W1 - W2).max() <= THREAD_TOL[dtype] * np.abs(W1).max()
    for h1, h2 in zip(one.history, two.history):
        assert abs(h1.loss - h2.loss) <= THREAD_TOL[dtype] * h1.loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_logits_gemm_on_1_or_2_threads_differs_at_most_by_dot_product_rounding(mnist_like,
                                                                                  dtype):
    """|fl(x . w) - x . w| <= K eps sum_k |x_k w_k| for any summation order, so two orders
    differ by at most 2 K eps (|X| @ |W|), entry by entry."""
    X, _ = mnist_like(1000, seed=7)
    X = X.astype(dtype)  # (1000, 784)
    W = np.random.default_rng(1).standard_normal((784, 10)).astype(dtype) * 0.1  # (784, 10)
    Z = {}
    for t in (1, 2):
        with threadpool_limits(limits=t, user_api="blas"):
            Z[t] = ns.logits(ns.Params(W, np.zeros(10, dtype)), X)  # (1000, 10)
    bound = 2 * 784 * np.finfo(dtype).eps * (np.abs(X) @ np.abs(W))  # (1000, 10)
    assert np.all(np.abs(Z[1] - Z[2]) <= bound)
