"""--workers K: the launcher. K copies of this very command, one per worker, on this machine.

Each worker gets a TF_CONFIG naming the cluster (K localhost ports, free when picked) and its
own index; MultiWorkerMirroredStrategy joins them. Every worker runs the same command (the same
batches, the same collectives in the same order); worker 0, the chief, is the result: its
stdout is shown here line by line and its exit status is the run's. The other workers'
output is discarded and they write no files (distributed.apply).

Ending: every worker runs in its own session (a terminal's Ctrl-C reaches only the launcher),
and whatever way the launcher leaves (done, a failure, Ctrl-C, SIGTERM) it stops every worker
still running: SIGTERM to its process group, SIGKILL after a grace period. A worker that dies
ends the run at once (one line, exit 1); one that hangs stops touching its heartbeat file and
is named after --worker-timeout seconds (the others' collectives would time out only after
twice that). A worker whose launcher vanished exits by itself
(watch_parent). No process is left behind.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from . import distributed

GRACE = 5.0  # seconds a worker has to end after SIGTERM before SIGKILL
STALE = 5.0  # seconds without a heartbeat (one every 0.5 s) after which a worker counts as hung
#              when a peer has failed (its collectives failed waiting for the silent one)


def free_ports(k: int) -> list[int]:
    """k distinct TCP ports free on localhost now (the OS picks them; each socket is held until
    all are chosen, so they differ)."""
    socks = []
    try:
        for _ in range(k):
            s = socket.socket()
            s.bind(("localhost", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def _stop(procs) -> None:
    """SIGTERM each running worker's process group, then SIGKILL what is left after GRACE."""
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + GRACE
    for p in procs:
        try:
            p.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


def _last_line(path) -> str:
    with open(path, errors="replace") as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    return lines[-1] if lines else "no message"


def launch(args) -> int:
    """Start args.workers workers of this command, relay the chief, stop them all."""
    import tempfile
    k, argv = args.workers, list(args.argv)
    ports = free_ports(k)
    procs, errs = [], []
    tmp = tempfile.TemporaryDirectory(prefix="softmax-parity-workers-")
    old_term = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum, frame):
            raise KeyboardInterrupt  # leave through the finally below: workers are stopped
        old_term = signal.signal(signal.SIGTERM, on_term)
    try:
        for i in range(k):
            env = dict(os.environ, TF_CONFIG=tf_config(ports, i),
                       SOFTMAX_PARITY_CPU_DEVICES="1",
                       # the collectives wait twice as long as the heartbeat: a worker that
                       # hangs is named by its silence, before the others' collectives time out
                       SOFTMAX_PARITY_WORKER_TIMEOUT=str(2 * args.worker_timeout),
                       SOFTMAX_PARITY_HEARTBEAT=_beat_path(tmp.name, i),
                       **{distributed.WORKER_ENV: f"{i}/{k}",
                          "SOFTMAX_PARITY_LAUNCHER": str(os.getpid())})
            errs.append(os.path.join(tmp.name, f"worker-{i}.err"))
            with open(errs[-1], "w") as err:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "softmax_parity", *argv], env=env,
                    stdout=subprocess.PIPE if i == 0 else subprocess.DEVNULL, stderr=err,
                    stdin=subprocess.DEVNULL, text=True, start_new_session=True))
        relay = threading.Thread(target=_relay, args=(procs[0].stdout,), daemon=True)
        relay.start()
        chief_done, started = None, time.time()
        while True:
            codes = [p.poll() for p in procs]
            # a clean exit 1 or 2 (a FAIL verdict, a usage error) is the command's own answer
            failed = [i for i, c in enumerate(codes) if c not in (None, 0) and
                      not (c in (1, 2) and _clean_exit(errs[i]))]
            now = time.time()
            silent = [i for i, c in enumerate(codes) if c is None and now - _beat(
                _beat_path(tmp.name, i), started) > args.worker_timeout]
            if failed or silent:
                i, why = _culprit(codes, failed, silent, tmp.name, now, args.worker_timeout,
                                  errs)
                _stop(procs)
                relay.join(GRACE)
                print(f"softmax-parity {args.command}: error: worker {i} of {k} {why}; "
                      "stopped the others", file=sys.stderr)
                return 1
            if codes[0] is not None:  # the chief is done: the others end with it
                if chief_done is None:
                    chief_done = time.monotonic()
                if all(c is not None for c in codes) or \
                        time.monotonic() - chief_done > 2 * GRACE:
                    relay.join()
                    if codes[0] != 0:  # the chief's own one-line error
                        with open(errs[0]) as f:
                            sys.stderr.write(f.read())
                    return codes[0]
            time.sleep(0.1)
    finally:
        _stop(procs)
        for p in procs:
            if p.stdout:
                p.stdout.close()
        tmp.cleanup()
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def _culprit(codes, failed, silent, folder, now, timeout, errs) -> tuple:
    """(index, why) of the worker that ended the run. When one worker stops, its peers' collectives
    fail soon after, so a failure is not always the cause: a worker killed by a signal, or one
    that had been beating and fell silent for STALE seconds, is named before a peer that exited
    with an error waiting for it; of several silent ones, the first to fall silent."""
    killed = [i for i in failed if codes[i] < 0]
    if killed:
        i = killed[0]
        return i, f"died (signal {-codes[i]})"
    stale = [i for i, c in enumerate(codes) if c is None and os.path.exists(_beat_path(folder, i))
             and now - os.stat(_beat_path(folder, i)).st_mtime > STALE]
    def first_silent(ids):  # a worker blocked waiting for a silent peer falls silent later
        return min(ids, key=lambda i: _beat(_beat_path(folder, i), 0.0))
    if silent:
        return first_silent(silent), f"stopped responding for {timeout:g} s (--worker-timeout)"
    if stale:
        i = first_silent(stale)
        age = now - os.stat(_beat_path(folder, i)).st_mtime
        return i, f"stopped responding ({age:.0f} s without a heartbeat; its peers failed waiting)"
    i = failed[0]
    return i, f"failed (exit status {codes[i]}): {_last_line(errs[i])}"


def _beat_path(folder, i: int) -> str:
    return os.path.join(folder, f"worker-{i}.beat")


def _beat(path, started: float) -> float:
    """When the worker last showed it is alive (watch_parent touches its heartbeat file)."""
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return started  # not beating yet: TF is still starting


def _clean_exit(err_path) -> bool:
    """The chief ended as the CLI ends (a FAIL verdict, a usage error): no traceback."""
    with open(err_path, errors="replace") as f:
        return "Traceback" not in f.read()


def _relay(stream) -> None:
    for line in stream:
        print(line, end="", flush=True)


def watch_parent() -> None:
    """In a worker: exit as soon as the launcher that started it is gone (no orphans, even
    when the launcher was killed with SIGKILL and could not stop us), and touch the heartbeat
    file twice a second: a worker that stops (SIGSTOP, a frozen host) stops beating, and the
    launcher ends the run after --worker-timeout seconds."""
    launcher = int(os.environ.get("SOFTMAX_PARITY_LAUNCHER", "0"))
    beat = os.environ.get("SOFTMAX_PARITY_HEARTBEAT")

    def watch():
        while True:
            if os.getppid() != launcher:
                os._exit(1)
            if beat:
                with open(beat, "a"):
                    os.utime(beat)
            time.sleep(0.5)
    if launcher:
        threading.Thread(target=watch, daemon=True).start()
