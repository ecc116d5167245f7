"""One SGD step of softmax regression, link by link, in NumPy and in TensorFlow.

For each step of the forward and backward pass: the formula, the NumPy expression, the TF op
that computes the same, both results and their largest difference. The NumPy side runs exactly
the expressions it prints; the TF side runs the TF ops it prints, each on TF's own previous
results, so a difference that appears shows where the two part. TensorFlow is imported only
when asked for (use_tf=True), and with it the Keras step: the same loss as a Keras user
computes it, from the logits and from the probabilities (Keras's clipping), and what the
clipping does to a confident wrong prediction.

Dimensions: N examples, D features, C classes.
"""
from __future__ import annotations

import dataclasses
import math
import textwrap
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

import numpy as np

from numpy_softmax import Params, cross_entropy, log_softmax
from numpy_softmax.kernels import max_and_rest


@dataclass(frozen=True)
class Link:
    key: str        # the name of the value computed
    title: str      # the step, as the issue names it
    formula: str    # the math
    numpy: str      # the NumPy expression numpy_values() runs
    tf: str         # the TF op tf_values() runs (may span lines)
    note: str       # what to notice


LINKS = (
    Link("Z", "logits", "Z = X W + b", "Z = X @ W + b", "Z = tf.matmul(X, W) + b",
         "one score per class: D weights and 1 bias each"),
    Link("S", "max-shift", "S = Z - max_c Z[:, c]   (row by row)",
         "S = Z - Z.max(axis=1, keepdims=True)", "S = Z - tf.reduce_max(Z, axis=1, keepdims=True)",
         "each row's max becomes 0, so exp(S) <= 1 never overflows (float32 exp overflows "
         "above ~88.7); softmax(S) = softmax(Z)"),
    Link("E", "exp", "E = exp(S)", "E = np.exp(S)", "E = tf.exp(S)",
         "every entry in (0, 1]; the largest of each row is exactly 1"),
    Link("P", "normalise", "P = E / sum_c E[:, c] = softmax(Z)",
         "P = E / E.sum(axis=1, keepdims=True)", "P = tf.nn.softmax(Z)",
         "each row sums to 1: the predicted distribution q; tf.nn.softmax does shift, exp "
         "and normalise in one op"),
    Link("logP", "log-softmax", "log P = S - log sum_c E[:, c]",
         "logP = S - np.log(E.sum(axis=1, keepdims=True))", "logP = tf.nn.log_softmax(Z)",
         "finite even where P underflows to 0 and log(P) would be -inf"),
    Link("L", "cross-entropy", "L = -(1/N) sum_n log P[n, y_n]",
         "L = -logP[np.arange(N), y].mean()",
         "L = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(\n"
         "        labels=tf.one_hot(y, C), logits=Z))",
         "the seed's loss; guessing 1/C for every class would give log C"),
    Link("dZ", "dL/dZ", "dL/dZ = (P - Y) / N,   Y = onehot(y)",
         "dZ = (P - np.eye(C)[y]) / N", "dZ = tape.gradient(L, Z)   (autodiff)",
         "rows sum to 0: the true class is pushed up, the others down"),
    Link("dW", "dL/dW", "dL/dW = X^T dL/dZ", "dW = X.T @ dZ", "dW = tape.gradient(L, W)",
         "a weight's gradient is its input times its class's dZ (of many rows, "
         "those with the largest gradient are shown)"),
    Link("db", "dL/db", "dL/db = sum_n dL/dZ[n, :]", "db = dZ.sum(axis=0)",
         "db = tape.gradient(L, b)", "b is added to every row, so its gradient sums the rows"),
    Link("W1", "SGD update of W", "W <- W - lr dL/dW", "W1 = W - lr * dW",
         "opt = tf.compat.v1.train.GradientDescentOptimizer(\n"
         "          tf.constant(lr, W.dtype))\n"
         "opt.apply_gradients([(dW, W), (db, b)])",
         "a constant step, as in the seed; the seed's optimizer turns a bare Python float lr "
         "into float32, so float64 runs pass lr as a float64 tensor"),
    Link("b1", "SGD update of b", "b <- b - lr dL/db", "b1 = b - lr * db",
         "(the same apply_gradients call)", "the bias moves against its gradient too"),
)


