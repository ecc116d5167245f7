"""The bench's `memory` section: the peak resident memory of `softmax-parity train`."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from .config import BenchConfig

# Runs `softmax-parity ARGS` in a child and reports the child's own VmHWM (peak RSS) at exit.
# Not ru_maxrss from wait4: Linux carries the RSS peak of the process that spawned the child
# across exec, so a child of this (large, TF-loaded) process would report this process's peak.
_CHILD = """
import sys
from softmax_parity.cli import main
try:
    code = main(sys.argv[1:])
finally:
    with open("/proc/self/status") as f:
        hwm = [line.split()[1] for line in f if line.startswith("VmHWM")]
    sys.stderr.write("\\nsoftmax-parity-bench VmHWM kB " + (hwm[0] if hwm else "?") + "\\n")
sys.exit(code)
"""


def bench_memory(bc: BenchConfig, backends: list, data_args: list, say=print) -> dict:
    """Peak resident memory (VmHWM) of `softmax-parity train --backend X --epochs E --quiet`,
    each in its own child process, one at a time."""
    if not os.path.exists("/proc/self/status"):
        return {"skipped": "needs Linux /proc to read a process's peak resident memory"}
    out = {}
    for b in backends:
        args = ["train", "--backend", b, "--epochs", str(bc.memory_epochs), "--quiet",
                *data_args]
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True,
                           text=True)
        hwm = [line.split()[-1] for line in p.stderr.splitlines()
               if line.startswith("softmax-parity-bench VmHWM kB ")]
        peak = int(hwm[-1]) * 1024 / 1e6 if hwm and hwm[-1].isdigit() else None
        out[b] = {"peak_rss_MB": peak, "exit_code": p.returncode,
                  "seconds": time.perf_counter() - t0,
                  "command": "softmax-parity " + " ".join(args),
                  "last_line": (p.stdout.strip().splitlines() or [""])[-1]}
        say(f"  {b}: {peak if peak is None else round(peak)} MB")
    return {"backends": out, "target_numpy_MB": 300}
