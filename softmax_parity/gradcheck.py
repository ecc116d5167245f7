"""Are the hand-derived gradients right, on real MNIST batches? The library behind
`softmax-parity gradcheck` (which only parses its arguments and prints what this returns).

Dimensions: B examples per batch, D = 784 features, C = 10 classes.

1. NumPy vs finite differences, float64 (check_params): numpy_softmax.gradcheck on dL/dW
   (sampled entries, or every one, plus random directions) and dL/db (every entry), at the
   seed's init and after some SGD steps (points).
2. TF autodiff vs NumPy, float32 and float64 (check_tf): tf_softmax.loss_and_grads
   (GradientTape) and tf_softmax.graph_loss_and_grads (tf.gradients in a tf.compat.v1 graph)
   against numpy_softmax.loss_and_grads on the same batches and parameters, held to
   numpy_softmax.tolerances.TF_VS_NUMPY.
3. Deliberate mistakes (check_mistakes): five wrong gradients (MISTAKES, from the catalogue of
   classic mistakes, softmax_parity.mistakes) through the same gradcheck; each must be flagged.

The checks run on one BLAS thread (see _on_one_blas_thread).
"""
from __future__ import annotations

import functools

import numpy as np

import numpy_softmax as ns
from numpy_softmax.gradcheck import rel_error
from numpy_softmax.threads import blas_threads
from numpy_softmax.tolerances import TF_VS_NUMPY

from .mistakes import GRADCHECK_MISTAKES as MISTAKES  # name -> loss_and_grads with one bug


def _on_one_blas_thread(fn):
    """Run fn with the BLAS pools limited to one thread. Finite differences make thousands of
    small GEMMs ((128, 784) @ (784, 10)), which OpenBLAS's threads on busy cores only slow down;
    one thread also keeps every figure the same from run to run."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with blas_threads(1):
            return fn(*args, **kwargs)
    return wrapper


# --- deliberate mistakes: MISTAKES, each a loss_and_grads(params, X, y) -> (loss, Params) ---
# where a mistake shows: the naive softmax is right at ordinary logits, so it is also checked
# with every logit raised by SHIFT (b + SHIFT: the same loss and gradient, softmax being shift
# invariant), where exp overflows
SHIFT = 1000.0
MISTAKE_SAMPLES = 100  # entries of W per mistake: an error of order 1 shows in any of them


# --- the checks ---------------------------------------------------------------------------------

def reference_loss(params, X, y):
    """The mean cross-entropy alone (what loss_and_grads returns first, without the gradient
    work: finite differences call it thousands of times)."""
    return ns.cross_entropy(ns.logits(params, X), y)


@_on_one_blas_thread
def points(X, y, *, steps: int, batch_size: int, seed: int):
    """[(label, Params float64)]: the seed's init, and after `steps` SGD steps (lr 0.01, the
    seed's batches) from it; plus the row order (N,) the batches come from. X (N, D) must hold
    at least steps * batch_size rows."""
    config = ns.TrainConfig(batch_size=batch_size, seed=seed, dtype="float64")
    order = ns.epoch_order(X.shape[0], config, 0)  # (N,)
    B = batch_size
    p = ns.init_params(X.shape[1], 10, seed=seed, dtype=np.float64)
    out = [("init", p)]
    if steps:
        for s in range(steps):
            idx = order[s * B:(s + 1) * B]
            _, g = ns.loss_and_grads(p, X[idx].astype(np.float64), y[idx])
            p = ns.sgd_step(p, g, config.lr)
        out.append((f"after {steps} steps", p))
    return out, order


@_on_one_blas_thread
def check_params(loss_and_grads, params, X, y, opts, *, loss=None, samples=None):
    """gradcheck dL/dW and dL/db of `loss_and_grads` at params on (X, y), in float64, each
    against finite differences of its loss (`loss(params, X, y)`, default its own first
    output). opts: h, order, floor, threshold, directions, seed, full, samples (the command's
    arguments). Returns {"W": report, "b": report}."""
    if loss is None:
        def loss(p, X_, y_):
            return loss_and_grads(p, X_, y_)[0]
    W, b = params
    _, g = loss_and_grads(params, X, y)
    zmax = float(np.max(np.abs(X @ W + b)))  # the loss rounds at the logits' size, not its own
    kw = dict(h=opts.h, order=opts.order, floor=opts.floor, threshold=opts.threshold,
              n_directions=opts.directions, seed=opts.seed, f_scale=zmax)
    rW = ns.gradcheck(lambda W_: loss(ns.Params(W_, b), X, y), W, g.W, name="W",
                      max_full=W.size if opts.full else 0, n_samples=samples or opts.samples,
                      **kw)
    rb = ns.gradcheck(lambda b_: loss(ns.Params(W, b_), X, y), b, g.b, name="b",
                      max_full=b.size, **kw)
    return {"W": rW, "b": rb}


def _max_rel(a, n, floor) -> float:
    return float(np.max(rel_error(a, n, floor)))


@_on_one_blas_thread
def check_tf(tfs, params64, X64, y):
    """Max relative difference of TF's autodiff gradients (tfs: the tf_softmax module) from
    NumPy's, per (dtype, TF path): {(dtype, path): dict(W, b, threshold, floor, passed)}."""
    out = {}
    for dt in ("float64", "float32"):
        p = ns.Params(params64.W.astype(dt), params64.b.astype(dt))
        X = X64.astype(dt)
        _, g_np = ns.loss_and_grads(p, X, y)
        t = TF_VS_NUMPY[dt]
        for path, fn in (("GradientTape", tfs.loss_and_grads),
                         ("tf.gradients (v1 graph)", tfs.graph_loss_and_grads)):
            _, g_tf = fn(p, X, y)
            rW = _max_rel(g_np.W, g_tf.W, t["floor"])
            rb = _max_rel(g_np.b, g_tf.b, t["floor"])
            out[(dt, path)] = dict(W=rW, b=rb, threshold=t["threshold"], floor=t["floor"],
                                   passed=bool(max(rW, rb) <= t["threshold"]))
    return out


