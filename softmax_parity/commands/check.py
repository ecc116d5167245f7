"""softmax-parity check TARGET: property-test a learner's own NumPy softmax, cross-entropy and
gradients against numpy_softmax, shrink each failure to a minimal input and name the mistake.

The checks live in softmax_parity.check; this module parses the arguments and prints.
Exit status 0 when every function provided passes, 1 when one fails, 2 bad input (including a
target that does not import: one line naming the file and line).
"""
from __future__ import annotations

import json

from numpy_softmax.tolerances import CHECK_EXAMPLES, CHECK_TIMEOUT

from .. import check as chk
from ..check.inputs import API


def register(sub) -> None:
    p = sub.add_parser(
        "check", help="test YOUR softmax / cross-entropy / gradient code (runs TARGET as Python)",
        description="Property-test your own NumPy implementation of "
                    f"{', '.join(API)} (whichever TARGET defines) against numpy_softmax, in "
                    "float32 and float64, on inputs from tame to hostile; each failure is shrunk "
                    "to a minimal input and matched against a catalogue of classic mistakes "
                    "(docs/check.md). WARNING: TARGET is executed as Python code (in a child "
                    "process): check only code you trust. Exit 0 if every function provided "
                    "passes, 1 if one fails, 2 for bad input or a TARGET that does not import.")
    p.add_argument("target", metavar="TARGET",
                   help="a .py file or an importable module; it is executed as Python code")
    p.add_argument("--map", metavar="MINE=API,...",
                   help="check your function MINE as the API function API "
                        "(e.g. my_softmax=softmax,my_grad=grad_logits)")
    p.add_argument("--examples", type=int, default=CHECK_EXAMPLES,
                   help=f"hypothesis examples per function, dtype and label kind "
                        f"(default {CHECK_EXAMPLES})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the examples (default 0: the same examples on every run)")
    p.add_argument("--timeout", type=float, default=CHECK_TIMEOUT,
                   help=f"seconds per function before it counts as hung (default "
                        f"{CHECK_TIMEOUT:g})")
    p.add_argument("--no-tf", action="store_true",
                   help="skip TensorFlow, the second oracle (it is used when installed: the "
                        "functions that pass are held to TF's answers on fixed probes too)")
    p.add_argument("--json", action="store_true", help="print one JSON object (for autograders)")
    p.set_defaults(func=run)


def run(args) -> int:
    report = chk.check(args.target, mapping=args.map, examples=args.examples, seed=args.seed,
                       timeout=args.timeout, tf=not args.no_tf)
    print(json.dumps(report.to_json(), indent=1) if args.json else report.format())
    return 0 if report.passed else 1
