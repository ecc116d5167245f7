"""The teaching figures: the seed's log-odds curve, softmax against plain normalisation,
training curves, W as images, the confusion matrix and the misclassified test images.

Every figure is a matplotlib.figure.Figure made without pyplot: no GUI, no global state, so it
works headless (the Agg canvas renders the PNG) and shows inline in a notebook (display(fig)).
Dimensions: N test images, D = 784 pixels (28 x 28), C = 10 classes.
"""
from __future__ import annotations

import io

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from numpy_softmax import Params, logits, softmax

from .atomic import write_bytes

# The seed's printed "average loss" per epoch, epochs 0..29 (TF 1.x, 2017; the seed post, as
# docs/math.md quotes it). Published
# numbers, kept as reference data to draw beside ours.
SEED_LOSS = (1.29025, 0.73329, 0.60095, 0.53721, 0.49849, 0.47092, 0.45153, 0.43658, 0.42402,
             0.41330, 0.40450, 0.39722, 0.38955, 0.38601, 0.37847, 0.37416, 0.37203, 0.36604,
             0.36283, 0.36069, 0.35631, 0.35285, 0.35225, 0.34984, 0.34519, 0.34509, 0.34159,
             0.34153, 0.33977, 0.33514)

DPI = 80  # keeps every PNG well under 300 KB
DIVERGING = "RdBu_r"  # red = positive weight (evidence for the class), blue = against


def save_png(fig: Figure, path) -> None:
    """Render `fig` as PNG in memory, then write it atomically (never a half-written file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    write_bytes(path, buf.getvalue())


def log_odds_figure() -> Figure:
    """The seed's first plot: logit(p) = log(p / (1 - p)) for p in [0.01, 0.99]."""
    p = np.linspace(0.01, 0.99, 100)  # (100,)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(p, np.log(p / (1 - p)), label="log(p / (1 - p))")
    ax.axhline(0, color="k", linestyle="--", linewidth=1)  # p = 1/2: even odds
    ax.set_xlabel("Possibility", fontsize=14)
    ax.set_ylabel("Log odds", fontsize=14)
    ax.set_xlim(0, 1)
    ax.set_ylim(-5, 5)
    ax.set_title("The logit maps a probability to the whole real line")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def _plain(z):
    return z / z.sum()  # only meaningful for positive scores; blind to the spread


def _standardise(z):
    return (z - z.mean()) / z.std()  # blind to the spread too; not a probability


NORMALISERS = (("divide by the sum", _plain), ("standardise", _standardise),
               ("softmax", lambda z: softmax(z)))


def normalisation_figure(base=(1.0, 1.2, 1.5, 2.0, 3.0), spreads=(1, 2, 4)) -> Figure:
    """Softmax against plain normalisation and standardisation, for score vectors k * base of
    growing spread k. The two plain ones give the same bars for every k; softmax makes the
    differences stand out more the more the scores spread (the seed's argument)."""
    base = np.asarray(base, dtype=np.float64)  # (C,)
    fig = Figure(figsize=(9, 6.5))
    axes = fig.subplots(len(NORMALISERS), len(spreads), sharey="row", squeeze=False)
    for j, k in enumerate(spreads):
        z = k * base  # (C,)
        for i, (name, fn) in enumerate(NORMALISERS):
            ax = axes[i, j]
            ax.bar(np.arange(z.size), fn(z), color=f"C{i}")
            ax.axhline(0, color="k", linewidth=0.5)
            ax.set_xticks(np.arange(z.size))
            if i == 0:
                ax.set_title("scores " + " ".join(f"{v:g}" for v in z), fontsize=10)
            if j == 0:
                ax.set_ylabel(name)
    fig.suptitle("Only softmax responds to the spread of the scores")
    fig.tight_layout()
    return fig