# With a mask (explain --toy --mask) two links change: the logits get M, -inf on the masked
# classes and 0 elsewhere, and TF's loss is the sparse op (the dense one with one-hot labels
# computes 0 * -inf = NaN at a masked class).
MASKED_LINKS = {
    "Z": Link("Z", "logits", "Z = X W + b + M,   M = -inf (masked) or 0",
              "Z = X @ W + b + M", "Z = tf.matmul(X, W) + b + M",
              "one score per class; a masked class scores -inf, so exp gives it exactly 0"),
    "E": Link("E", "exp", "E = exp(S)", "E = np.exp(S)", "E = tf.exp(S)",
              "every entry in [0, 1]: exp(-inf) = 0 exactly for the masked class; the largest "
              "of each row is still exactly 1 (a row max is finite while one class is kept)"),
    "L": Link("L", "cross-entropy", "L = -(1/N) sum_n log P[n, y_n]",
              "L = -logP[np.arange(N), y].mean()",
              "L = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(\n"
              "        labels=y, logits=Z))",
              "finite: the masked class is not a true class (one-hot labels in the dense op "
              "would give 0 * -inf = NaN there)"),
    "dZ": Link("dZ", "dL/dZ", "dL/dZ = (P - Y) / N,   Y = onehot(y)",
               "dZ = (P - np.eye(C)[y]) / N", "dZ = tape.gradient(L, Z)   (autodiff)",
               "a masked entry gets exactly 0 (P = 0, Y = 0); rows still sum to 0"),
    "dW": Link("dW", "dL/dW", "dL/dW = X^T dL/dZ", "dW = X.T @ dZ", "dW = tape.gradient(L, W)",
               "the masked class learns from the other examples only: W[1, 2] gets 0, since "
               "feature 1 is nonzero only in example 0, where class 2 is masked"),
}


@dataclass(frozen=True)
class Example:
    X: np.ndarray  # (N, D)
    y: np.ndarray  # (N,) int class ids
    params: Params
    lr: float
    about: str     # where X, y and the parameters came from (lines)
    mask: np.ndarray | None = None  # (N, C) bool: True where a class is masked (logit -inf)

    def M(self) -> np.ndarray | None:
        """The mask as logits to add: -inf where masked, 0 elsewhere (N, C); None without one."""
        return None if self.mask is None else np.where(self.mask, -np.inf, 0).astype(self.X.dtype)


def links(ex: Example) -> tuple:
    """The LINKS this example runs (two differ when it has a mask)."""
    if ex.mask is None:
        return LINKS
    return tuple(MASKED_LINKS.get(ln.key, ln) for ln in LINKS)


def toy_example(lr: float = 0.01, dtype="float32") -> Example:
    """2 examples, 2 features, 2 classes, chosen so that Z = [[1, 0], [2, -1]]: the first
    example is right (class 0), the second wrong (true class 1, scores favour 0)."""
    dt = np.dtype(dtype)
    X = np.array([[1.0, 1.0], [2.0, 0.0]], dtype=dt)  # (N, D) = (2, 2)
    W = np.array([[1.0, -0.5], [0.0, 0.5]], dtype=dt)  # (D, C) = (2, 2)
    b = np.zeros(2, dtype=dt)  # (C,)
    return Example(X, np.array([0, 1]), Params(W, b), lr,
                   "toy: 2 examples, 2 features, 2 classes, small enough to check by hand;\n"
                   "W chosen so that Z = [[1, 0], [2, -1]]; b starts at 0 as in the seed")


