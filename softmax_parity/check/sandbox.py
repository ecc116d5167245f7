"""Containment for the learner's code, in the child processes that run it (softmax_parity.check
.run): a learner's file is a script, and its functions may misbehave.

contain(limit)       first thing in a child: no stdin, no output, no numpy warnings, no plot
                     windows, and a memory limit, so that input(), plt.show(), prints of
                     megabytes and an allocation without bound cannot block the check or take
                     the machine
describe_exit(code)  one line for a child that died without answering
load(target, timeout) -> (module, skipped)
                     import the target; when its body fails or hangs (it trains a model, reads
                     data that is not there, calls input() or sys.exit()), run only its
                     imports, definitions and simple constants, and say what was left out
"""
from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import os
import signal
import sys
import threading
import traceback
import warnings

from ..errors import UsageError

# Address space (bytes) the learner's code may map on top of what the child already maps when
# contain() runs. RLIMIT_AS counts virtual memory, not memory in use, so the limit is set
# relative to the child's own size instead of as one absolute number: that size depends on the
# machine (OpenBLAS reserves a buffer and a stack per core at import, measured at 40 MiB per
# extra thread: numpy alone maps 0.2 GiB on 2 cores, so about 2.7 GiB on 64). Measured on 2
# cores (/proc/self/status VmSize), a child that imported numpy, hypothesis and this package
# maps 0.15 to 0.2 GiB, and importing matplotlib.pyplot and scipy (BLAS on one thread, as
# contain() sets) adds about 0.1 GiB more; the checks' arrays are kilobytes. 2 GiB leaves room for all of that ten times over and still
# stops a runaway allocation long before it takes a machine of 4 GiB or more.
DEFAULT_MEMORY = 2 * 2**30

MODULE_NAME = "_softmax_parity_check_target"  # the name a .py target is imported under

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def contain(memory_limit_bytes: int | None = DEFAULT_MEMORY) -> None:
    """Make this (child) process safe for the learner's code: stdin at end of file (input()
    raises EOFError at once), stdout and stderr discarded (the report is sent through a pipe,
    so nothing the code prints matters), numpy and Python warnings off (the checks read values,
    not warnings), matplotlib on Agg (plt.show() returns), and at most memory_limit_bytes more
    address space (None: no limit, for the TensorFlow child, whose start-up maps many GiB)."""
    _redirect()
    import numpy as np
    np.seterr(all="ignore")
    warnings.simplefilter("ignore")
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:  # imported before this call: its backend is chosen
        sys.modules["matplotlib"].use("Agg")
    if memory_limit_bytes is not None:
        for var in _THREAD_VARS:  # a BLAS imported later (scipy's) reserves per thread
            os.environ[var] = "1"
        _limit_memory(memory_limit_bytes)


def _redirect() -> None:
    """fds 0, 1, 2 and sys.stdin/stdout/stderr onto /dev/null: the fds for C code and child
    processes, the objects for Python code that holds its own references to neither."""
    for fd, mode in ((0, os.O_RDONLY), (1, os.O_WRONLY), (2, os.O_WRONLY)):
        null = os.open(os.devnull, mode)
        os.dup2(null, fd)
        os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
    sys.stderr = open(os.devnull, "w", encoding="utf-8")


def _limit_memory(extra: int) -> None:
    """Soft RLIMIT_AS at the current size plus `extra`: an allocation beyond it fails
    (MemoryError) instead of swapping the machine to a halt. Skipped where the size cannot be
    read or the limit is not enforced (no /proc: macOS, Windows)."""
    size = vm_size()
    try:
        import resource
    except ImportError:
        return
    if size is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    want = size + extra
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ValueError, OSError):
        pass


def vm_size() -> int | None:
    """This process's virtual memory size in bytes (what RLIMIT_AS counts), None without
    /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def describe_exit(exitcode: int | None) -> str:
    """One line for a child that ended without sending its answer."""
    if exitcode is None:
        return "the process did not end"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        guess = " (out of memory?)" if name in ("SIGKILL", "SIGSEGV") else ""
        return f"the process was killed by {name}{guess}"
    return (f"the function ended the process with exit status {exitcode} "
            f"(os._exit({exitcode}) or a crash)")


# --- loading ----------------------------------------------------------------------------------

class _TimedOut(BaseException):
    """Raised by the SIGALRM handler: a BaseException, so the script's `except Exception:`
    around its training loop does not swallow it."""


class _Deadline:
    """Raise _TimedOut in the main thread after `seconds`, then every half second until the
    block ends (so that one bare `except:` in the script that swallows it is not the end of
    it; a loop that swallows every one is the runner's time limit's to stop). Restores
    the previous handler and timer. Does nothing outside the main thread or without
    setitimer (Windows): the runner's own time limit still holds there."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.on = False

    def _ring(self, signum, frame):
        if self.on:
            raise _TimedOut

    def __enter__(self):
        self.usable = (hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread())
        if self.usable:
            self.old_handler = signal.signal(signal.SIGALRM, self._ring)
            self.on = True
            self.old_timer = signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 1e-3), 0.5)
        return self

    def __exit__(self, *exc):
        self.on = False
        if self.usable:
            signal.setitimer(signal.ITIMER_REAL, *self.old_timer)
            signal.signal(signal.SIGALRM, self.old_handler)
        return False


