"""Measure the worst NumPy-vs-TF differences the parity properties produce, and print the
README table (op, TF counterpart, tolerance per dtype, worst seen).

    python -m parity_tests.measure [--examples 1000] [--runs 1] [--out parity_tests/observed.json]
    python -m parity_tests.measure --table parity_tests/observed.json   (the table only)

Runs `pytest parity_tests/test_tf_parity.py` with the "thorough" hypothesis profile (examples
per property and dtype as given), each run on fresh random draws, and keeps the worst figures
over all runs: per op and dtype the largest |numpy - tf|, the same in ulps of the op's error
scale (numpy_softmax.tolerances), and the largest fraction of the tolerance used (the JSON).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

from numpy_softmax.data import atomic_write
from numpy_softmax.tolerances import TOLERANCES

from . import checks

HERE = os.path.dirname(os.path.abspath(__file__))

TF_COUNTERPART = {
    "logits": "`tf.matmul(X, W) + b`",
    "logsumexp": "`tf.reduce_logsumexp`",
    "softmax": "`tf.nn.softmax`",
    "log_softmax": "`tf.nn.log_softmax`",
    "cross_entropy": "`reduce_mean` of `tf.nn.softmax_cross_entropy_with_logits` (rows) / "
                     "`sparse_...` (ids)",
    "grad_logits": "`tf.GradientTape` over the cross-entropy",
    "grad_W": "`tf.GradientTape`; `tf.gradients` in a `tf.compat.v1` graph",
    "grad_b": "as dW",
    "sgd_W": "`GradientDescentOptimizer(lr).minimize`, one step",
    "sgd_b": "as W",
    "sgd_k_steps": "the same, k <= 5 steps from the same start",
    "predictions": "`tf.argmax` (ties: lowest index)",
    "accuracy": "`tf_softmax.accuracy` (`tf.argmax` == labels)",
}
NUMPY_NAME = {
    "logits": "`logits`", "logsumexp": "`logsumexp`", "softmax": "`softmax`",
    "log_softmax": "`log_softmax`", "cross_entropy": "`cross_entropy`",
    "grad_logits": "`grad_logits`", "grad_W": "`loss_and_grads` dW",
    "grad_b": "`loss_and_grads` db", "sgd_W": "`sgd_step` W", "sgd_b": "`sgd_step` b",
    "sgd_k_steps": "k x `sgd_step`", "predictions": "`argmax` of logits",
    "accuracy": "`accuracy`",
}


def run_once(examples: int, json_path: str) -> int:
    env = dict(os.environ, HYPOTHESIS_PROFILE="thorough", PARITY_EXAMPLES=str(examples),
               PARITY_OBSERVED_JSON=json_path)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           os.path.join(HERE, "test_tf_parity.py")]
    return subprocess.call(cmd, env=env, cwd=os.path.dirname(HERE))


def merge(into: dict, rows: list) -> None:
    for r in rows:
        key = (r["op"], r["dtype"])
        cur = into.setdefault(key, dict(max_abs=0.0, max_ulps=0.0, max_fraction=0.0,
                                        comparisons=0))
        for k in ("max_abs", "max_ulps", "max_fraction"):
            cur[k] = max(cur[k], r[k])
        cur["comparisons"] += r["comparisons"]


def table(observed: dict) -> str:
    lines = ["| NumPy | TF counterpart | tolerance (float32 and float64) | worst seen, float32 "
             "| worst seen, float64 |", "|---|---|---|---|---|"]
    for op in TF_COUNTERPART:
        if op in TOLERANCES:
            t = checks.tol(op)
            tol_txt = f"{t.ulps:g} ulps of ({t.scale})".replace("|", "\\|")
            if t.tinies:
                tol_txt += f" + {t.tinies:g} tiny"
        else:
            tol_txt = "exact"
        cells = []
        for dt in ("float32", "float64"):
            r = observed.get((op, dt))
            if r is None:
                cells.append("(not run)")
            elif op in TOLERANCES:
                cells.append(f"{r['max_abs']:.2g} ({r['max_ulps']:.2g} ulps)")
            else:
                cells.append(f"{int(r['max_abs'])} differ")
        lines.append(f"| {NUMPY_NAME[op]} | {TF_COUNTERPART[op]} | {tol_txt} | {cells[0]} | "
                     f"{cells[1]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m parity_tests.measure", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=1000, help="examples per property and dtype")
    p.add_argument("--runs", type=int, default=1, help="independent runs (fresh draws each)")
    p.add_argument("--out", default=os.path.join(HERE, "observed.json"),
                   help="where to write the merged figures (JSON)")
    p.add_argument("--table", metavar="JSON", help="only print the table of a saved --out")
    args = p.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            saved = json.load(f)
        merged: dict = {}
        merge(merged, saved["rows"])
        print(table(merged))
        return 0
    observed: dict = {}
    status = 0
    comparisons_before = 0
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "observed.json")
            rc = run_once(args.examples, path)
            status = status or rc
            if os.path.exists(path):
                with open(path) as f:
                    merge(observed, json.load(f))
        n = sum(r["comparisons"] for r in observed.values())
        print(f"run {i + 1}/{args.runs}: exit {rc}, {n - comparisons_before} comparisons",
              file=sys.stderr)
        comparisons_before = n
    rows = [{"op": op, "dtype": dt, **r} for (op, dt), r in sorted(observed.items())]
    meta = {"examples_per_property_and_dtype": args.examples, "runs": args.runs,
            "pytest_exit": status, "rows": rows}
    atomic_write(args.out, json.dumps(meta, indent=1).encode())
    print(table(observed))
    return status


if __name__ == "__main__":
    sys.exit(main())
