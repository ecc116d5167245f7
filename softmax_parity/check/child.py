"""Child processes for the check: each job (run.py's) runs in a contained child (sandbox.contain:
no stdin, no output, a memory limit) with a time limit, so that a learner's function that
raises, hangs, exits, exhausts memory or crashes is that function's failure, never the
command's; and the calling process never runs the learner's code.
"""
from __future__ import annotations

import multiprocessing
import os
import time

from numpy_softmax.threads import blas_threads

from ..errors import UsageError
from . import sandbox


def _context():
    """Children come from a fork server where there is one (Linux): a clean process that has
    imported this module and nothing else, so no child inherits the caller's threads (a fork
    of a process running TensorFlow's thread pools can deadlock) and none pays for the
    imports again. Elsewhere, spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["softmax_parity.check.run"])  # the jobs' module
    return ctx


def _limited_child(conn, limit, job, *args) -> None:
    sandbox.contain(sandbox.DEFAULT_MEMORY if limit else None)
    try:
        with blas_threads(1):  # small GEMMs; the cores are shared
            result = job(*args)
        conn.send(("ok", result))
    except UsageError as e:
        conn.send(("usage", str(e)))
    except MemoryError:
        conn.send(("error", "MemoryError: it ran out of memory (the check's limit is "
                            f"{sandbox.DEFAULT_MEMORY / 2**30:.1f} GiB)"))
    except SystemExit as e:
        conn.send(("error", f"it called sys.exit({e.code!r})"))
    except BaseException as e:  # reported as the function's failure, with its message
        conn.send(("error", f"{type(e).__name__}: {e}"[:300]))


WAIT_FACTOR = 4  # a child that waits (sleeps, blocks) is stopped at this many times the timeout


def cpu_seconds(pid: int) -> float | None:
    """The CPU time a process has used (user + system), from /proc; None where there is none."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def in_child(timeout: float, job, *args, limit: bool = True):
    """(status, value): job(*args) run in a contained child process (sandbox.contain: no
    stdin, no output, a memory limit unless limit=False); ("timeout", None) once the child has
    used `timeout` CPU seconds, or waited WAIT_FACTOR times that (a loaded machine, as an
    autograder's, must not turn slowness into a hang), and it is killed; ("error", message)
    if it raised or died."""
    ctx = _context()
    mine, theirs = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_limited_child, args=(theirs, limit, job, *args), daemon=True)
    p.start()
    theirs.close()
    t0 = time.monotonic()
    try:
        while not mine.poll(0.2):
            wall = time.monotonic() - t0
            used = cpu_seconds(p.pid)
            if (used if used is not None else wall) > timeout or wall > WAIT_FACTOR * timeout:
                p.kill()
                return "timeout", None
        return mine.recv()
    except EOFError:
        p.join(5)
        return "error", sandbox.describe_exit(p.exitcode)
    finally:
        p.join(2)
        if p.is_alive():  # a thread or process the learner's code left running
            p.kill()
            p.join()
        mine.close()
