"""The optional JAX and PyTorch peers of `softmax-parity bench` without JAX or PyTorch.

CI does not install them (about 1 GB), so these tests run the code paths every machine takes:
a peer that does not import is recorded as skipped with the reason and never fails the bench,
and the peer contenders are registered (CLI, make_contender, the epochs section, the leads).
The libraries are made to look missing by putting None in sys.modules, which is how Python
fails an `import` of a module that cannot be found. Running the real peers is done by hand
(docs/benchmarks.md, "Peers: JAX and PyTorch"); nothing here is timed.
"""
import contextlib
import dataclasses
import json
import sys

import numpy as np
import pytest

from numpy_softmax import ReferenceStepper, loop
from softmax_parity import bench
from softmax_parity.bench import peers
from softmax_parity.cli import build_parser

PEERS = ("jax-jit-step", "jax-jit-epoch", "torch-step")


@pytest.fixture
def no_peers(monkeypatch):
    """JAX and PyTorch cannot be imported (as on a machine without them)."""
    for name in ("jax", "jax.numpy", "torch", "torch.nn.functional"):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture(scope="module")
def tiny():
    """512 rows of uint8 pixels (D = 784) and their labels: 4 steps of the seed's batch."""
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (512, 784), dtype=np.uint8), rng.integers(0, 10, 512)


def epochs_only(contenders):
    return bench.BenchConfig(warmup=1, repeats=1, sections=("epochs",), contenders=contenders)


def test_the_peer_contenders_are_the_three_written_and_the_cli_offers_them_by_default():
    assert peers.CONTENDERS == PEERS
    assert bench.ALL_CONTENDERS == bench.CONTENDERS + PEERS
    assert not set(PEERS) & set(bench.CONTENDERS)  # BenchConfig's default stays NumPy and TF
    args = build_parser().parse_args(["bench"])
    assert args.contenders.split(",") == list(bench.ALL_CONTENDERS)
    assert set(bench.PEERS) == {"jax", "torch"}


def test_a_missing_peer_is_recorded_as_skipped_with_the_reason(no_peers, tiny):
    r = bench.run(*tiny, epochs_only(("numpy-fast-u8",) + PEERS), say=lambda *m: None)
    assert list(r["sections"]["epochs"]["contenders"]) == ["numpy-fast-u8"]
    assert set(r["skipped_contenders"]) == set(PEERS)
    for name, why in r["skipped_contenders"].items():
        lib = "jax" if name.startswith("jax") else "torch"
        assert why.startswith("skipped: not installed (") and lib in why, (name, why)
    assert r["peers"]["jax"].startswith("skipped: not installed") and "jax" in r["peers"]["jax"]
    assert r["peers"]["torch"].startswith("skipped: not installed")
    assert "faster_than_jax_jit" not in r["sections"]["epochs"]["targets"]  # nothing to beat
    assert "jax: skipped: not installed" in bench.table(r)


def test_a_peer_that_fails_to_import_for_another_reason_is_skipped_too(monkeypatch, tiny):
    real = peers._import

    def broken(name):
        if name == "torch":
            raise OSError("libtorch_cpu.so: cannot open shared object file")
        return real(name)

    monkeypatch.setattr(peers, "_import", broken)
    r = bench.run(*tiny, epochs_only(("numpy-ref", "torch-step")), say=lambda *m: None)
    assert list(r["sections"]["epochs"]["contenders"]) == ["numpy-ref"]
    assert r["skipped_contenders"] == {
        "torch-step": "skipped: import failed (OSError: libtorch_cpu.so: cannot open shared "
                      "object file)"}
    assert r["peers"]["torch"] == r["skipped_contenders"]["torch-step"]


