"""`softmax-parity bench` runs end to end on tiny sizes (a smoke test: nothing here is timed,
no assertion is about speed), and the numpy backend trains with the fast epoch."""
import json
import os

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import numpy_softmax as ns
import numpy_softmax.data as fast
from softmax_parity import backends, bench
from numpy_softmax.tolerances import COMPARE
from softmax_parity.bench.machine import busy


@pytest.fixture(scope="module")
def tiny():
    """512 rows of uint8 pixels (D = 784) and their labels: 4 steps of the seed's batch."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (512, 784), dtype=np.uint8), rng.integers(0, 10, 512)


@pytest.fixture(scope="module")
def result(tiny, tmp_path_factory):
    bc = bench.BenchConfig(warmup=1, repeats=2, batch_sizes=(1, 64), sweep_seconds=0.0,
                           op_seconds=0.0, sections=tuple(s for s in bench.SECTIONS
                                                          if s != "memory"))
    return bench.run(*tiny, bc, say=lambda *m: None)


def test_every_contender_is_timed_and_records_a_final_loss_that_agrees(result):
    e = result["sections"]["epochs"]
    assert list(e["contenders"]) == list(bench.CONTENDERS)  # TF is installed: all of them
    assert e["steps_per_epoch"] == 4 and e["batch_size"] == 128
    for name, v in e["contenders"].items():
        assert v["n"] == 2 and 0 < v["min_s"] <= v["median_s"] <= v["max_s"], name
        assert v["final_epoch"] == 2 and np.isfinite(v["final_loss"]), name
        assert v["examples_per_s"] > 0
    c = e["contenders"]
    assert c["numpy-exact-u8"]["final_loss"] == c["numpy-ref"]["final_loss"]  # bit-identical
    assert e["losses_agree"] and max(v["loss_rel_diff_vs_ref"] for v in c.values()) <= bench.LOSS_RTOL
    assert c["tf-graph-seed"]["speedup_vs_tf_graph_seed"] == 1.0
    t = e["targets"]
    assert t["same_final_loss_1e-5"] is True and t["fastest_tf"] in bench.TF
    assert isinstance(t["faster_than_every_tf"], bool)
    assert t["speedup_vs_tf_graph_seed"] == c["numpy-fast-u8"]["speedup_vs_tf_graph_seed"]


def test_sweep_ops_threads_and_floor_sections_hold_their_figures(result):
    s = result["sections"]
    for name, by_batch in s["sweep"]["contenders"].items():
        assert set(by_batch) == {"1", "64"}, name
        assert all(v["steps"] >= 1 and v["examples_per_s"] > 0 for v in by_batch.values())
    modes = s["ops"]["modes"]
    assert set(modes) == {"numpy", "tf eager", "tf.function"}
    for mode in modes.values():
        assert {"logits", "softmax", "cross-entropy", "gradients", "sgd step"} <= set(mode)
        assert all(v["us_per_call"] > 0 for v in mode.values())
    assert {v["threads"] for v in s["threads"]["epochs"].values()} == {1, 2}
    assert set(s["threads"]["gemms"]) == {"X @ W / 1", "X.T @ dZ / 1", "X @ W / 2",
                                          "X.T @ dZ / 2"}
    assert s["floor"]["copy_bandwidth_GBps"] > 0 and s["floor"]["epoch_gemm_GFLOP"] > 0


def test_the_record_names_the_machine_versions_and_blas_kernel(result):
    m = result["machine"]
    assert m["cpu"] and m["usable_cpus"] >= 1 and len(m["load_average"]) == 3
    assert m["versions"]["numpy"] and m["versions"]["tensorflow"]
    assert m["blas_after"] and m["blas_after"][0]["architecture"]
    assert set(m["tf_threads"]) == {"intra_op", "inter_op"}
    assert set(result["peers"]) == {"torch", "jax"}


def test_table_json_and_charts_are_written(result, tmp_path):
    text = bench.table(result)
    for name in bench.CONTENDERS:
        assert name in text
    files = bench.save(result, str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json", "epochs.png", "ops.png",
                                                          "sweep.png"]
    assert len(files) == 4
    back = json.loads((tmp_path / "bench.json").read_text())
    assert back["sections"]["epochs"]["contenders"]["numpy-ref"]["final_loss"] == \
        result["sections"]["epochs"]["contenders"]["numpy-ref"]["final_loss"]
    for png in ("epochs.png", "ops.png", "sweep.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_memory_section_reads_the_peak_rss_of_a_train_subprocess():
    out = bench.bench_memory(bench.BenchConfig(), ["numpy"], [], say=lambda *m: None)
    v = out["backends"]["numpy"]
    assert v["exit_code"] == 0 and "Test accuracy" in v["last_line"]
    assert 30 < v["peak_rss_MB"] < 2000  # a Python with NumPy and MNIST: tens to hundreds of MB


def test_bench_command_writes_its_record(cli, tmp_path):
    r = cli("bench", "--quick", "--train-size", "256", "--sections", "epochs",
            "--contenders", "numpy-fast-u8,numpy-ref", "--repeats", "1", "--no-charts",
            "--quiet", "--out", tmp_path)
    assert r.code == 0
    rec = json.loads((tmp_path / "bench.json").read_text())
    assert list(rec["sections"]["epochs"]["contenders"]) == ["numpy-fast-u8", "numpy-ref"]
    assert "numpy-fast-u8" in r.out


def test_bench_command_refuses_an_unknown_contender_in_one_line(cli, tmp_path):
    r = cli("bench", "--contenders", "numpy-ref,pytorch", "--out", tmp_path)
    assert r.code == 2
    err = r.err.strip()
    assert len(err.splitlines()) == 1 and "pytorch" in err


def test_numpy_backend_trains_with_the_fast_stepper_in_its_fast_mode(mnist, monkeypatch):
    """`train --backend numpy` runs FastStepper's fast mode with BLAS on one thread, one step
    per batch, to the exact stepper's numbers within the compare tolerances."""
    calls, threads = [], []
    real = ns.FastStepper.step

    def spy(self, idx):
        calls.append((idx.shape[0], self.exact))
        threads.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
        return real(self, idx)

    monkeypatch.setattr(ns.FastStepper, "step", spy)
    y = mnist.train.labels[:2560]
    cfg = ns.TrainConfig(epochs=2)
    pixels = fast.ScaledRows(mnist.train.pixels[:2560], 1 / 255)
    got = backends.get("numpy")(pixels, y, cfg)
    assert calls == [(128, False)] * 40
    assert {n for t in threads for n in t} == {1}  # as train() runs it
    ref = ns.train(pixels, y, cfg, stepper="exact")
    tol = COMPARE["float32"]
    for a, b in zip(got.history, ref.history):
        assert abs(a.loss - b.loss) <= tol.loss_rel * abs(b.loss)
    assert np.abs(got.params.W - ref.params.W).max() <= tol.W_rel * np.abs(ref.params.W).max()


