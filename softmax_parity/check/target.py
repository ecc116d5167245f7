"""The target of a check: a .py file or an importable module, executed as Python code, and the
API functions found in it (by name, or as --map renames them).

Loading runs the user's code: the runner does it in a child process only (softmax_parity.check
.run), never in the process that reports.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback

from ..errors import UsageError
from .inputs import API


def parse_map(text: str | None) -> dict:
    """"mine=softmax,g=grad_logits" -> {"softmax": "mine", "grad_logits": "g"} (API name ->
    the target's name). Raises UsageError for a malformed pair or an unknown API name."""
    out = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        mine, sep, api = (s.strip() for s in pair.partition("="))
        if not sep or not mine or not api:
            raise UsageError(f"--map takes NAME=API pairs, got {pair!r}")
        if api not in API:
            raise UsageError(f"--map {pair}: {api!r} is not one of {', '.join(API)}")
        out[api] = mine
    return out


def check_exists(target: str) -> None:
    """A target that names a .py file must exist (checked before any child runs)."""
    if target.endswith(".py") and not os.path.isfile(target):
        raise UsageError(f"{target}: no such file")


def _where(e: BaseException, path: str | None) -> str:
    """file:line of the error inside the target (or its deepest frame)."""
    if isinstance(e, SyntaxError) and e.filename:
        return f"{e.filename}:{e.lineno}"
    frames = traceback.extract_tb(e.__traceback__)
    mine = [f for f in frames if path and os.path.abspath(f.filename) == os.path.abspath(path)]
    f = (mine or frames or [None])[-1]
    return f"{f.filename}:{f.lineno}" if f else (path or "?")


def load(target: str):
    """Import the target: a path ending in .py, or a module name. Raises UsageError with one line
    naming the file and line when it does not import."""
    path = target if target.endswith(".py") else None
    try:
        if path:
            spec = importlib.util.spec_from_file_location("_softmax_parity_check_target", path)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # its own imports
            spec.loader.exec_module(module)
            return module
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        if not path and e.name and target.startswith(e.name):
            raise UsageError(f"{target}: no such file or module") from None
        raise UsageError(f"{_where(e, path)}: {type(e).__name__}: {e}") from None
    except Exception as e:  # the user's code: any exception means it does not import
        msg = e.msg if isinstance(e, SyntaxError) else str(e)
        raise UsageError(f"{_where(e, path)}: {type(e).__name__}: {msg}") from None


def find_functions(module, mapping: dict) -> dict:
    """{API name: the target's function name or None (not provided)}."""
    out = {}
    for api in API:
        name = mapping.get(api, api)
        fn = getattr(module, name, None)
        out[api] = name if callable(fn) else None
    return out