def history_figure(histories: dict, seed_loss=SEED_LOSS) -> Figure:
    """Training loss and validation accuracy per epoch, one line per backend, with the seed's
    published loss curve. histories: {backend name: [{"epoch", "loss", "val_accuracy"}, ...]}.
    Backends that agree draw on top of each other: the styles differ so that both show."""
    fig = Figure(figsize=(10, 4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    styles = ({"linestyle": "-", "linewidth": 3, "alpha": 0.6},
              {"linestyle": "--", "marker": "o", "markersize": 3, "linewidth": 1})
    for i, (name, hist) in enumerate(histories.items()):
        style = dict(styles[i % len(styles)], color=f"C{i}")
        epochs = [r["epoch"] for r in hist]
        ax_loss.plot(epochs, [r["loss"] for r in hist], label=name, **style)
        acc = [(r["epoch"], r["val_accuracy"]) for r in hist if r.get("val_accuracy") is not None]
        if acc:
            ax_acc.plot(*zip(*acc), label=name, **style)
    if seed_loss:
        ax_loss.plot(range(len(seed_loss)), seed_loss, color="k", linestyle=":", linewidth=1.5,
                     label="seed (TF 1.x, 2017)")
    ax_loss.set(xlabel="epoch", ylabel="mean training loss (cross-entropy)",
                title="Training loss per epoch")
    ax_acc.set(xlabel="epoch", ylabel="validation accuracy (5,000 images)",
               title="Validation accuracy per epoch")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def weights_figure(W: np.ndarray, class_names=None) -> Figure:
    """The C columns of W (784, C) as 28 x 28 images: what each class "looks for". One colour
    scale for all, symmetric about 0 (white), red for positive weights, blue for negative."""
    D, C = W.shape
    side = int(round(np.sqrt(D)))
    if side * side != D:
        raise ValueError(f"W has {D} rows, not a square image")
    names = class_names or [str(c) for c in range(C)]
    v = float(np.max(np.abs(W))) or 1.0  # symmetric limits put 0 at the middle colour
    cols = min(C, 5)
    rows = -(-C // cols)
    fig = Figure(figsize=(1.7 * cols + 1, 1.9 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if c < C:
            im = ax.imshow(W[:, c].reshape(side, side), cmap=DIVERGING, vmin=-v, vmax=v)
            ax.set_title(names[c])
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    fig.suptitle("Columns of W: red pixels vote for the class, blue against")
    return fig


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """M[i, j] = number of examples of true class i predicted as j. (C, C) int64."""
    M = np.zeros((n_classes, n_classes), dtype=np.int64)  # (C, C)
    np.add.at(M, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return M


def confusion_figure(M: np.ndarray, class_names=None) -> Figure:
    """The confusion matrix with its counts written in; colour on a power scale so that the
    small off-diagonal counts are visible next to the large diagonal."""
    C = M.shape[0]
    names = class_names or [str(c) for c in range(C)]
    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    im = ax.imshow(M, cmap="Blues", norm=PowerNorm(gamma=0.3, vmin=0, vmax=max(M.max(), 1)))
    for i in range(C):
        for j in range(C):
            if M[i, j]:
                ax.text(j, i, str(M[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if i == j else "black")
    ax.set_xticks(range(C), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(C), names)
    ax.set(xlabel="predicted class", ylabel="true class")
    acc = np.trace(M) / max(M.sum(), 1)
    ax.set_title(f"Confusion on {M.sum():,} test images (accuracy {acc:.4f})")
    fig.colorbar(im, ax=ax, label="count")
    fig.tight_layout()
    return fig


def misclassified_figure(images, y_true, y_pred, p_pred, class_names=None, *,
                         rows: int = 4, cols: int = 6) -> Figure:
    """A grid of misclassified images (K, 784) with the true class, the predicted class and the
    probability the model gave to its (wrong) prediction. Shows the first rows * cols."""
    K = min(len(images), rows * cols)
    names = class_names or [str(c) for c in range(10)]
    fig = Figure(figsize=(1.5 * cols, 1.75 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < K:
            ax.imshow(np.asarray(images[k]).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(f"true {names[y_true[k]]}\npred {names[y_pred[k]]} p={p_pred[k]:.2f}",
                         fontsize=8)
    fig.suptitle("Misclassified test images (p = predicted probability)")
    fig.tight_layout()
    return fig


def predictions(params: Params, X) -> tuple:
    """Predicted class (N,) and its softmax probability (N,) for images X (N, D)."""
    P = softmax(logits(params, X), axis=1)  # (N, C)
    pred = np.argmax(P, axis=1)  # (N,)
    return pred, P[np.arange(P.shape[0]), pred]


def run_figures(histories: dict, params: Params, test, class_names=None) -> dict:
    """All the figures of one run: {file name: Figure}. test: a Split (.images, .labels)."""
    pred, prob = predictions(params, test.images)
    wrong = np.flatnonzero(pred != test.labels)  # (K,) in test-set order
    C = params.W.shape[1]
    return {
        "log_odds.png": log_odds_figure(),
        "softmax_vs_normalisation.png": normalisation_figure(),
        "history.png": history_figure(histories),
        "weights.png": weights_figure(params.W, class_names),
        "confusion.png": confusion_figure(confusion_matrix(test.labels, pred, C), class_names),
        "misclassified.png": misclassified_figure(test.images[wrong], test.labels[wrong],
                                                  pred[wrong], prob[wrong], class_names),
    }
