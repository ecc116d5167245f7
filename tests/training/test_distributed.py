"""tf_softmax.DistributedStepper against NumPy: uneven shards, K replicas, the per-replica-mean
mistake's factor K, and the refusal of a device count TF was not started with. The replica
runs are in a fresh process: TF's logical devices are configured once per process."""
import textwrap

import numpy as np
import pytest

from numpy_softmax import InputError, TrainConfig
import numpy_softmax as ns

pytestmark = pytest.mark.tf

SCRIPT = textwrap.dedent("""
    import numpy as np
    import numpy_softmax as ns
    from numpy_softmax import TrainConfig, loop
    from tf_softmax.distributed import DistributedStepper
    d = ns.load_mnist(quiet=True)
    X, y = d.train.images[:3000], d.train.labels[:3000]
    p0 = ns.init_params(seed=0)
    for B in (128, 129):  # 128 over 3 replicas: shards 43, 43, 42; 129: 43 each
        cfg = TrainConfig(epochs=1, batch_size=B)
        ref = ns.train(X, y, cfg)
        got = loop.run(DistributedStepper(X, y, cfg, p0, replicas=3))
        print("W_rel", B, np.abs(ref.params.W - got.params.W).max() / np.abs(ref.params.W).max())
        print("loss_rel", B, abs(ref.history[0].loss - got.history[0].loss) / ref.history[0].loss)
    idx = loop.epoch_order(3000, cfg, 0)[:129]
    _, g = ns.loss_and_grads(p0, X[idx], y[idx])
    wrong = DistributedStepper(X, y, cfg, p0, replicas=3, mistake="per-replica-mean")
    wrong.step(idx)
    print("ratio", np.linalg.norm(wrong.params().W - p0.W) / np.linalg.norm(cfg.lr * g.W))
""")


def test_k_replicas_take_numpys_steps_even_on_uneven_shards_and_the_mistake_is_k_times(
        python_process):
    r = python_process("-c", SCRIPT, env={"SOFTMAX_PARITY_CPU_DEVICES": "3"})
    assert r.code == 0, r.err
    got = {(ln.split()[0], ln.split()[1]) if len(ln.split()) == 3 else (ln.split()[0],):
           float(ln.split()[-1]) for ln in r.out.splitlines()}
    for B in ("128", "129"):
        assert got[("W_rel", B)] <= 1e-5 and got[("loss_rel", B)] <= 1e-5
    assert abs(got[("ratio",)] - 3) <= 1e-4  # even shards of 43: each step 3 times NumPy's


def test_a_replica_count_tf_did_not_start_with_is_refused(mnist_like):
    from tf_softmax.distributed import DistributedStepper, cpu_devices
    X, y = mnist_like(256, 0)
    with pytest.raises(InputError, match="fresh process"):
        DistributedStepper(X, y, TrainConfig(epochs=1), ns.init_params(seed=0),
                           replicas=cpu_devices() + 1)

