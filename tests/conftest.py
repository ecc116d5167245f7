"""Fixtures every subject shares (a subject's own live in its folder's conftest.py):

  mnist             real MNIST through the project's own loader (cached by `make data`)
  rng               a seeded numpy Generator
  mnist_like        mnist_like(n, seed) -> (X, y): random rows shaped like MNIST, made as the
                    loader makes them
  one_blas_thread   BLAS on one thread while the test runs (numpy_softmax.threads.blas_threads)
  cli               softmax-parity in this process: cli(*args, env=None) -> Result(code, out, err)
  cli_process       softmax-parity in a real process (`python -m softmax_parity ...`), for what
                    an in-process call cannot show: a signal, output at the file-descriptor level
                    (TF's C++ start-up notes), the exit status of the interpreter;
                    cli_process.start(*args) gives the running Popen
  python_process    python_process(*args) -> Result: `python ARGS` in a fresh interpreter (what
                    a fresh process imports, a run in another process)
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import NamedTuple

import numpy as np
import pytest

from numpy_softmax.threads import blas_threads

TIMEOUT = 600  # seconds for one process: generous for a loaded 2-core machine, not a goal


class Result(NamedTuple):
    """What a command gave back: its exit status and everything it printed."""
    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def mnist():
    from numpy_softmax import load_mnist
    return load_mnist(quiet=True)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def mnist_like():
    """mnist_like(n, seed) -> (X, y): n rows of 784 pixels in [0, 1], made as the loader makes
    them (uint8 values times float32(1/255)), and n labels in [0, 10)."""
    def make(n, seed):
        rng = np.random.default_rng(seed)
        X = rng.integers(0, 256, (n, 784)).astype(np.float32) * np.float32(1 / 255)  # (n, 784)
        y = rng.integers(0, 10, n)  # (n,)
        return X, y
    return make


@pytest.fixture
def one_blas_thread(request):
    """BLAS on one thread while the test runs, as `compare` and the numpy backend run it: on a
    busy 2-core machine, spinning BLAS threads slow these tests up to 10x. A test marked
    `default_blas_threads` keeps BLAS as it is. Use it for a module with
    `pytestmark = pytest.mark.usefixtures("one_blas_thread")`."""
    n = None if request.node.get_closest_marker("default_blas_threads") else 1
    with blas_threads(n):
        yield


@contextlib.contextmanager
def environment(env):
    """os.environ with the variables in `env` set (a value None: unset), restored after."""
    saved = {k: os.environ.get(k) for k in env or {}}
    try:
        for k, v in (env or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def process_env(env):
    """The environment of a new process: ours, with `env`'s changes (None: inherit ours)."""
    if env is None:
        return None
    out = dict(os.environ)
    for k, v in env.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def run_process(cmd, env=None, timeout=TIMEOUT) -> Result:
    done = subprocess.run(cmd, capture_output=True, text=True, env=process_env(env),
                          timeout=timeout)
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli(capsys):
    """cli(*args, env=None) -> Result(code, out, err): softmax_parity.cli.main(args) run in this
    process, its stdout and stderr captured (the arguments may be paths or numbers: each is
    passed as str). argparse's own exits (--help, a usage error) give their status as `code`.
    `env` sets environment variables for the call (None as a value unsets one)."""
    from softmax_parity.cli import main

    def run(*args, env=None) -> Result:
        capsys.readouterr()  # what was printed before is not this command's
        with environment(env):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:  # argparse: --help, --version, a usage error
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        return Result(code, out, err)
    return run


class CLIProcess:
    """softmax-parity in a real process: `python -m softmax_parity ARGS` with this interpreter
    (PYTHONPATH and the rest of the environment inherited, `env` changing some of it)."""

    @staticmethod
    def command(*args) -> list[str]:
        return [sys.executable, "-m", "softmax_parity", *map(str, args)]

    def __call__(self, *args, env=None, timeout=TIMEOUT) -> Result:
        """Run it to the end: Result(exit status, stdout, stderr)."""
        return run_process(self.command(*args), env, timeout)

    def start(self, *args, env=None) -> subprocess.Popen:
        """Start it and return at once (stdout and stderr are text pipes): for a test that
        talks to the running process, e.g. sends it SIGINT. The test must end it."""
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=process_env(env))


@pytest.fixture
def cli_process():
    return CLIProcess()


@pytest.fixture
def python_process():
    """python_process(*args, env=None, timeout=600) -> Result: `python ARGS` (e.g. "-c", code)
    in a fresh interpreter, this one's executable and environment."""
    def run(*args, env=None, timeout=TIMEOUT) -> Result:
        return run_process([sys.executable, *map(str, args)], env, timeout)
    return run