def load(path_or_module: str, timeout: float):
    """(module, skipped): the target imported. A .py file runs whole first; if its body raises
    (anything but KeyboardInterrupt) or runs over `timeout` seconds, a fresh module runs only
    its imports, definitions and simple constants, and `skipped` says why and what was left
    out (one line per top-level statement). A module name is imported as it is. Raises
    UsageError (one line, file:line) for a syntax error or a module that does not import."""
    if not path_or_module.endswith(".py"):
        return _import_name(path_or_module), []
    path = path_or_module
    tree, code = _parse(path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # its own imports
    module = _new_module(path)
    why = _run(code, module, path, timeout)
    if why is None:
        return module, []
    module = _new_module(path)
    return module, [why] + _run_kept(tree, module, path, timeout)


def _import_name(name: str):
    """A module name, imported; no fallback (its body is a package's, not a script's)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and name.startswith(e.name):
            raise UsageError(f"{name}: no such file or module") from None
        raise UsageError(f"{_where(e, None)}: {type(e).__name__}: {e}") from None
    except Exception as e:  # the package's own code: any exception means it does not import
        raise UsageError(f"{_where(e, None)}: {type(e).__name__}: {_first(e)}") from None


def _parse(path: str):
    """(tree, code) of the file; a syntax error is the user's, reported as file:line."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None
    try:
        return ast.parse(source, path), compile(source, path, "exec")
    except SyntaxError as e:
        raise UsageError(f"{path}:{e.lineno}: {type(e).__name__}: {e.msg}") from None
    except ValueError as e:  # null bytes
        raise UsageError(f"{path}: {e}") from None


def _new_module(path: str):
    """An empty module for the file, registered in sys.modules as importlib's recipe does
    (dataclasses and pickle look the module up there)."""
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    return module


def _exec(code, module, timeout: float):
    """Run compiled code in `module` under a deadline: None, _TimedOut, or what it raised."""
    try:
        with _Deadline(timeout):
            exec(code, module.__dict__)
    except (_TimedOut, Exception, SystemExit) as e:  # KeyboardInterrupt passes
        return e
    return None


def _run(code, module, path: str, timeout: float) -> str | None:
    """Run the file's body in `module`: None if it finished, else why it did not (the first
    line of `skipped`)."""
    e = _exec(code, module, timeout)
    if isinstance(e, _TimedOut):
        return f"running the file took over {timeout:g} s"
    return None if e is None else \
        f"running the file failed at line {_line(e, path)}: {_one_line(e)}"


def _run_kept(tree: ast.Module, module, path: str, timeout: float) -> list:
    """Run the statements worth keeping one by one (each under its own deadline), and list
    every top-level statement not run: left out, or kept but failed."""
    skipped = []
    for stmt, keep in kept_statements(tree):
        if keep is None:
            continue
        if not keep:
            skipped.append(f"line {stmt.lineno}: {_short(stmt)}")
            continue
        error = _run_one(stmt, module, path, timeout)
        if error:
            skipped.append(f"line {stmt.lineno}: {_short(stmt)} ({error})")
    return skipped


def _run_one(stmt: ast.stmt, module, path: str, timeout: float) -> str | None:
    """Run one statement in the module: None, or the name of what it raised."""
    code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec")
    e = _exec(code, module, timeout)
    if isinstance(e, _TimedOut):
        return f"took over {timeout:g} s"
    return None if e is None else type(e).__name__


# --- which statements the fallback keeps ------------------------------------------------------

_EXPR = (ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Set,
         ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp,
         ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def kept_statements(tree: ast.Module):
    """What the fallback loader runs of a file that failed: (statement, keep) for each
    top-level statement, in order: keep True (run it), False
    (left out, listed) or None (the `if __name__ == "__main__":` block, which no import runs,
    and bare constants such as the docstring: left out, not listed)."""
    known, out = _Known(), []
    for stmt in tree.body:
        if _is_main(stmt) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            out.append((stmt, None))
        elif _keepable(stmt, known):
            known.add(stmt)
            out.append((stmt, True))
        else:
            out.append((stmt, False))
    return out


class _Known(set):
    """The names the kept statements bind (a star import makes every name known)."""
    star = False

    def add(self, stmt: ast.stmt) -> None:
        """The top-level names `stmt` binds (not the locals inside a def)."""
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                self.star |= a.name == "*"
                super().add(a.asname or a.name.split(".")[0])
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            super().add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            for t in getattr(stmt, "targets", None) or [stmt.target]:
                self.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(stmt, ast.Try):
            for s in _try_body(stmt):
                self.add(s)
            self.update(h.name for h in stmt.handlers if h.name)

    def has(self, name: str) -> bool:
        return self.star or name in self or hasattr(builtins, name)


def _keepable(stmt: ast.stmt, known: _Known) -> bool:
    """Imports, definitions, `pass`, simple constants, and a try block made of only those
    (`try: import torch / except ImportError: torch = None`)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef, ast.Pass)):
        return True
    if isinstance(stmt, ast.Assign):
        return all(_names_only(t) for t in stmt.targets) and _simple(stmt.value, known)
    if isinstance(stmt, ast.AnnAssign):
        return (isinstance(stmt.target, ast.Name) and _simple(stmt.annotation, known)
                and (stmt.value is None or _simple(stmt.value, known)))
    if isinstance(stmt, ast.Try):
        return all(_keepable(s, known) for s in _try_body(stmt))
    return False


def _try_body(stmt: ast.Try) -> list:
    """Every statement directly inside a try block: body, handlers, else, finally."""
    return stmt.body + [s for h in stmt.handlers for s in h.body] + stmt.orelse + stmt.finalbody


def _names_only(target: ast.expr) -> bool:
    """x, or x, y: an assignment that binds names, not one that changes another object."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_names_only(t) for t in target.elts)
    return isinstance(target, ast.Name)


def _simple(node: ast.expr, known: _Known) -> bool:
    """A literal, or arithmetic, attributes and subscripts of names already kept, or a lambda
    (a function definition): nothing that calls, so nothing that trains or reads data."""
    if isinstance(node, ast.Name):
        return known.has(node.id)
    if isinstance(node, ast.Lambda):
        defaults = node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        return all(_simple(d, known) for d in defaults)
    return isinstance(node, _EXPR) and all(_simple(c, known) for c in ast.iter_child_nodes(node))


def _is_main(stmt: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    t = stmt.test
    sides = [t.left, *t.comparators]
    return (len(sides) == 2 and isinstance(t.ops[0], ast.Eq)
            and {ast.unparse(s) for s in sides} == {"__name__", "'__main__'"})


_KINDS = {ast.For: "for loop", ast.AsyncFor: "for loop", ast.While: "while loop",
          ast.If: "if block", ast.With: "with block", ast.AsyncWith: "with block",
          ast.Try: "try block"}


def _short(stmt: ast.stmt) -> str:
    """A few words for a statement: "for loop", "call data = load_mnist(...)", "import torch"."""
    if type(stmt) in _KINDS:
        return _KINDS[type(stmt)]
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"def {stmt.name}"
    if isinstance(stmt, ast.ClassDef):
        return f"class {stmt.name}"
    value = getattr(stmt, "value", None)
    if isinstance(value, ast.Call):
        call = f"{_clip(ast.unparse(value.func))}(...)"
        if isinstance(stmt, ast.Expr):
            return f"call {call}"
        targets = getattr(stmt, "targets", None) or [stmt.target]
        return f"call {_clip(' = '.join(ast.unparse(t) for t in targets))} = {call}"
    return _clip(ast.unparse(stmt).splitlines()[0], 60)


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


# --- messages ---------------------------------------------------------------------------------

def _line(e: BaseException, path: str) -> int | str:
    """The line of the file where e happened (its deepest frame in the file)."""
    frames = traceback.extract_tb(e.__traceback__)
    mine = [f for f in frames if os.path.abspath(f.filename) == os.path.abspath(path)]
    return mine[-1].lineno if mine else "?"


def _where(e: BaseException, path: str | None) -> str:
    """file:line of an error inside the target (or its deepest frame)."""
    frames = traceback.extract_tb(e.__traceback__)
    mine = [f for f in frames if path and os.path.abspath(f.filename) == os.path.abspath(path)]
    f = (mine or frames or [None])[-1]
    return f"{f.filename}:{f.lineno}" if f else (path or "?")


def _first(e: BaseException) -> str:
    """The first line of an exception's message."""
    return (str(e).splitlines() or [""])[0][:200]


def _one_line(e: BaseException) -> str:
    """ "FileNotFoundError: [Errno 2] ...", "SystemExit: 1", "SystemExit" """
    msg = _first(e)
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__
