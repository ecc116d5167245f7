"""softmax-parity gradcheck: are the hand-derived gradients right, on real MNIST batches?

Dimensions: B examples per batch, D = 784 features, C = 10 classes.

1. NumPy vs finite differences, float64: numpy_softmax.gradcheck on dL/dW (sampled entries, or
   every one with --full, plus random directions) and dL/db (every entry), at the seed's init
   and after --steps SGD steps, on --batches batches of the training split.
2. TF autodiff vs NumPy, float32 and float64: tf_softmax.loss_and_grads (GradientTape) and
   tf_softmax.graph_loss_and_grads (tf.gradients in a tf.compat.v1 graph) against
   numpy_softmax.loss_and_grads on the same batches and parameters.
3. --demo-mistakes: five deliberately wrong gradients (MISTAKES) through the same gradcheck;
   each must be flagged.
Exit status 0 when everything passes (and every mistake is flagged), 1 otherwise, 2 bad input.
"""
from __future__ import annotations

import contextlib
import json

import numpy as np

import numpy_softmax as ns
from numpy_softmax.gradcheck import rel_error
from numpy_softmax.kernels import onehot, softmax

from ..errors import UsageError
from . import common

# TF autodiff vs NumPy, max over entries of |tf - numpy| / max(|tf|, |numpy|, floor):
# float64: both are exact to a few ulps of the sums X.T @ dZ (measured ~1e-16 relative on
# ordinary entries); entries below the floor are held to threshold * floor absolute.
# float32: a few float32 ulps of the same sums (measured ~3e-7, DESIGN.md); small entries,
# where softmax - Y cancels, are held to 1e-4 * 1e-3 = 1e-7 absolute (~1 ulp of 1).
TF_VS_NUMPY = {"float64": dict(threshold=1e-10, floor=1e-5),
               "float32": dict(threshold=1e-4, floor=1e-3)}


# --- deliberate mistakes: each a loss_and_grads(params, X, y) -> (loss, Params) with one bug --

def _targets(y, C: int, dtype) -> np.ndarray:
    """Y (B, C): one-hot rows for class ids y (B,), or probability rows as given."""
    y = np.asarray(y)
    return onehot(y, C, dtype) if y.ndim == 1 else y.astype(dtype)


def _dz(params, X, y):
    Z = X @ params.W + params.b  # (B, C)
    return Z, softmax(Z, axis=1) - _targets(y, Z.shape[1], Z.dtype)  # (B, C), N not divided


def _mean_ce(Z, y):
    return ns.cross_entropy(Z, y)


def missing_1_over_N(params, X, y):
    """dZ = softmax - Y: the mean's 1/N forgotten (the gradient of the sum, not the mean)."""
    Z, G = _dz(params, X, y)
    return _mean_ce(Z, y), ns.Params(X.T @ G, G.sum(axis=0))


def W_transposed(params, X, y):
    """dW built as (dZ.T @ X), which is dW.T (C, D), then reshaped to (D, C) instead of
    transposed: the right numbers in the wrong places."""
    Z, G = _dz(params, X, y)
    G = G / X.shape[0]
    return _mean_ce(Z, y), ns.Params((G.T @ X).reshape(params.W.shape), G.sum(axis=0))


def wrong_sign(params, X, y):
    """dW = X.T @ (Y - softmax) / N: the sign of gradient ascent."""
    Z, G = _dz(params, X, y)
    G = G / X.shape[0]
    return _mean_ce(Z, y), ns.Params(-(X.T @ G), -G.sum(axis=0))


def softmax_without_max_shift(params, X, y):
    """exp(Z) / sum exp(Z) with no max subtracted: right for small logits, NaN once a logit
    passes 709.8 (float64; 88.7 in float32), as exp overflows to inf and inf / inf = NaN."""
    Z = X @ params.W + params.b  # (B, C)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        E = np.exp(Z)  # may overflow: the mistake
        P = E / E.sum(axis=1, keepdims=True)  # (B, C)
        Y = _targets(y, Z.shape[1], Z.dtype)  # (B, C)
        logP = np.log(P)  # log 0 = -inf where exp underflowed
        loss = -np.mean(np.sum(np.where(Y > 0, Y * logP, 0.0), axis=1))
    G = (P - Y) / X.shape[0]
    return loss, ns.Params(X.T @ G, G.sum(axis=0))