def toy_mask_example(lr: float = 0.01, dtype="float32") -> Example:
    """The toy with a third class, masked for the first example: Z = [[1, 0, -inf], [2, -1,
    0.5]]. Unmasked, class 2 would tie class 0 at the top of the first row (its logit is 1)."""
    dt = np.dtype(dtype)
    X = np.array([[1.0, 1.0], [2.0, 0.0]], dtype=dt)  # (N, D) = (2, 2)
    W = np.array([[1.0, -0.5, 0.25], [0.0, 0.5, 0.75]], dtype=dt)  # (D, C) = (2, 3)
    b = np.zeros(3, dtype=dt)  # (C,)
    mask = np.array([[False, False, True], [False, False, False]])  # (N, C)
    return Example(X, np.array([0, 1]), Params(W, b), lr,
                   "toy with a mask: 2 examples, 2 features, 3 classes; class 2 is masked for "
                   "example 0 (M[0, 2] = -inf), so X W + b = [[1, 0, 1], [2, -1, 0.5]] becomes "
                   "Z = [[1, 0, -inf], [2, -1, 0.5]]; watch the -inf become P = 0, log P = -inf, "
                   "dZ = 0, and W[:, 2] move by example 1 alone", mask)


def numpy_values(ex: Example) -> dict:
    """Every link's value, computed by the NumPy expressions LINKS prints."""
    X, y, (W, b), lr = ex.X, ex.y, ex.params, ex.lr
    N, C = X.shape[0], W.shape[1]
    Z = X @ W + b  # (N, C)
    if ex.mask is not None:
        Z = Z + ex.M()  # (N, C) -inf where masked
    S = Z - Z.max(axis=1, keepdims=True)  # (N, C) exp cannot overflow; -inf stays -inf
    E = np.exp(S)  # (N, C)
    P = E / E.sum(axis=1, keepdims=True)  # (N, C)
    logP = S - np.log(E.sum(axis=1, keepdims=True))  # (N, C)
    L = -logP[np.arange(N), y].mean()  # ()
    dZ = (P - np.eye(C, dtype=Z.dtype)[y]) / N  # (N, C)
    dW = X.T @ dZ  # (D, C)
    db = dZ.sum(axis=0)  # (C,)
    W1 = W - lr * dW  # (D, C)
    b1 = b - lr * db  # (C,)
    return dict(Z=Z, S=S, E=E, P=P, logP=logP, L=L, dZ=dZ, dW=dW, db=db, W1=W1, b1=b1)


def tf_values(ex: Example) -> dict:
    """Every link's value, computed by the TF ops LINKS prints (eager TensorFlow)."""
    from tf_softmax import tf  # TensorFlow, imported quietly (once)

    C = ex.params.W.shape[1]
    X = tf.constant(ex.X)
    y = tf.constant(ex.y)
    W = tf.Variable(ex.params.W)
    b = tf.Variable(ex.params.b)
    with tf.GradientTape() as tape:
        Z = tf.matmul(X, W) + b
        if ex.mask is not None:
            Z = Z + tf.constant(ex.M())
        S = Z - tf.reduce_max(Z, axis=1, keepdims=True)
        E = tf.exp(S)
        P = tf.nn.softmax(Z)
        logP = tf.nn.log_softmax(Z)
        if ex.mask is None:
            L = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
                labels=tf.one_hot(y, C, dtype=Z.dtype), logits=Z))
        else:
            L = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=Z))
    dZ, dW, db = tape.gradient(L, [Z, W, b])
    out = dict(Z=Z, S=S, E=E, P=P, logP=logP, L=L, dZ=dZ, dW=dW, db=db)
    out = {k: v.numpy() for k, v in out.items()}
    # the seed's optimizer; a bare float lr would become float32(lr) even for float64 W
    opt = tf.compat.v1.train.GradientDescentOptimizer(tf.constant(ex.lr, W.dtype))
    opt.apply_gradients([(dW, W), (db, b)])
    out.update(W1=W.numpy(), b1=b.numpy())
    return out


