"""The softmax-parity command line. Each subcommand lives in softmax_parity/commands/<name>.py
and offers `register(subparsers)`, which adds its parser and sets `func(args) -> int`.

Exit status: 0 success; 1 a check failed or training diverged; 2 bad input (one line on
stderr, no traceback); 130 interrupted."""
from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

COMMANDS = ["compare", "train", "data", "plot", "explain", "bench", "gradcheck", "check"]  # order of --help


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line on stderr (exit 2) instead of the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="softmax-parity",
        description="Softmax regression on MNIST in pure NumPy, checked against TensorFlow.")
    p.add_argument("--version", action="version", version=f"softmax-parity {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"softmax_parity.commands.{name}").register(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # --workers: the workers' command
    from numpy_softmax.errors import DataError, InputError
    from numpy_softmax.loop import DivergenceError
    from .errors import UsageError
    try:
        return int(args.func(args) or 0)
    except (InputError, DataError, UsageError) as e:
        print(f"softmax-parity {args.command}: error: {e}", file=sys.stderr)
        return 2
    except DivergenceError as e:
        print(f"softmax-parity {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"softmax-parity {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a folder we cannot write, a disk that is full
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"softmax-parity {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