def labels_off_by_one(params, X, y):
    """The gradient's one-hot built from y + 1 (mod C) (probability rows: shifted one class
    along): an indexing slip in the backward pass only (the loss is right). A slip made in both
    loss and gradient would be a consistent, wrong model: gradcheck cannot see that one (the TF
    parity of the loss does)."""
    Z = X @ params.W + params.b  # (B, C)
    Y = np.roll(_targets(y, Z.shape[1], Z.dtype), 1, axis=1)  # class c's target on c + 1
    G = (softmax(Z, axis=1) - Y) / X.shape[0]
    return _mean_ce(Z, y), ns.Params(X.T @ G, G.sum(axis=0))


MISTAKES = {
    "missing 1/N": missing_1_over_N,
    "W gradient transposed": W_transposed,
    "wrong sign": wrong_sign,
    "softmax without the max shift": softmax_without_max_shift,
    "labels off by one": labels_off_by_one,
}
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


def check_params(loss_and_grads, params, X, y, opts, *, loss=None, samples=None):
    """gradcheck dL/dW and dL/db of `loss_and_grads` at params on (X, y), in float64, each
    against finite differences of its loss (`loss(params, X, y)`, default its own first
    output). Returns {"W": report, "b": report}."""
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


def check_tf(tfs, params64, X64, y):
    """Max relative difference of TF's autodiff gradients from NumPy's, per dtype and TF path."""
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
    """Each MISTAKE through check_params at params, and at params with b + SHIFT."""
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


# --- the command ----------------------------------------------------------------------------------

def register(sub) -> None:
    p = sub.add_parser(
        "gradcheck", help="check the hand-derived gradients on MNIST: finite differences and TF",
        description="Check numpy_softmax's hand-derived gradients on real MNIST batches: against "
                    "central finite differences in float64 (numpy_softmax.gradcheck), and against "
                    "TensorFlow's autodiff (GradientTape and tf.gradients) in float32 and "
                    "float64. Exit 0 if all pass, 1 if any check fails.")
    common.add_data_args(p)
    p.add_argument("--batches", type=int, default=2, help="batches to check (default 2)")
    p.add_argument("--batch-size", type=int, default=128, help="rows per batch (default 128)")
    p.add_argument("--steps", type=int, default=100,
                   help="also check after this many SGD steps (lr 0.01) from the init "
                        "(default 100; 0: the init only)")
    p.add_argument("--seed", type=int, default=0, help="init, batch order, sampled entries")
    p.add_argument("--samples", type=int, default=500,
                   help="entries of W (7,840) checked one by one (default 500)")
    p.add_argument("--full", action="store_true",
                   help="check every entry of W (7,840: ~16x the time of 500 samples)")
    p.add_argument("--directions", type=int, default=20,
                   help="random directions v checked as v . grad (default 20)")
    p.add_argument("--h", type=float, default=1e-3, help="finite-difference step (default 1e-3)")
    p.add_argument("--order", type=int, choices=[2, 4], default=4,
                   help="central-difference order (default 4)")
    p.add_argument("--floor", type=float, default=1e-5,
                   help="relative-error denominator floor (default 1e-5)")
    p.add_argument("--threshold", type=float, default=1e-7,
                   help="max relative error that passes (default 1e-7)")
    p.add_argument("--no-tf", action="store_true", help="skip the TF autodiff comparison")
    p.add_argument("--demo-mistakes", action="store_true",
                   help="also run five deliberately wrong gradients; each must be flagged")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--quiet", action="store_true", help="no download progress")
    p.set_defaults(func=run)


