"""Every limit of the project, as data, each with its reason and the worst case measured: the one
place these numbers live. Code and tests read them from here; the functions that apply them
live next to their users (parity_tests.checks, softmax_parity.commands.compare, ...).

Sections:
  compare            how far NumPy and TensorFlow may drift apart in `compare`, per dtype
                     (and the fast NumPy stepper from the reference)
  op-level parity    how far each NumPy op may be from TF's, in ulps (parity_tests)
  gradcheck          finite-difference and TF-autodiff bars for the hand-derived gradients
  input validation   how far a probability row may sum from 1
  training           when a step's loss counts as divergence
  determinism        how far 1 and 2 BLAS threads, or a resumed run, may end apart
  bench              how closely the bench contenders' final losses must agree
  check              how far a user's function may be from the reference in `softmax-parity check`

Imports NumPy and dataclasses only.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

# --- compare ----------------------------------------------------------------------------------
# Why NumPy and TF drift at all: both compute the same formulas on the same batches from the same
# start, but the GEMMs X @ W and X.T @ dZ sum 128 or 784 products in a different order (OpenBLAS
# vs TF's Eigen/oneDNN kernels), and the softmax and the mean round differently. Each step's
# gradient differs by a few ulps (~3e-7 relative in float32, measured on one batch); 12,870 SGD
# steps (30 x 429) carry that along. The loss is convex and the step small, so SGD does not
# amplify such perturbations: the drift grows slowly (max |dW| relative 1.2e-7 after one float32
# epoch, 4.4e-7 after 30) instead of compounding. Measurements: README, section tf.
# `compare --tol NAME=VALUE` overrides one for a run.


@dataclass(frozen=True)
class Tolerances:
    loss_rel: float        # every epoch: |L_numpy - L_tf| / |L_numpy|
    W_rel: float           # after the last epoch: max |W_numpy - W_tf| / max |W_numpy|
    W_abs: float | None    # after the last epoch: max |W_numpy - W_tf| (None: not checked)
    test_accuracy: float   # |test acc numpy - test acc tf|
    test_predictions: int  # how many of the test predictions may differ


COMPARE_NAMES = tuple(f.name for f in dataclasses.fields(Tolerances))

COMPARE = {
    "float32": Tolerances(loss_rel=1e-5, W_rel=1e-5, W_abs=None, test_accuracy=2e-4,
                          test_predictions=2),
    "float64": Tolerances(loss_rel=1e-12, W_rel=1e-12, W_abs=1e-12, test_accuracy=2e-4,
                          test_predictions=2),
}

# The fast mode of numpy_softmax.FastStepper (train()'s default) rounds differently from the
# reference stepper (the bias inside the GEMMs, lr / B folded into the softmax, unscaled pixels,
# padded GEMM columns), and parity_tests/test_fast_mode.py holds it to these same tolerances
# against the reference. Measured over the seed's 30 epochs on MNIST, from the uint8 pixels:
# float32 max |W_fast - W_ref| 5.4e-7 of max |W| (OpenBLAS SkylakeX kernel; 5.7e-7 Haswell),
# epoch losses within 2.2e-8 relative, 0 of 10,000 test predictions differ; float64 7.1e-16.
# About as far as TF is from NumPy (4.4e-7 above): 20x inside W_rel.

# compare's first-step check: |ratio - 1| of ||W1_tf - W0|| / ||W1_np - W0||, the sizes of the
# first SGD update. One batch's gradients agree to ~3e-7 relative in float32 (measured: the ratio
# is 1 within ~1e-7 for tf-graph, tf-function and 2 or 4 replicas); 1e-4 leaves ~1000x room in
# float32 and float64 alike, while a step scaled by K replicas shows as K - 1 >= 1.
FIRST_STEP_RATIO = 1e-4

# why each limit, per dtype (measured figures: 30 epochs of the seed's protocol, README "tf")
REASONS = {
    "float32": {
        "loss_rel": "the issue's bound; measured at most 1.1e-8 (an epoch's mean of 429 batch "
                    "losses, each a few ulps apart): 1e-5 leaves ~1000x room, yet a gradient "
                    "1% wrong moves the loss by ~1e-3",
        "W_rel": "the issue's bound; measured 4.4e-7 after 30 epochs (1.2e-7 after one): 1e-5 "
                 "leaves 20x for other BLAS kernels and thread counts, while a 1% wrong "
                 "gradient moves W by ~1e-3 relative",
        "W_abs": "not checked in float32 (W_rel says it, scaled to the weights)",
        "test_accuracy": "the issue's bound: 2 of 10,000 images; a prediction may flip only "
                         "where two logits tie to within rounding (measured: none flip)",
        "test_predictions": "the issue's bound: at most 2 of 10,000 argmaxes may differ "
                            "(measured: 0)",
    },
    "float64": {
        "loss_rel": "measured 3e-16; 1e-12 still catches a float32 step in a float64 run, "
                    "which shows as ~1e-8",
        "W_rel": "measured 6.6e-16; 1e-12 as for loss_rel",
        "W_abs": "the issue's bound, max |W_numpy - W_tf| <= 1e-12; measured 3.6e-16. A learning "
                 "rate rounded to float32 (TF1's GradientDescentOptimizer does that to a bare "
                 "Python float) gives ~2e-9",
        "test_accuracy": "as in float32; measured: no prediction differs",
        "test_predictions": "as in float32; measured: 0",
    },
}


# --- op-level parity (parity_tests) ---------------------------------------------------------------
# How far NumPy may be from TensorFlow, per op and dtype. Every comparison is elementwise:
#     |numpy - tf| <= ulps * eps * scale + tinies * tiny
#   eps    the dtype's machine epsilon (float32 1.2e-7, float64 2.2e-16)
#   scale  the op's error scale: the magnitude its rounding error is proportional to (for a sum
#          that is the sum of the magnitudes of its terms, not the size of the result, which may
#          cancel to 0); each op says which below (parity_tests.checks computes them)
#   tiny   the smallest normal number (float32 1.2e-38, float64 2.2e-308): TF flushes subnormal
#          results to zero on CPU (flush-to-zero), NumPy keeps them
# Before any value: the shapes and dtypes must match, and where TF is finite NumPy must be too.
# The ulps are set from what the suite has seen (python -m parity_tests.measure, docs/parity.md):
# the smallest power of 2 at least 4x the worst measured, so another BLAS or thread count does
# not trip them, while any real mistake (a missing 1/N, a wrong sign, labels off by one: errors
# of order 1, i.e. ~1e7 float32 ulps) is far outside. The ops on logits also follow from each
# side's error against exact arithmetic (python -m parity_tests.accuracy): |numpy - tf| <=
# |numpy - exact| + |tf - exact|, and each tolerance is at least twice that sum, measured over
# every regime (tests/docs/test_tolerances.py holds them to it). Where TF loses digits that
# numpy_softmax keeps (log_softmax of a confident row), the scale |log_softmax| + log C is
# absolute, so the loss shows there as a measured property of TF (parity_tests/test_tf_parity.py),
# not as a wider tolerance.

EPS = {np.dtype(np.float32): float(np.finfo(np.float32).eps),
       np.dtype(np.float64): float(np.finfo(np.float64).eps)}
TINY = {np.dtype(np.float32): float(np.finfo(np.float32).tiny),
        np.dtype(np.float64): float(np.finfo(np.float64).tiny)}


@dataclass(frozen=True)
class Tol:
    ulps: float   # allowed |numpy - tf| in units of eps * scale
    tinies: float  # plus this many smallest-normal numbers (flush-to-zero of subnormals)
    scale: str    # what the error is proportional to
    reason: str   # why it is this big

    def allowed(self, dtype, scale, tiny_scale=1.0) -> np.ndarray:
        dt = np.dtype(dtype)
        return (self.ulps * EPS[dt] * np.asarray(scale, dtype=np.float64)
                + self.tinies * TINY[dt] * np.asarray(tiny_scale, dtype=np.float64))


# One entry per op, for float32 and float64 alike (the bound is in ulps of each dtype).
# "worst seen" is in ulps of the scale over 2 runs x 1,000 examples per property and dtype
# (python -m parity_tests.measure --runs 2; parity_tests/observed.json), float32 / float64.
# S below is the scale of dL/dZ's entries: (softmax + |Y|) / N, plus 2 softmax max_c |X||W|
# when the logits were computed on each side (their rounding moves softmax; see scale_dz).
TOLERANCES: dict[str, Tol] = {
    "logits": Tol(
        8, 0, "|X| @ |W| + |b|",
        "Z = X @ W + b: dot products of length D <= 800 summed in different orders and "
        "blockings (OpenBLAS vs TF's Eigen/oneDNN GEMM), relative to the sum of |terms| (the "
        "result itself may cancel to 0); worst seen 1.8 / 1.9 ulps"),
    "logsumexp": Tol(
        8, 0, "max |z| + log C",
        "m + log(sum exp(z - m)): z - m is one correctly rounded subtraction on both sides; exp "
        "and log (~1 ulp each) and the order of the sum differ; m + log(s) rounds at m's "
        "magnitude (up to 1e4); worst seen 1.6 / 1.8 ulps"),
    "softmax": Tol(
        32, 4, "p (1 + |z - max z|) (softmax_scale)",
        "relative to each probability times 1 + its distance to the row max, down to the "
        "smallest normal: z - m rounds to |z - m| eps / 2 on both sides, exp (NumPy's SIMD vs "
        "Eigen's, ~1 ulp), a sum of C <= 20 terms in another order, one division; TF flushes "
        "subnormal probabilities to 0 (the 4 tiny). Against exact, each side is within 1.5 of "
        "this scale (parity_tests/accuracy.json): 32 >= 2x their sum; worst seen 4.1 / 3.7 "
        "ulps against each other (in p alone)"),
    "log_softmax": Tol(
        8, 0, "|log_softmax| + log C",
        "(z - m) - log(sum exp(z - m)): z - m exact and the same on both sides; the log of a "
        "sum in [1, C] differs by ~1 ulp of log C; worst seen 1.4 / 1.4 ulps"),
    "cross_entropy": Tol(
        16, 0, "|L| + log C",
        "(plus 2 mean_n max_c (|X| @ |W| + |b|) when each side computed its own logits, as in "
        "loss_and_grads) the mean over N <= 256 rows of lse(z) - z_y (ids) or "
        "sum_c Y_c (lse - z_c) (rows): every term >= 0, nothing cancels; TF's fused xent "
        "kernel and NumPy's log_softmax round the log of the sum and the mean in other orders; "
        "worst seen 2.3 / 2.4 ulps"),
    "grad_logits": Tol(
        32, 4, "S = (softmax_scale + |Y|) / N",
        "(softmax - Y) / N: softmax's rounding (see softmax) carried into a difference "
        "with Y that may cancel to ~0; TF's autodiff forms it inside its xent kernel; each side "
        "within 1.5 of S against exact (parity_tests/accuracy.json); worst seen 5.0 / 4.6 ulps "
        "against each other"),
    "grad_W": Tol(
        32, 4, "|X|.T @ S",
        "dW = X.T @ dZ: N <= 256 products summed in other GEMM orders, each dZ already a few "
        "ulps apart (grad_logits, and the logits' own rounding through S); flushed subnormals "
        "add up: 4 tiny x (1 + sum_n |X_nd|); worst seen 6.2 / 4.6 ulps"),
    "grad_b": Tol(
        32, 4, "sum_n S_n",
        "db = the sum of dZ's N rows, each a few ulps apart (see grad_W); 4 tiny x (1 + N); "
        "worst seen 7.1 / 7.1 ulps"),
    "sgd_W": Tol(
        16, 4, "|W_new| + lr |X|.T @ S",
        "W - lr dW: dW's difference (grad_W) times lr, plus one rounding of W; worst seen "
        "2.5 / 2.0 ulps"),
    "sgd_b": Tol(
        16, 4, "|b_new| + lr sum_n S_n",
        "b - lr db: db's difference (grad_b) times lr, plus one rounding of b; worst seen "
        "1.4 / 2.3 ulps"),
    "sgd_k_steps": Tol(
        8, 4, "the largest sgd_W / sgd_b scale, summed over the k steps (normwise)",
        "k <= 5 steps with lr <= 1/L (L the gradient's Lipschitz constant): each step is "
        "non-expansive, so the per-step differences add up without growing; they may move "
        "between entries, hence one scale for all; worst seen 1.1 / 0.56 ulps"),
    "keras_clipped_xent": Tol(
        8, 0, "|L_n| + log C",
        "Keras's cross-entropy on probabilities (from_logits=False) against the same formula in "
        "NumPy (numpy_softmax.clipped): clip to [eps, 1 - eps] is exact on both sides, then a "
        "log per entry (~1 ulp) and a sum of C <= 20 terms; the sparse loss sums exp(log q) "
        "through TF's xent kernel where NumPy sums q. Every term >= 0, nothing cancels; "
        "worst seen 1.4 / 1.9 ulps (100 derandomized and 300 random examples per dtype and loss)"),
}

EXACT = {
    "predictions": "argmax of the same logits: both return the lowest index of a tie "
                   "(documented by tf.math.argmax since TF 2.3, as np.argmax); no rounding "
                   "happens, so equality is exact",
    "accuracy": "a count of exact argmax matches divided by N: exact",
}

# The math properties (NumPy alone): slack in ulps of the dtype, each with its reason.
MATH_ULPS = {
    "softmax_sum": (4, "a row of C entries, each within ~2 ulps of exact (one exp, one "
                       "division), sums to 1 within ~C ulps: held to 4 C ulps"),
    "shift": (8, "z + c is rounded (one ulp of |z| + |c|), which moves each probability by up "
                 "to that relative to itself; the rest as softmax_sum"),
    "log_of_softmax": (8, "log(softmax) vs log_softmax, where softmax is a normal number: both "
                          "round z - m (exact) then ~1 ulp of exp/log each, relative to "
                          "|log_softmax| + log C"),
    "logsumexp_bounds": (2, "m + log(s) rounds once at m's magnitude"),
    "entropy": (8, "CE - H(Y) >= 0 in exact arithmetic; each is a sum of >= 0 terms rounded to a "
                   "few ulps of itself"),
    "log_C": (4, "equal logits: z - m = 0 exactly, the sum is C (exact for C <= 2^24), one log"),
    "grad_rows_sum": (4, "(softmax - Y) / N summed over C: softmax_sum's error divided by N"),
    "mean_of_copies": (4, "the mean of a batch and of the batch twice: pairwise sums in a "
                          "different grouping, a few ulps of the loss"),
    "descent": (16, "loss(W - lr g) <= loss(W) - lr/2 |g|^2 in exact arithmetic (lr <= 1/L); "
                    "each loss is rounded at ~|loss| + 2 max |logit| (see model_scales)"),
}


# --- gradcheck ----------------------------------------------------------------------------------
# Every bar is a max relative error |analytic - numeric| / max(|analytic|, |numeric|, floor);
# entries below the floor are held to threshold * floor absolute (numpy_softmax.gradcheck).

# The finite-difference bar of `softmax-parity gradcheck` and of numpy_softmax.gradcheck's
# defaults, float64 on real MNIST batches: order-4 central differences at h = 1e-3 carry ~8e-13
# absolute error on a loss ~2.3 (order 2 at its best step: ~5e-11), which is what lets a
# threshold of 1e-7 reach down to gradient entries of the floor, 1e-5. A deliberate mistake
# (softmax_parity.gradcheck.MISTAKES) shows a relative error of order 1, or NaN: it must exceed
# MISTAKE_MIN_ERROR, far above any rounding.
GRADCHECK_BAR = dict(threshold=1e-7, floor=1e-5)
MISTAKE_MIN_ERROR = 1e-3

# The finite-difference properties of parity_tests, per dtype.
# float64: order-4 central differences at h = 1e-3 carry ~1e-12 absolute error on ordinary
# losses (~1e-9 relative), and gradcheck raises the floor to its noise / threshold on large
# losses; 1e-6 leaves ~1000x room. float32 gradients are exact only to a few float32 ulps of
# (softmax + Y) / N, not of softmax - Y, which cancels where softmax ~ Y: the floor 1e-2 holds
# entries below it to 1e-6 absolute (~8 ulps of 1), larger ones to 1e-4 relative.
GRADCHECK = {np.dtype(np.float32): dict(threshold=1e-4, floor=1e-2),
             np.dtype(np.float64): dict(threshold=1e-6, floor=1e-5)}

# TF autodiff vs NumPy, max over entries of |tf - numpy| / max(|tf|, |numpy|, floor):
# float64: both are exact to a few ulps of the sums X.T @ dZ (measured ~1e-16 relative on
# ordinary entries); entries below the floor are held to threshold * floor absolute.
# float32: a few float32 ulps of the same sums (measured ~3e-7 on one batch); small entries,
# where softmax - Y cancels, are held to 1e-4 * 1e-3 = 1e-7 absolute (~1 ulp of 1).
TF_VS_NUMPY = {"float64": dict(threshold=1e-10, floor=1e-5),
               "float32": dict(threshold=1e-4, floor=1e-3)}


# --- input validation ---------------------------------------------------------------------------
# How far a probability row may sum from 1 and still count as a distribution. float32 rows
# written by hand (0.1 + 0.2 + 0.7) sum to 1 within a few ulps; 1e-4 leaves room for C up to
# thousands of float32 terms. float64 is held ~1e6 times tighter.
PROB_SUM_TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}


# --- training -----------------------------------------------------------------------------------
# A step whose mean loss exceeds DIVERGED_LOSS_FACTOR * ln(C) counts as divergence. ln(C) is
# the loss of a uniform guess; 100 x that (230 for C = 10) means the true class gets
# probability e^-230 on average: logit margins in the hundreds, the wrong way. This model's
# gradient is bounded (|dL/dW| <= max |x|), so a step that is too large never reaches inf in
# float32: on MNIST at lr 1e4 the step losses swing up to ~7e4 and stay finite for 30 epochs
# (measured; they scale with lr: ~57 at lr 10, ~700 at lr 100). NaN/inf alone would never fire.
DIVERGED_LOSS_FACTOR = 100.0


# --- determinism --------------------------------------------------------------------------------
# How far training with 1 and with 2 BLAS threads may drift apart in THREAD_EPOCHS epochs at the
# seed's lr, relative to max |W| (and each epoch's loss relative to itself). The logits differ by
# rounding (a few ulps) from the first step; SGD carries that forward without amplifying it much
# at lr 0.01. Measured on 4,096 MNIST-like rows: 9e-8 in float32, 2e-16 in float64; the bounds
# leave two orders of magnitude. A TF run stopped between two steps and resumed is held to
# COMPARE["float32"]'s loss_rel and W_rel against one that never stopped (measured:
# bit-identical, since TF's CPU kernels are deterministic here and the state is just W and b).
THREAD_EPOCHS = 2
THREAD_TOL = {"float32": 1e-5, "float64": 1e-13}


# --- bench --------------------------------------------------------------------------------------
# The final losses of the bench contenders must agree this closely, relative (float32 runs
# differ by ~1e-7): a contender that trains a different model is not timed against the others.
BENCH_LOSS_RTOL = 1e-5


# --- check --------------------------------------------------------------------------------------
# `softmax-parity check` holds a user's function to the reference (numpy_softmax's kernels run in
# float64 on the same inputs), elementwise:
#     |got - expected| <= CHECK_ULPS * eps * scale + CHECK_TINIES * tiny
#   eps    the eps of the input's dtype (the user computes in it)
#   scale  a worst-case rounding bound for ANY correct way to compute the op, not for ours: a sum
#          of n terms in any order is off by at most ~n eps sum|terms|, and a logit of
#          magnitude r rounded once moves exp() by r eps relative (exp(z - lse(z)), one of the
#          correct ways, does that); softmax_parity.check.budget computes it per op, docs/check.md
#          derives it. The three correct ways in tests/check (np.logaddexp.reduce, float64 cast
#          back, one-hot products) pass it (how much of it they use is not measured yet), while
#          every catalogued mistake is off by an amount of order 1 (a factor N, a wrong axis,
#          NaN), far outside the float32 budget at ordinary sizes.
# The same budget decides whether a catalogued mistake reproduces the user's output.
CHECK_ULPS = 4      # on top of the worst-case bound of the scale: each op rounds a few more times
CHECK_TINIES = 4    # subnormal results flushed to zero, or not (both correct)
CHECK_EXAMPLES = 100  # hypothesis examples per function, dtype and label kind (--examples)
CHECK_PROBE = dict(rtol=1e-6, atol=1e-9)  # "the right values" when check tries a way of calling a
                      # learner's function on its tame float64 probes (|z| < 10, N, C, D < 6), and
                      # when it measures an L2 term's constant: any correct reading is off by
                      # ~1e-15, a wrong one by order 1 (another convention, a factor N or 2)
CHECK_TIMEOUT = 20.0  # seconds for all the checks of one function before it counts as hung:
                      # a whole file's check takes seconds (docs/check.md, Output), so only
                      # a hang, or a function far slower than plain NumPy, reaches it