@dataclass(frozen=True)
class Step:
    link: Link
    np_value: np.ndarray
    tf_value: np.ndarray | None  # None when TF did not run

    @property
    def max_diff(self) -> float | None:
        if self.tf_value is None:
            return None
        a, e = np.asarray(self.np_value, np.float64), np.asarray(self.tf_value, np.float64)
        with np.errstate(invalid="ignore"):  # -inf - -inf: the same masked entry, a difference 0
            return float(np.max(np.where(a == e, 0.0, np.abs(a - e))))


def steps(ex: Example, *, use_tf: bool = True) -> list:
    """The LINKS in order, each with its NumPy value and (use_tf) its TF value."""
    npv = numpy_values(ex)
    tfv = tf_values(ex) if use_tf else {}
    return [Step(link, npv[link.key], tfv.get(link.key)) for link in links(ex)]


# --- printing, 80 columns ---------------------------------------------------------------------

WIDTH = 80
MAX_COLS = 5  # values shown per row
MAX_ROWS = 3  # rows shown per array


def _num(v) -> str:
    return f" {float(v):>9.4g}"


def _rows_to_show(a: np.ndarray, max_rows: int) -> list:
    """Which rows of a 2-D array to print: all if few, else the ones with the largest entries
    (for dW over 784 pixels the first rows are border pixels, always 0)."""
    if a.shape[0] <= max_rows:
        return list(range(a.shape[0]))
    return sorted(np.argsort(-np.abs(a).max(axis=1), kind="stable")[:max_rows].tolist())


def _value_lines(label: str, a, rows: list) -> list:
    a = np.asarray(a)
    head = f"    {label:<5} {str(a.shape):<9}"
    if a.ndim == 0:
        return [f"{head} {float(a):.7g}"]
    if a.ndim == 1:
        a, rows, names = a[None, :], [0], [""]
    else:
        names = [f"[{r}]" for r in rows]
    more = " ..." if a.shape[1] > MAX_COLS else ""
    out = []
    for i, (r, name) in enumerate(zip(rows, names)):
        vals = "".join(_num(v) for v in a[r, :MAX_COLS])
        out.append(f"{head if i == 0 else ' ' * len(head)} {name:>5}{vals}{more}")
    return out


def format_step(i: int, step: Step, rows=None) -> str:
    """One link as text. rows: which rows of a 2-D value to print (default _rows_to_show)."""
    ln = step.link
    a = np.asarray(step.np_value)
    if rows is None:
        rows = _rows_to_show(a, MAX_ROWS) if a.ndim == 2 else []
    out = [f"{i:>2}. {ln.title}:  {ln.formula}"]
    out.append(f"    {'NumPy':<7}{ln.numpy}")
    out += [f"    {'TF' if j == 0 else '':<7}{t}" for j, t in enumerate(ln.tf.split("\n"))]
    out += _value_lines("NumPy", a, rows)
    if step.tf_value is None:
        out.append("    TF    (not run: --no-tf)")
    else:
        out += _value_lines("TF", step.tf_value, rows)
        d = step.max_diff
        out.append(f"    largest |NumPy - TF| = {d:.3g}" + ("  (identical)" if d == 0 else ""))
    out += _wrap(f"why: {ln.note}", indent=4)
    return "\n".join(out)


def _wrap(text: str, indent: int) -> list:
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + 5))