def _validate(args) -> None:
    for name, lo in (("batches", 1), ("batch_size", 1), ("samples", 1), ("directions", 0),
                     ("steps", 0), ("seed", 0)):
        v = getattr(args, name)
        if v < lo:
            raise UsageError(f"--{name.replace('_', '-')} must be >= {lo}, got {v}")
    for name in ("h", "threshold"):
        v = getattr(args, name)
        if not (np.isfinite(v) and v > 0):
            raise UsageError(f"--{name} must be a finite number > 0, got {v}")
    if not (np.isfinite(args.floor) and args.floor >= 0):
        raise UsageError(f"--floor must be a finite number >= 0, got {args.floor}")


def _import_tf(args):
    if args.no_tf:
        return None
    try:
        import tf_softmax
    except ImportError as e:
        raise UsageError(f"TensorFlow is needed for the TF comparison ({e}); install "
                         "softmax-parity[tf] or pass --no-tf") from None
    return tf_softmax


def _points(data, args):
    """[(label, Params float64)]: the seed's init, and after --steps SGD steps (lr 0.01, the
    seed's batches) from it; plus the row order the batches come from."""
    X, y = data.train.images, data.train.labels
    config = ns.TrainConfig(batch_size=args.batch_size, seed=args.seed, dtype="float64")
    order = ns.epoch_order(X.shape[0], config, 0)  # (N,)
    B = args.batch_size
    need = (args.steps + args.batches) * B
    if need > X.shape[0]:
        raise UsageError(f"--steps {args.steps} and --batches {args.batches} of "
                         f"{B} rows need {need} training images; there are {X.shape[0]}")
    p = ns.init_params(X.shape[1], 10, seed=args.seed, dtype=np.float64)
    points = [("init", p)]
    if args.steps:
        for s in range(args.steps):
            idx = order[s * B:(s + 1) * B]
            _, g = ns.loss_and_grads(p, X[idx].astype(np.float64), y[idx])
            p = ns.sgd_step(p, g, config.lr)
        points.append((f"after {args.steps} steps", p))
    return points, order


def _fmt_report(r) -> str:
    what = f"{r.n_entries} {r.mode}" if r.mode != "not run" else "not run"
    return (f"{what:>12} + {r.n_directions:<3} {r.max_rel_error:9.2e} {r.median_rel_error:9.2e} "
            f"{r.direction_max_rel_error:9.2e}  {'ok' if r.passed else 'FAIL'}")


def _fmt_rel(v) -> str:
    return f"{v:8.1e}" if np.isfinite(v) else "     NaN"


def _report_json(r) -> dict:
    return dict(passed=r.passed, mode=r.mode, entries=r.n_entries, directions=r.n_directions,
                max_rel_error=r.max_rel_error, median_rel_error=r.median_rel_error,
                direction_max_rel_error=r.direction_max_rel_error, floor=r.floor,
                problem=r.problem,
                worst=[dict(index=list(e.index), analytic=e.analytic, numeric=e.numeric,
                            rel_error=e.rel_error) for e in r.worst])