def test_native_blas_reruns_once_without_openblas_coretype(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, argv, env: calls.append((argv, env)))
    monkeypatch.delenv(bench.NATIVE_BLAS_FLAG, raising=False)
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    bench.rerun_with_native_blas(["bench", "--quick"])
    (argv, env), = calls
    assert argv[-3:] == ["softmax_parity", "bench", "--quick"]
    assert "OPENBLAS_CORETYPE" not in env and env[bench.NATIVE_BLAS_FLAG] == "Haswell"
    monkeypatch.setenv(bench.NATIVE_BLAS_FLAG, "Haswell")  # the re-run: nothing more to do
    bench.rerun_with_native_blas(["bench"])
    assert len(calls) == 1 and bench.coretype_unset_by_bench() == "Haswell"


@pytest.mark.parametrize("start, end, cpus, is_busy", [
    ([0.3, 0.2, 0.1], [1.2, 0.5, 0.2], 2, False),  # quiet: the end is the bench's own core
    ([1.5, 1.0, 0.5], [1.2, 0.5, 0.2], 2, True),   # busy before it began
    ([0.3, 0.2, 0.1], [2.5, 1.0, 0.5], 2, True),   # busy while it ran, beyond its own core
    ([3.0, 2.0, 1.0], [3.5, 2.0, 1.0], 8, False),  # the same load on 8 CPUs is quiet
])
def test_a_busy_machine_is_named_with_its_load(start, end, cpus, is_busy):
    why = busy(start, end, cpus)
    assert (why is not None) == is_busy
    if is_busy:
        assert f"{start[0]:.2f}" in why and f"{cpus} CPUs" in why and "unreliable" in why


def test_the_table_warns_when_the_record_says_busy(result):
    quiet = bench.table({**result, "busy": None})
    noisy = bench.table({**result, "busy": "the machine was busy: load average 3.00 ..."})
    assert "WARNING" not in quiet
    assert noisy.splitlines()[1] == "WARNING: the machine was busy: load average 3.00 ..."
    assert "busy" in result  # every record says, None when quiet