def format_example(ex: Example, use_tf: bool = True) -> str:
    N, D = ex.X.shape
    C = ex.params.W.shape[1]
    where = "NumPy and TensorFlow" if use_tf else "NumPy (TensorFlow not run)"
    out = [f"One SGD step of softmax regression, in {where} ({ex.X.dtype})"]
    for line in ex.about.split("\n"):
        out += _wrap(line, indent=0)
    out.append(f"N = {N} examples, D = {D} features, C = {C} classes, lr = {ex.lr:g}, "
               f"y = {ex.y.tolist()}")
    if ex.mask is not None:
        out += _value_lines("M", ex.M(), list(range(N)))
    if D <= 4:
        out += _value_lines("X", ex.X, list(range(N)))
        out += _value_lines("W", ex.params.W, list(range(D)))
        out += _value_lines("b", ex.params.b, [])
    return "\n".join(out)


# --- the Keras step: the same loss through keras.losses -------------------------------------------

# A confident wrong prediction: logits (30, 0) with the true class 1, so P_y = 1 / (1 + e^30)
WRONG_Z, WRONG_Y = (30.0, 0.0), 1


def keras_values(ex: Example, L_numpy, P_numpy) -> dict:
    """Keras's loss on this batch from the logits and from P, and both losses of the confident
    wrong prediction: the exact -log P_y and Keras's from_logits=False value."""
    from tf_softmax.keras import keras  # TensorFlow and Keras, imported quietly
    dt = np.dtype(ex.X.dtype).name
    Z = ex.X @ ex.params.W + ex.params.b  # (N, C)
    if ex.mask is not None:
        Z = Z + ex.M()
    sparse = keras.losses.SparseCategoricalCrossentropy
    z = np.array([WRONG_Z], dtype=dt)  # (1, 2)
    y = np.array([WRONG_Y])
    return {
        "logits": float(sparse(from_logits=True, dtype=dt)(ex.y, Z)),
        "probs": float(sparse(dtype=dt)(ex.y, np.asarray(P_numpy))),
        "numpy": float(L_numpy),
        "wrong_exact": float(cross_entropy(z, y)),
        "wrong_keras": float(sparse(dtype=dt)(y, np.exp(z - z.max()) / np.exp(
            z - z.max()).sum())),
        "wrong_p": float(1 / (1 + np.exp(WRONG_Z[0] - WRONG_Z[1]))),
        "eps": keras.config.epsilon(),
    }


def format_keras(k: dict) -> str:
    out = ["Keras: the same loss through keras.losses (what a Keras user writes)",
           "    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
           f"    Keras  loss(y, Z)       {k['logits']:.9g}",
           f"    NumPy  L                {k['numpy']:.9g}   largest |NumPy - Keras| = "
           f"{abs(k['numpy'] - k['logits']):.3g}",
           "    from_logits=False (the default), given P = softmax(Z):",
           f"    Keras  loss(y, P)       {k['probs']:.9g}   |NumPy - Keras| = "
           f"{abs(k['numpy'] - k['probs']):.3g}"]
    out += _wrap(f"why: Keras clips P to [eps, 1 - eps], eps = {k['eps']:g}, and renormalises "
                 "before the log; while every true class has P_y >= eps that moves the loss "
                 "by at most log(1 + (C-1) eps) - log(1 - eps), about C eps (docs/math.md, "
                 "keras-clip-bound)", indent=4)
    out.append(f"    A confident wrong prediction: z = {WRONG_Z}, y = {WRONG_Y}, "
               f"P_y = {k['wrong_p']:.3g}")
    out.append(f"    exact  -log P_y         {k['wrong_exact']:.9g}")
    out.append(f"    Keras  loss(y, P)       {k['wrong_keras']:.9g}   (from_logits=False)")
    out += _wrap(f"why: P_y < eps is clipped up to eps, so the loss stops near -log(eps) = "
                 f"{-np.log(k['eps']):.4g} however wrong the prediction, and its gradient "
                 "through P_y is 0: the worst mistakes stop teaching. Give Keras the logits "
                 "with from_logits=True (or let keras.activations.softmax hand them on: Keras "
                 "then skips the clipping).", indent=4)
    return "\n".join(out)