def _one_blas_thread():
    """Finite differences make thousands of small GEMMs ((128, 784) @ (784, 10)): one BLAS
    thread runs them ~0.2 ms each, while OpenBLAS's two threads on 2 busy cores took ~12 ms
    (measured). threadpoolctl is in the bench and dev extras; without it, nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run(args) -> int:
    _validate(args)
    tfs = _import_tf(args)
    with _one_blas_thread():
        return _run(args, tfs)


def _run(args, tfs) -> int:
    data = common.load_data(args, quiet=args.quiet or args.json)
    points, order = _points(data, args)
    B = args.batch_size
    out = {"checks": [], "tf": [], "mistakes": {}}
    say = (lambda *m: None) if args.json else print
    say(f"{data.name}, training split, {args.batches} batch(es) of {B}, float64; order-"
        f"{args.order} central differences, h={args.h:g}; pass: max rel error <= "
        f"{args.threshold:g}")
    say(f"{'point':<16} {'batch':>5}  {'':2}  {'entries + directions':>18} {'max rel':>9} "
        f"{'median':>9} {'dir. max':>9}")
    ok = True
    worst = {"W": 0.0, "b": 0.0}
    batches = []
    for label, p in points:
        for k in range(args.batches):
            idx = order[(args.steps + k) * B:(args.steps + k + 1) * B]  # unseen by the steps
            X = data.train.images[idx].astype(np.float64)  # (B, D)
            y = data.train.labels[idx]  # (B,)
            batches.append((label, k, p, X, y))
            reps = check_params(ns.loss_and_grads, p, X, y, args, loss=reference_loss)
            for name, r in reps.items():
                say(f"{label:<16} {k:>5}  d{name}  {_fmt_report(r)}")
                ok &= r.passed
                worst[name] = max(worst[name], r.max_rel_error)
                out["checks"].append(dict(point=label, batch=k, param=name, **_report_json(r)))
    if tfs is not None:
        lim = ", ".join(f"{dt} <= {t['threshold']:g}" for dt, t in TF_VS_NUMPY.items())
        say(f"TF autodiff vs NumPy, max rel difference dW / db ({lim}):")
        say(f"{'point':<16} {'batch':>5}  {'dtype':<8} {'GradientTape':>19}   "
            f"{'tf.gradients (v1 graph)':>23}")
        for label, k, p, X, y in batches:
            res = check_tf(tfs, p, X, y)
            for dt in ("float64", "float32"):
                a, g = res[(dt, "GradientTape")], res[(dt, "tf.gradients (v1 graph)")]
                good = a["passed"] and g["passed"]
                say(f"{label:<16} {k:>5}  {dt:<8} {a['W']:8.2e} / {a['b']:8.2e}   "
                    f"{g['W']:8.2e} / {g['b']:8.2e}  {'ok' if good else 'FAIL'}")
                ok &= good
            for (dt, path), r in res.items():
                out["tf"].append(dict(point=label, batch=k, dtype=dt, path=path, **r))
    flagged_all = True
    if args.demo_mistakes:
        label, p = points[-1]
        idx = order[args.steps * B:(args.steps + 1) * B]
        X, y = data.train.images[idx].astype(np.float64), data.train.labels[idx]
        rows, ref = check_mistakes(p, X, y, args)
        say(f"deliberate mistakes ({label}, batch 0), max rel error dW / db; each must be "
            f"flagged:")
        say(f"{'':<30} {'at MNIST logits':>19}   {'at logits + ' + format(SHIFT, 'g'):>19}")
        for name, row in rows.items():
            cells = [" / ".join(_fmt_rel(r.max_rel_error) for r in reps.values())
                     for reps in row["at"].values()]
            say(f"{name:<30} {cells[0]}   {cells[1]}  "
                f"{'flagged' if row['flagged'] else 'NOT FLAGGED'}")
            flagged_all &= row["flagged"]
            out["mistakes"][name] = dict(flagged=row["flagged"], at={
                at: {k: _report_json(r) for k, r in reps.items()}
                for at, reps in row["at"].items()})
        ref_ok = ref["W"].passed and ref["b"].passed
        say(f"{'(the reference, no mistake)':<30} {'':>19}   {_fmt_rel(ref['W'].max_rel_error)} / "
            f"{_fmt_rel(ref['b'].max_rel_error)}  {'ok' if ref_ok else 'FAIL'}")
        ok &= ref_ok
        out["reference_shifted"] = {k: _report_json(r) for k, r in ref.items()}
        out["mistakes_all_flagged"] = flagged_all
    passed = bool(ok and flagged_all)
    out.update(passed=passed, max_rel_error_W=worst["W"], max_rel_error_b=worst["b"],
               threshold=args.threshold)
    if args.json:
        print(json.dumps(out, indent=1, default=float))
    else:
        verdict = "PASS" if passed else "FAIL"
        say(f"{verdict}: max rel error dW {worst['W']:.2e}, db {worst['b']:.2e} (<= "
            f"{args.threshold:g})"
            + ("" if tfs is None else "; TF autodiff " + ("agrees" if all(
                t["passed"] for t in out["tf"]) else "DISAGREES"))
            + ("" if not args.demo_mistakes else
               f"; {sum(m['flagged'] for m in out['mistakes'].values())}/{len(MISTAKES)} "
               f"mistakes flagged"))
    return 0 if passed else 1
