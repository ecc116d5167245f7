"""The target of a check as the user names it: a .py file or an importable module, and the
--map option. Loading it (sandbox.load) runs the user's code: only in a child process
(softmax_parity.check.run), never in the process that reports.
"""
from __future__ import annotations

import os

from ..errors import UsageError
from .contract import ROLES


def parse_map(text: str | None) -> dict:
    """"mine=softmax,Loss.forward=cross_entropy" -> {"mine": "softmax", "Loss.forward":
    "cross_entropy"} (the target's function or "Class.method" -> the role to check it as).
    Raises UsageError for a malformed pair or an unknown role; a name the target does not
    have is refused once the target is loaded (run.check)."""
    out = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        mine, sep, role = (s.strip() for s in pair.partition("="))
        if not sep or not mine or not role:
            raise UsageError(f"--map takes NAME=ROLE pairs, got {pair!r}")
        if role not in ROLES:
            raise UsageError(f"--map {pair}: {role!r} is not one of {', '.join(ROLES)}")
        out[mine] = role
    return out


def check_exists(target: str) -> None:
    """A target that names a .py file must exist (checked before any child runs)."""
    if target.endswith(".py") and not os.path.isfile(target):
        raise UsageError(f"{target}: no such file")