def check_mistakes(params, X, y, opts):
    """Each MISTAKE through check_params at params, and at params with b + SHIFT. Returns
    ({name: dict(at={where: reports}, flagged)}, the reference's reports at the shifted point)."""
    shifted = ns.Params(params.W, params.b + SHIFT)
    rows = {}
    for name, fn in MISTAKES.items():
        at = {"MNIST logits": check_params(fn, params, X, y, opts, samples=MISTAKE_SAMPLES),
              f"logits + {SHIFT:g}": check_params(fn, shifted, X, y, opts,
                                                  samples=MISTAKE_SAMPLES)}
        flagged = any(not r.passed for reps in at.values() for r in reps.values())
        rows[name] = dict(at=at, flagged=flagged)
    ref = check_params(ns.loss_and_grads, shifted, X, y, opts, loss=reference_loss,
                       samples=MISTAKE_SAMPLES)  # the reference, shifted
    return rows, ref


# --- reports as text and JSON -------------------------------------------------------------------

CHECKS_HEADER = (f"{'point':<16} {'batch':>5}  {'':2}  {'entries + directions':>18} "
                 f"{'max rel':>9} {'median':>9} {'dir. max':>9}")
TF_HEADER = ("TF autodiff vs NumPy, max rel difference dW / db ("
             + ", ".join(f"{dt} <= {t['threshold']:g}" for dt, t in TF_VS_NUMPY.items())
             + f"):\n{'point':<16} {'batch':>5}  {'dtype':<8} {'GradientTape':>19}   "
               f"{'tf.gradients (v1 graph)':>23}")
MISTAKES_HEADER = (f"{'':<30} {'at MNIST logits':>19}   "
                   f"{'at logits + ' + format(SHIFT, 'g'):>19}")