def render(ex: Example, *, use_tf: bool = True) -> str:
    """The whole explanation as text, every line at most 80 characters."""
    parts = [format_example(ex, use_tf)]
    done = steps(ex, use_tf=use_tf)
    v = {s.link.key: s.np_value for s in done}
    grad_rows = _rows_to_show(v["dW"], MAX_ROWS)  # W moves where its gradient is largest
    for i, s in enumerate(done, start=1):
        parts.append(format_step(i, s, grad_rows if s.link.key in ("dW", "W1") else None))
    after = numpy_values(dataclasses.replace(ex, params=Params(v["W1"], v["b1"])))["L"]
    parts.append(f"After the step the loss on these {ex.X.shape[0]} examples goes from "
                 f"{float(v['L']):.6g} to {float(after):.6g}.")
    if use_tf:
        parts.append(format_keras(keras_values(ex, v["L"], v["P"])))
    return "\n\n".join(parts)


# --- explain --precision: the loss of a confident row, the naive way and by log1p ---------------

# Three rows z (C = 3) per dtype, true class 0, the largest: confident (r < eps/2, so 1 + r
# rounds to 1), less confident (1 + r keeps some of r's digits), least (r ~ 0.3). m = max z;
# r = the sum of exp(z_j - m) over every j but one largest, so sum_j exp(z_j - m) = 1 + r and
# the loss is (m - z_y) + log(1 + r).
PRECISION_ROWS = {
    "float32": ([0, -20, -20], [0, -10, -10], [0, -2, -2]),
    "float64": ([0, -40, -40], [0, -20, -20], [0, -2, -2]),
}
ROW_NOTES = ("confident and right", "less confident", "least confident")
REF_DIGITS = 60  # decimal digits the reference computes with

# How the loss of one row is computed: label, what runs (z is one row, y its true class).
WAYS = (
    ("naive", "log(sum_j exp(z_j - m)) - (z_y - m): the naive form (explain's\n"
              "log-softmax and cross-entropy steps); it takes the log of 1 + r"),
    ("log1p ce", "numpy_softmax.cross_entropy(z, y) = log1p(r) - (z_y - m)"),
    ("log1p lsm", "-numpy_softmax.log_softmax(z)[y], also by log1p(r)"),
    ("TF ce", "tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,\n"
              "        logits=z)"),
    ("TF lsm", "-tf.nn.log_softmax(z)[y]"),
    ("exact", f"the reference: log(sum_j exp(z_j - z_y)) in {REF_DIGITS}-digit decimal\n"
              "arithmetic (Python's decimal) from the logits' exact values"),
)


def shifted_log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax(z) the textbook way, S - log(sum_j exp(S_j)) with S = z - max z, as links
    5-6 compute it (and numpy_softmax before its log1p form).  z (N, C) -> (N, C)."""
    S = z - z.max(axis=1, keepdims=True)  # (N, C)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))


def naive_loss(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-log softmax(z)_y per row, the naive way: log(sum_j exp(z_j - m)) - (z_y - m), m = max z.
    z (N, C), y (N,) -> (N,)."""
    return -shifted_log_softmax(z)[np.arange(len(y)), y]  # (N,)


def exact_loss(z: np.ndarray, y: int) -> Decimal:
    """-log softmax(z)_y = log(sum_j exp(z_j - z_y)) of one row z (C,), in REF_DIGITS-digit
    decimal arithmetic: the naive formula with digits enough for 1 + r to keep r's."""
    with localcontext(Context(prec=REF_DIGITS)):
        zy = Decimal(float(z[y]))
        return sum((Decimal(float(v)) - zy).exp() for v in z).ln()


def rel_error(v, ref: Decimal) -> float:
    """|v - ref| / |ref|, v taken exactly as the float it is."""
    with localcontext(Context(prec=REF_DIGITS)):
        return float(abs(Decimal(float(v)) - ref) / abs(ref))


