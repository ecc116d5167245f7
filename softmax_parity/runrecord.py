"""The JSON run record that `train --out` and `compare --out` write, and the parameters
beside it (params.npz, loadable with allow_pickle=False)."""
from __future__ import annotations

import glob
import io
import json
import os
import statistics

import numpy as np

from numpy_softmax import Params
from numpy_softmax.errors import DataError
from numpy_softmax.tolerances import COMPARE_NAMES, REASONS

from .atomic import write_bytes, write_json
from .versions import blas_info, versions


def history_dicts(history) -> list[dict]:
    return [{"epoch": r.epoch, "loss": r.loss, "val_accuracy": r.val_accuracy,
             "seconds": r.seconds} for r in history]


def train_record(*, backend, config, data, result, test_accuracy, test_errors, total_seconds,
                 created) -> dict:
    secs = [r.seconds for r in result.history]
    return {
        "kind": "train",
        "created": created,
        "backend": backend,
        "config": config.to_dict(),
        "data": data.describe(),
        "history": history_dicts(result.history),
        "final": {
            "train_loss": result.history[-1].loss if result.history else None,
            "val_accuracy": result.history[-1].val_accuracy if result.history else None,
            "test_accuracy": test_accuracy,
            "test_errors": test_errors,
            "test_images": len(data.test),
        },
        "timing": {"total_seconds": total_seconds,
                   "median_epoch_seconds": statistics.median(secs) if secs else None},
        "versions": versions(),
        "blas": blas_info(),
    }


def save_params(path, params: Params) -> None:
    buf = io.BytesIO()
    np.savez(buf, W=params.W, b=params.b)
    write_bytes(path, buf.getvalue())


def load_params(path) -> Params:
    try:
        with np.load(path, allow_pickle=False) as z:
            return Params(z["W"], z["b"])
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a params file written by softmax-parity ({e})") from None


def write_run(out_dir, record: dict, params: dict[str, Params]) -> None:
    """run.json plus one params file per backend (params.npz for a single backend)."""
    for name, p in params.items():
        fname = "params.npz" if len(params) == 1 else f"params-{name}.npz"
        save_params(os.path.join(out_dir, fname), p)
    write_json(os.path.join(out_dir, "run.json"), record)


def read_run(run_dir) -> dict:
    path = os.path.join(run_dir, "run.json") if os.path.isdir(run_dir) else run_dir
    try:
        with open(path) as f:
            rec = json.load(f)
        if not isinstance(rec, dict):
            raise DataError(f"{path}: not a run record (expected a JSON object); "
                            "make one with `softmax-parity train --out DIR`")
        return rec
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{path}: no run record here; make one with `softmax-parity train "
                        "--out DIR`") from None
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"{path}: not a readable run record ({e})") from None


def compare_record(*, config, data, result, tf_name, tol, checks, created, blas) -> dict:
    """The JSON run record of one compare, in the style of runrecord.train_record."""
    def final(name):
        p = result.predictions[name]
        return {"train_loss": result.history[name][-1].loss if result.history[name] else None,
                "val_accuracy": (result.history[name][-1].val_accuracy
                                 if result.history[name] else None),
                "test_accuracy": result.test_accuracy[name],
                "test_errors": int((p != data.test.labels).sum()),
                "median_epoch_seconds": (statistics.median(r.seconds for r in
                                                           result.history[name])
                                         if result.history[name] else None)}
    return {
        "kind": "compare",
        "created": created,
        "backends": ["numpy", tf_name],
        "config": config.to_dict(),
        "data": data.describe(),
        "history": {n: history_dicts(result.history[n]) for n in ("numpy", tf_name)},
        "divergence": [vars(d) for d in result.divergence[tf_name]],
        "final": {"numpy": final("numpy"), tf_name: final(tf_name),
                  "differing_test_predictions": result.differing(tf_name),
                  "test_images": len(data.test)},
        "tolerances": tolerances_record(tol, config.dtype),
        "verdict": {"passed": all(c.ok for c in checks),
                    "checks": [vars(c) for c in checks]},
        "timing": {"total_seconds": result.total_seconds},
        "versions": versions(),
        "blas": blas,
    }


def tolerances_record(tol, dtype: str) -> dict:
    """name -> {"limit", "reason"} of the compare tolerances a run was held to."""
    return {name: {"limit": getattr(tol, name), "reason": REASONS[dtype][name]}
            for name in COMPARE_NAMES}


def record_histories(record: dict) -> dict:
    """{backend: [{"epoch", "loss", "val_accuracy", ...}, ...]} from a run record: one backend
    (`train`: "backend" + "history") or several ("histories": {name: [...]}, or "backends":
    {name: {"history": [...]}}, or "history": {name: [...]})."""
    if isinstance(record.get("histories"), dict):
        found = record["histories"]
    elif isinstance(record.get("backends"), dict):
        found = {k: v["history"] for k, v in record["backends"].items()
                 if isinstance(v, dict) and "history" in v}
    elif isinstance(record.get("history"), dict):
        found = record["history"]
    elif isinstance(record.get("history"), list):
        found = {record.get("backend", "run"): record["history"]}
    else:
        found = {}
    ok = {k: h for k, h in found.items()
          if isinstance(h, list) and all(isinstance(r, dict) and "epoch" in r and "loss" in r
                                         for r in h)}
    if not ok:
        raise DataError("the run record holds no training history (per-epoch loss) to plot")
    return ok


def run_params(run_dir: str, record: dict) -> tuple:
    """(backend name, Params) from params.npz or params-<backend>.npz beside run.json;
    numpy's if there are several."""
    found = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "params*.npz"))):
        stem = os.path.basename(path)[:-len(".npz")]
        name = stem[len("params-"):] if stem.startswith("params-") else \
            record.get("backend") or next(iter(record_histories(record)))
        found[name] = path
    if not found:
        raise DataError(f"{run_dir}: no params.npz beside run.json; the weight, confusion and "
                        "misclassified figures need the trained parameters")
    name = "numpy" if "numpy" in found else next(iter(found))
    return name, load_params(found[name])