def test_only_missing_peers_asked_for_gives_an_empty_epochs_section_not_an_error(
        no_peers, tiny, tmp_path):
    r = bench.run(*tiny, epochs_only(("jax-jit-epoch",)), say=lambda *m: None)
    e = r["sections"]["epochs"]
    assert e["contenders"] == {} and "none of the contenders" in e["skipped"]
    assert "epoch at the seed's protocol" not in bench.table(r)
    assert [p.name for p in tmp_path.iterdir()] == []
    bench.save(r, str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench.json"]  # no empty chart


def test_the_bench_command_runs_with_missing_peers_and_records_why(cli, no_peers, tmp_path):
    r = cli("bench", "--train-size", "256", "--sections", "epochs", "--repeats", "1",
            "--contenders", "numpy-fast-u8,jax-jit-step,torch-step", "--no-charts",
            "--quiet", "--out", tmp_path)
    assert r.code == 0
    rec = json.loads((tmp_path / "bench.json").read_text())
    assert list(rec["sections"]["epochs"]["contenders"]) == ["numpy-fast-u8"]
    assert sorted(rec["skipped_contenders"]) == ["jax-jit-step", "torch-step"]
    out = r.out
    assert "jax: skipped: not installed" in out and "torch: skipped: not installed" in out


class FakeStepper(ReferenceStepper):
    """A stand-in for a peer's stepper: the reference stepper (so its loss is right), with a
    thread limit as TorchStepper has; it records how it was made and limited."""
    made, limits = [], []

    def __init__(self, name, X, y, config, params, shared):
        super().__init__(X, y, config, params)
        FakeStepper.made.append((name, X.dtype, shared))

    @contextlib.contextmanager
    def threads(self, n):
        FakeStepper.limits.append(n)
        yield


def test_peer_contenders_are_steppers_made_by_peers_and_count_in_the_leads(monkeypatch, tiny):
    monkeypatch.setattr(peers, "unavailable", lambda lib: None)  # as if installed
    monkeypatch.setattr(peers, "make_stepper", FakeStepper)
    monkeypatch.setattr(peers, "status", lambda contenders: {"jax": "fake", "torch": "x"})
    sgd_steps_calls = []
    real = loop.sgd_steps
    monkeypatch.setattr(loop, "sgd_steps", lambda stepper, order, **kw: (
        sgd_steps_calls.append(type(stepper)) or real(stepper, order, **kw)))
    FakeStepper.made, FakeStepper.limits = [], []
    bc = dataclasses.replace(epochs_only(("numpy-fast-u8", "jax-jit-step", "jax-jit-epoch",
                                        "torch-step")), blas_threads=1)
    r = bench.run(*tiny, bc, say=lambda *m: None)
    assert [m[0] for m in FakeStepper.made] == ["jax-jit-step", "jax-jit-epoch", "torch-step"]
    assert all(m[1] == np.float32 for m in FakeStepper.made)  # the float32 rows
    assert FakeStepper.made[0][2] is FakeStepper.made[1][2]  # one shared store: one device copy
    assert FakeStepper.limits == [1, 1]  # torch-step only, at the bench's BLAS threads
    assert sgd_steps_calls.count(FakeStepper) == 3 * 2  # 3 peers x 2 rounds, through the loop
    e = r["sections"]["epochs"]
    assert list(e["contenders"]) == ["numpy-fast-u8", "jax-jit-step", "jax-jit-epoch",
                                     "torch-step"]
    assert e["losses_agree"] and r["skipped_contenders"] == {}
    t = e["targets"]
    assert t["fastest_jax"] in ("jax-jit-step", "jax-jit-epoch")
    c = e["contenders"]
    assert t["faster_than_jax_jit"] == (c["numpy-fast-u8"]["median_s"]
                                        < c[t["fastest_jax"]]["median_s"])
    assert t["speedup_vs_fastest_jax"] == pytest.approx(
        c[t["fastest_jax"]]["median_s"] / c["numpy-fast-u8"]["median_s"])


def test_the_peer_steppers_have_the_loops_interface():
    for cls in (peers.JaxStepper, peers.JaxEpochStepper, peers.TorchStepper):
        assert all(callable(getattr(cls, m, None)) for m in ("step", "params", "logits")), cls
    assert hasattr(peers.JaxEpochStepper, "steps")  # the whole epoch in one jitted call
    assert not hasattr(peers.JaxStepper, "steps") and not hasattr(peers.TorchStepper, "steps")


def test_peer_leads_are_empty_without_a_jax_result():
    me = {"median_s": 0.07}
    assert peers.leads({"numpy-fast-u8": me, "torch-step": {"median_s": 0.2}}, me) == {}


def test_a_peer_not_asked_for_is_not_imported(monkeypatch):
    imported = []
    monkeypatch.setattr(peers, "_import", lambda name: imported.append(name))
    peers.status(("numpy-ref",))
    assert imported == []


def test_status_says_not_installed_for_a_library_that_is_absent(no_peers):
    assert peers.status(()) == {"jax": "skipped: not installed",
                                      "torch": "skipped: not installed"}