def precision_values(dtype="float32", *, use_tf: bool = True) -> dict:
    """The PRECISION_ROWS of dtype and their loss every way WAYS names (label -> (N,)); also
    the rows' z (N, C), y (N,), r (N,) and the reference (N Decimals, the "exact" way)."""
    z = np.array(PRECISION_ROWS[np.dtype(dtype).name], dtype=dtype)  # (N, C)
    y = np.zeros(len(z), dtype=np.int64)  # (N,) the largest logit's class: confident and right
    rows = np.arange(len(y))
    out = {
        "naive": naive_loss(z, y),
        "log1p ce": np.array([cross_entropy(z[n:n + 1], y[n:n + 1]) for n in rows]),
        "log1p lsm": -log_softmax(z)[rows, y],
    }
    if use_tf:
        from tf_softmax import tf  # TensorFlow, imported quietly (once)
        out["TF ce"] = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant(y), logits=tf.constant(z)).numpy()
        out["TF lsm"] = -tf.nn.log_softmax(tf.constant(z)).numpy()[rows, y]
        out["tf_version"] = tf.__version__
    out.update(z=z, y=y, r=max_and_rest(z, axis=1)[1][:, 0],
               reference=[exact_loss(z[n], int(y[n])) for n in rows])
    return out


def _loss_text(v) -> str:
    """A loss as the shortest text that reads back as the same float of its dtype."""
    return "0 (exactly)" if v == 0 else str(v)


def render_precision(dtype="float32", *, use_tf: bool = True) -> str:
    """explain --precision as text, every line at most 80 characters."""
    v = precision_values(dtype, use_tf=use_tf)
    eps = float(np.finfo(dtype).eps)
    ways = "naive, by log1p and by TF" if use_tf else "naive and by log1p"
    out = [f"The loss of one row, -log softmax(z)_y, {ways} ({np.dtype(dtype).name})",
           f"m = max z, r = sum of exp(z_j - m) over all j but one largest, eps = {eps:.3g}"]
    for label, code in WAYS:
        if label.startswith("TF") and not use_tf:
            out += ["    TF         (not run: --no-tf)"] if label == "TF ce" else []
            continue
        lines = code.split("\n")
        out += [f"    {label if j == 0 else '':<11}{line}" for j, line in enumerate(lines)]
    for n, note in enumerate(ROW_NOTES):
        z, ref, r = v["z"][n], v["reference"][n], float(v["r"][n])
        zs = ", ".join(f"{float(x):g}" for x in z)
        keeps = ("1 + r rounds to 1" if r <= eps / 2 else
                 f"1 + r keeps ~{math.log10(r / eps):.0f} digits of r")
        out += ["", f"z = [{zs}], y = {v['y'][n]}: {note}",
                f"    r = {r:.3g} = {r / eps:.3g} eps: {keeps}",
                f"    {'':<11}{'-log softmax(z)_y':<26}{'rel. error':>10}",
                f"    {'exact':<11}{ref:.19e}"]
        out += [f"    {label:<11}{_loss_text(v[label][n]):<26}{_num(rel_error(v[label][n], ref))}"
                for label, _ in WAYS if label in v]
    out.append("")
    out += _wrap("why: the naive form rounds 1 + r before the log, so only r's digits above "
                 "eps survive (relative error ~ eps/r), none once r < eps/2: the loss is 0. "
                 "log1p(r) = r - r^2/2 + ... keeps them all. Finite differences of a loss stuck "
                 "at 0 are 0, not dL/dz_y = -r/(1 + r). See docs/math.md, \"log1p: the loss of "
                 "a confident row\".", indent=0)
    if use_tf and all(np.array_equal(v[t], v["naive"]) for t in ("TF ce", "TF lsm")):
        out += _wrap(f"TF {v['tf_version']}: both ops give the naive form's values, bit for "
                     "bit, on every row.", indent=0)
    return "\n".join(out)
