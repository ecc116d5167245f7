"""Hypothesis strategies for the parity suite and `softmax-parity check`: logits, labels and
whole model problems.

Dimensions: N examples (1..256), D features (1..800), C classes (2..20, or up to
large_c when asked: check draws large C).

Hypothesis draws a small recipe (sizes, a seed, a scale, a form) and NumPy's
default_rng(seed) turns it into arrays: drawing 5,000 floats one by one through hypothesis
would cost more than the TF call they feed, while a recipe still shrinks (to smaller sizes,
plainer forms, ordinary scales) and prints as one readable line when a property fails.

What the draws cover:
  sizes   N: 1 (a batch of one), 2..16, or 1..256; C: 2, 2..20; D: 1, 2..32, 784, 1..800
  scales  logits from ordinary (+-1e-3 .. +-10) to extreme (+-1e2 .. +-1e4, where exp of a
          logit overflows float32 beyond 88.7 and float64 beyond 709.8)
  forms   "uniform"; "ties" (values on a grid of 5, so rows hold exact ties, maxima included);
          "equal_rows" (some rows constant: softmax exactly 1/C); "dominant" (one entry per row
          far above the rest: probabilities underflow to 0); "offset" (ordinary spread around
          a large common offset, up to +-1e4: the naive softmax overflows though the answer
          is ordinary); "huge_column" (check only: one column far above the others in every
          row, the same column)
  labels  class ids (N,); one-hot rows; soft rows (Dirichlet, with and without exact zeros)
  masks   masked_cases: -inf on 10%, 50% or 90% of each row, never all of it (unless asked)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

DTYPES = (np.float32, np.float64)
LOGIT_SCALES = (1e-3, 1.0, 10.0, 1e2, 1e3, 1e4)  # the spread of a row's logits
ORDINARY_SCALES = (1e-3, 0.1, 1.0, 10.0)
FORMS = ("uniform", "ties", "equal_rows", "dominant", "offset")
CHECK_FORMS = FORMS + ("huge_column",)  # what `softmax-parity check` draws
MAX_ABS_LOGIT = 1e4


@dataclass(frozen=True)
class Case:
    """Arrays for one example, plus the recipe that made them (what a failure prints)."""

    recipe: str
    z: np.ndarray | None = field(default=None, repr=False)       # logits (N, C)
    labels: np.ndarray | None = field(default=None, repr=False)  # ids (N,) or rows (N, C)
    X: np.ndarray | None = field(default=None, repr=False)       # (N, D)
    W: np.ndarray | None = field(default=None, repr=False)       # (D, C)
    b: np.ndarray | None = field(default=None, repr=False)       # (C,)
    lr: float = 0.0
    k: int = 1

    def __repr__(self) -> str:
        return f"Case({self.recipe})"

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints falsifying examples so
        p.text(repr(self))

    @property
    def kind(self) -> str:
        return "ids" if self.labels.ndim == 1 else "probs"


def sizes_n(max_n: int = 256):
    return st.sampled_from(["one", "small", "any"]).flatmap(
        lambda k: st.just(1) if k == "one" else
        st.integers(2, min(16, max_n)) if k == "small" else st.integers(1, max_n))


def sizes_c(max_c: int = 20, large_c: int = 0):
    """C = 2, or 2..max_c, or (large_c > max_c) max_c..large_c: large C, drawn only when asked
    (without it the draws are those the parity suite has always made)."""
    if large_c > max_c:
        return st.one_of(st.just(2), st.integers(2, max_c), st.integers(max_c, large_c))
    return st.one_of(st.just(2), st.integers(2, max_c))


def sizes_d(max_d: int = 800):
    return st.sampled_from(["one", "small", "mnist", "any"]).flatmap(
        lambda k: st.just(1) if k == "one" else st.integers(2, min(32, max_d)) if k == "small"
        else st.just(min(784, max_d)) if k == "mnist" else st.integers(1, max_d))


seeds = st.integers(0, 2**32 - 1)


def make_logits(rng, N: int, C: int, scale: float, form: str) -> np.ndarray:
    """(N, C) float64 logits of spread `scale` in one of FORMS, all within +-MAX_ABS_LOGIT."""
    z = rng.uniform(-1.0, 1.0, (N, C)) * scale  # (N, C)
    if form == "ties":
        z = np.round(z / scale * 2.0) * (scale / 2.0)  # 5 values per row: ties everywhere
    elif form == "equal_rows":
        rows = rng.random(N) < 0.5
        rows[rng.integers(N)] = True  # at least one constant row
        z[rows] = rng.uniform(-1.0, 1.0, (int(rows.sum()), 1)) * scale  # a constant per row
    elif form == "dominant":
        z = rng.uniform(-1.0, 0.0, (N, C)) * scale  # <= 0
        z[np.arange(N), rng.integers(0, C, N)] = scale  # one entry per row far on top
    elif form == "offset":
        spread = min(scale, 10.0)
        offset = rng.choice([-1.0, 1.0]) * rng.choice([1e2, 1e3, 1e4])
        z = rng.uniform(-1.0, 1.0, (N, C)) * spread + offset
    elif form == "huge_column":
        z[:, rng.integers(C)] = MAX_ABS_LOGIT  # one class far on top in every row
    return np.clip(z, -MAX_ABS_LOGIT, MAX_ABS_LOGIT)


def make_labels(rng, N: int, C: int, kind: str, dtype) -> np.ndarray:
    """ids (N,) int64, or (N, C) rows of `dtype`: "onehot", "soft" or "sparse" (soft with
    exact zeros). Rows are normalised in float64, then rounded: they sum to 1 within a few ulps."""
    if kind == "ids":
        return rng.integers(0, C, N)
    if kind == "onehot":
        Y = np.zeros((N, C))
        Y[np.arange(N), rng.integers(0, C, N)] = 1.0
        return Y.astype(dtype)
    alpha = rng.choice([0.1, 1.0, 10.0])
    Y = rng.dirichlet(np.full(C, alpha), size=N)  # (N, C), rows sum to 1
    if kind == "sparse":
        Y[rng.random((N, C)) < 0.5] = 0.0
        Y[np.arange(N), rng.integers(0, C, N)] += 1e-3  # keep every row's sum > 0
    Y /= Y.sum(axis=1, keepdims=True)
    return Y.astype(dtype)


LABEL_KINDS = {"ids": ("ids",), "probs": ("onehot", "soft", "sparse"),
               "any": ("ids", "onehot", "soft", "sparse")}


@st.composite
def logit_cases(draw, dtype, labels: str | None = None, scales=LOGIT_SCALES, forms=FORMS,
                max_n: int = 256, max_c: int = 20, large_c: int = 0):
    """Logits z (N, C) of `dtype`, with labels of kind "ids", "probs", "any" or None."""
    N, C, seed = draw(sizes_n(max_n)), draw(sizes_c(max_c, large_c)), draw(seeds)
    scale, form = draw(st.sampled_from(scales)), draw(st.sampled_from(forms))
    rng = np.random.default_rng(seed)
    z = make_logits(rng, N, C, scale, form).astype(dtype)
    recipe = f"N={N} C={C} {np.dtype(dtype).name} scale={scale:g} form={form} seed={seed}"
    y = None
    if labels is not None:
        lk = draw(st.sampled_from(LABEL_KINDS[labels]))
        y = make_labels(rng, N, C, lk, dtype)
        recipe += f" labels={lk}"
    return Case(recipe, z=z, labels=y)


def make_features(rng, N: int, D: int, form: str) -> np.ndarray:
    """(N, D) float64 features: "pixels" like MNIST (k / 255, ~80% zeros), "normal", "binary"."""
    if form == "pixels":
        X = rng.integers(0, 256, (N, D)) / 255.0
        X[rng.random((N, D)) < 0.8] = 0.0  # MNIST is mostly background
        return X
    if form == "binary":
        return (rng.random((N, D)) < 0.5).astype(np.float64)
    return rng.standard_normal((N, D))


def lipschitz(X: np.ndarray, k: int) -> float:
    """The largest Lipschitz constant of the gradient of the mean cross-entropy over the k
    batches of B = N // k rows of X: ||[X_s, 1]||_2^2 / (2B), as the Hessian of the
    cross-entropy in the logits, diag(p) - p p^T, has norm <= 1/2. A step lr <= 1 / L is
    non-expansive (and decreases the loss)."""
    B = X.shape[0] // k
    L = 0.0
    for s in range(k):
        Xa = np.hstack([X[s * B:(s + 1) * B], np.ones((B, 1))])  # (B, D + 1): b's column
        G = Xa @ Xa.T if B <= Xa.shape[1] else Xa.T @ Xa  # the smaller Gram matrix
        L = max(L, float(np.linalg.eigvalsh(G)[-1]) / (2 * B))  # ||Xa||_2^2 = lambda_max(G)
    return L


@st.composite
def model_cases(draw, dtype, labels: str = "any", scales=LOGIT_SCALES, max_n: int = 256,
                max_d: int = 800, max_c: int = 20, steps: int = 0):
    """X (N, D), W (D, C), b (C,), labels, all of `dtype`, with logits X @ W + b spread about
    `scale` (W is drawn, then scaled by scale / typical |x|). With steps > 0 also k in
    1..steps (N is k batches of N // k rows) and a learning rate lr = factor / L, factor in
    (0.01, 0.1, 0.5, 1) and L the gradient's Lipschitz constant (see lipschitz)."""
    N, D, C = draw(sizes_n(max_n)), draw(sizes_d(max_d)), draw(sizes_c(max_c))
    seed, scale = draw(seeds), draw(st.sampled_from(scales))
    xform = draw(st.sampled_from(("pixels", "normal", "binary")))
    bscale = draw(st.sampled_from((0.0, 0.1, 1.0, scale)))
    lk = draw(st.sampled_from(LABEL_KINDS[labels]))
    k, lr_factor = 1, 0.0
    if steps:
        k = draw(st.integers(1, steps))
        N = max(N, k)
        lr_factor = draw(st.sampled_from((0.01, 0.1, 0.5, 1.0)))
    rng = np.random.default_rng(seed)
    X = make_features(rng, N, D, xform)  # (N, D)
    W = rng.standard_normal((D, C))  # (D, C)
    typical = max(np.sqrt(np.mean(np.sum(X * X, axis=1))), 1 / 255)  # typical |x|
    W *= scale / typical  # logits X @ W spread about `scale` (|x . w| ~ |x| |w_entry|)
    b = rng.uniform(-1.0, 1.0, C) * bscale  # (C,)
    y = make_labels(rng, N, C, lk, dtype)
    lr = float(lr_factor / lipschitz(X, k)) if steps else 0.0  # a Python float, as documented
    recipe = (f"N={N} D={D} C={C} {np.dtype(dtype).name} scale={scale:g} X={xform} "
              f"b_scale={bscale:g} labels={lk} seed={seed}")
    if steps:
        recipe += f" k={k} lr={lr_factor:g}/L={lr:.3g}"
    return Case(recipe, labels=y, X=X.astype(dtype), W=W.astype(dtype), b=b.astype(dtype),
                lr=lr, k=k)


@st.composite
def masked_cases(draw, dtype, labels: str | None = None, scales=LOGIT_SCALES, forms=FORMS,
                 max_n: int = 256, max_c: int = 20, full_row: bool = False,
                 on_label: bool = False):
    """logit_cases with random entries masked (set to -inf): a fraction 0.1, 0.5 or 0.9 of each
    row, never the whole row (one class per row stays: the true class for ids, a weighted class
    for probability rows, whose masks fall on classes they weight 0). full_row=True masks one
    whole row (the properties about the error); on_label=True also masks the label's class in
    one row (an inf loss)."""
    c = draw(logit_cases(dtype, labels, scales, forms, max_n, max_c))
    frac, mseed = draw(st.sampled_from((0.1, 0.5, 0.9))), draw(seeds)
    rng = np.random.default_rng(mseed)
    N, C = c.z.shape
    mask = rng.random((N, C)) < frac  # (N, C)
    rows = np.arange(N)
    if labels is None:
        keep = rng.integers(0, C, N)  # (N,) the class each row keeps
    elif c.kind == "ids":
        keep = c.labels
    else:
        mask &= c.labels == 0  # a masked class the label weights would make the loss inf
        keep = np.argmax(c.labels, axis=1)
    mask[rows, keep] = False
    n_bad = int(rng.integers(N))
    if full_row:
        mask[n_bad] = True
    if on_label:  # the label's class masked, another one kept: an inf loss, not a dead row
        mask[n_bad, keep[n_bad]] = True
        mask[n_bad, (keep[n_bad] + 1) % C] = False
    z = np.where(mask, -np.inf, c.z).astype(dtype)
    recipe = (f"{c.recipe} masked={frac:g} mask_seed={mseed}"
              + (f" full_row={n_bad}" if full_row else "")
              + (f" on_label={n_bad}" if on_label else ""))
    return Case(recipe, z=z, labels=c.labels)
