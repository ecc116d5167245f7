"""What the commands print and where they write: output folders checked before work goes into
them, progress bars, lines that --quiet silences, timestamps."""
from __future__ import annotations

import datetime
import os
import sys

from .errors import UsageError


def check_out_dir(path, flag: str = "--out") -> str:
    """Make sure an output folder (--out, --logdir) can be written before work goes into it."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path}: exists and is not a folder; give a folder path")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{flag} {path}: cannot create it ({e.strerror})") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path}: not writable; choose another folder")
    return path


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def say(args, *msg) -> None:
    if not getattr(args, "quiet", False):
        print(*msg, flush=True)


def progress(args, desc: str, total: int):
    """A tqdm bar on stderr (hidden with --quiet or when stderr is not a terminal)."""
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="step", leave=False, file=sys.stderr,
                disable=True if getattr(args, "quiet", False) else None)
