"""`compare` and `train` with tf-distributed as a user runs them: K replicas in one process, K
worker processes, the per-replica-mean mistake caught. Each in a fresh process: TF's logical
devices and collectives can be configured only once per process, before TF starts."""
import os
import re
import signal
import time

import pytest

pytestmark = pytest.mark.tf


def _ratio(out: str) -> float:
    m = re.search(r"\|\|W1_tf-distributed - W0\|\| / \|\|W1_numpy - W0\|\| = ([0-9.]+)", out)
    assert m, out
    return float(m.group(1))


def _workers_of(launcher: int) -> list[int]:
    """The pids of the workers the launcher `launcher` started that are still alive."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if f"SOFTMAX_PARITY_LAUNCHER={launcher}".encode() in env:
                pids.append(int(d))
    return pids


def test_compare_with_2_replicas_passes_and_the_first_step_is_numpys(cli_process):
    r = cli_process("compare", "--tf", "tf-distributed", "--replicas", "2", "--epochs", "1")
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1].startswith("PASS: numpy and tf-distributed agree")
    assert abs(_ratio(r.out) - 1) <= 1e-4
    assert r.err.strip() == ""


def test_per_replica_mean_is_caught_with_the_ratio_and_exit_1(cli_process):
    r = cli_process("compare", "--tf", "tf-distributed", "--replicas", "2", "--epochs", "1",
                    "--demo-mistake", "per-replica-mean", "--quiet")
    assert r.code == 1, r.err
    assert abs(_ratio(r.out) - 2) <= 1e-3  # K = 2: every step twice NumPy's
    fail = r.out.splitlines()[-1]
    assert fail.startswith("FAIL: numpy and tf-distributed differ") and "first_step_ratio" in fail


def test_compare_with_2_workers_passes_and_leaves_no_process(cli_process):
    p = cli_process.start("compare", "--tf", "tf-distributed", "--workers", "2", "--epochs", "1")
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, err
    assert out.splitlines()[-1].startswith("PASS: numpy and tf-distributed agree")
    assert abs(_ratio(out) - 1) <= 1e-4
    assert _workers_of(p.pid) == []


@pytest.mark.parametrize("how", ["killed", "stopped"])
def test_a_worker_that_dies_or_hangs_ends_the_run_with_one_line_and_exit_1(cli_process, how):
    p = cli_process.start("train", "--backend", "tf-distributed", "--workers", "2",
                          "--epochs", "30", "--worker-timeout", "10")
    try:
        deadline = time.monotonic() + 120
        while len(_workers_of(p.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(8)  # well into training
        victim = max(_workers_of(p.pid))  # started second: worker 1
        os.kill(victim, signal.SIGKILL if how == "killed" else signal.SIGSTOP)
        t0 = time.monotonic()
        out, err = p.communicate(timeout=120)
        assert time.monotonic() - t0 < 60  # the timeout (10 s) plus the grace to stop
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "worker 1 of 2" in lines[0], err
    assert "Traceback" not in err
    assert _workers_of(p.pid) == []


@pytest.mark.parametrize("args,needle", [
    (["compare", "--tf", "tf-graph", "--replicas", "2"], "--replicas needs --tf tf-distributed"),
    (["train", "--demo-mistake", "per-replica-mean"], "needs --backend tf-distributed"),
    (["compare", "--tf", "tf-distributed", "--replicas", "0"], "--replicas must be >= 1"),
    (["compare", "--tf", "tf-distributed", "--replicas", "2", "--workers", "2"], "not both"),
])
def test_distributed_flags_refuse_bad_input_in_one_line_exit_2(cli, args, needle):
    r = cli(*args)
    assert r.code == 2
    err = r.err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in r.err