def format_report(r) -> str:
    """One table cell group of a GradcheckReport: entries + directions, max, median, direction
    max relative error, ok/FAIL."""
    what = f"{r.n_entries} {r.mode}" if r.mode != "not run" else "not run"
    return (f"{what:>12} + {r.n_directions:<3} {r.max_rel_error:9.2e} {r.median_rel_error:9.2e} "
            f"{r.direction_max_rel_error:9.2e}  {'ok' if r.passed else 'FAIL'}")


def format_rel(v) -> str:
    """A relative error in 8 characters; NaN spelled out."""
    return f"{v:8.1e}" if np.isfinite(v) else "     NaN"


def report_json(r) -> dict:
    """A GradcheckReport as JSON-ready figures."""
    return dict(passed=r.passed, mode=r.mode, entries=r.n_entries, directions=r.n_directions,
                max_rel_error=r.max_rel_error, median_rel_error=r.median_rel_error,
                direction_max_rel_error=r.direction_max_rel_error, floor=r.floor,
                problem=r.problem,
                worst=[dict(index=list(e.index), analytic=e.analytic, numeric=e.numeric,
                            rel_error=e.rel_error) for e in r.worst])


def mistakes_json(rows, ref) -> dict:
    """check_mistakes' result as JSON-ready figures."""
    return {"mistakes": {name: dict(flagged=row["flagged"], at={
                at: {k: report_json(r) for k, r in reps.items()}
                for at, reps in row["at"].items()}) for name, row in rows.items()},
            "reference_shifted": {k: report_json(r) for k, r in ref.items()},
            "mistakes_all_flagged": all(row["flagged"] for row in rows.values())}


def check_model(params, X, y, opts):
    """check_params of numpy_softmax.loss_and_grads, against finite differences of
    reference_loss."""
    return check_params(ns.loss_and_grads, params, X, y, opts, loss=reference_loss)


def batch(images, labels, order, i: int, batch_size: int):
    """Batch i of the row order: X (B, D) float64, y (B,)."""
    idx = order[i * batch_size:(i + 1) * batch_size]
    return images[idx].astype(np.float64), labels[idx]


def format_tf_row(label: str, k: int, dt: str, res) -> tuple[str, bool]:
    """One row of the TF table from check_tf's result, and whether both TF paths passed."""
    a, g = res[(dt, "GradientTape")], res[(dt, "tf.gradients (v1 graph)")]
    good = a["passed"] and g["passed"]
    return (f"{label:<16} {k:>5}  {dt:<8} {a['W']:8.2e} / {a['b']:8.2e}   "
            f"{g['W']:8.2e} / {g['b']:8.2e}  {'ok' if good else 'FAIL'}"), good


def format_mistake_row(name: str, row) -> str:
    """One row of the mistakes table from check_mistakes' result."""
    cells = [" / ".join(format_rel(r.max_rel_error) for r in reps.values())
             for reps in row["at"].values()]
    return f"{name:<30} {cells[0]}   {cells[1]}  {'flagged' if row['flagged'] else 'NOT FLAGGED'}"


def format_reference_row(ref) -> str:
    """The mistakes table's last row: the reference gradient at the shifted point."""
    ok = ref["W"].passed and ref["b"].passed
    return (f"{'(the reference, no mistake)':<30} {'':>19}   "
            f"{format_rel(ref['W'].max_rel_error)} / {format_rel(ref['b'].max_rel_error)}  "
            f"{'ok' if ok else 'FAIL'}")


def format_verdict(out: dict, *, tf: bool, mistakes: bool) -> str:
    """The last line, from the JSON figures (out)."""
    line = (f"{'PASS' if out['passed'] else 'FAIL'}: max rel error dW "
            f"{out['max_rel_error_W']:.2e}, db {out['max_rel_error_b']:.2e} (<= "
            f"{out['threshold']:g})")
    if tf:
        line += "; TF autodiff " + ("agrees" if all(t["passed"] for t in out["tf"])
                                    else "DISAGREES")
    if mistakes:
        line += (f"; {sum(m['flagged'] for m in out['mistakes'].values())}/{len(MISTAKES)} "
                 f"mistakes flagged")
    return line
