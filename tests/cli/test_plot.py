"""softmax-parity plot: the figures' content, and the PNG files the command writes."""
import json
import math
import os

import numpy as np
import pytest
from matplotlib.image import imread

from numpy_softmax import Params
from softmax_parity import plots
from softmax_parity.runrecord import record_histories

FIGURES = ("log_odds.png", "softmax_vs_normalisation.png", "history.png", "weights.png",
           "confusion.png", "misclassified.png")
MAX_PNG_BYTES = 300_000  # the README shows some of them: keep the repository light


def assert_png_is_a_real_figure(path):
    """Opens as an image of a sensible size, is small, and is not blank: many colours, and a
    good share of the pixels differ from the background."""
    assert os.path.getsize(path) < MAX_PNG_BYTES
    img = imread(path)  # (H, W, 4) floats in [0, 1]
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    h, w = img.shape[:2]
    assert 250 <= h <= 1000 and 350 <= w <= 1200, (path, img.shape)
    rgb = img[..., :3].reshape(-1, 3)
    background = np.median(rgb, axis=0)
    ink = np.mean(np.abs(rgb - background).max(axis=1) > 0.1)  # share of non-background pixels
    assert ink > 0.02, (path, ink)
    assert len(np.unique((rgb * 255).round().astype(np.uint8), axis=0)) > 20


def fake_run(folder, histories, params: dict):
    """A run folder as `train --out` / `compare --out` would write it (history made up)."""
    os.makedirs(folder, exist_ok=True)
    if len(histories) == 1:
        name = next(iter(histories))
        rec = {"kind": "train", "backend": name, "history": histories[name]}
    else:
        rec = {"kind": "compare", "histories": histories}
    rec["data"] = {"dataset": "mnist"}
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump(rec, f)
    for name, p in params.items():
        fname = "params.npz" if len(params) == 1 else f"params-{name}.npz"
        np.savez(os.path.join(folder, fname), W=p.W, b=p.b)


def history(losses, accs):
    return [{"epoch": i, "loss": l, "val_accuracy": a, "seconds": 0.1}
            for i, (l, a) in enumerate(zip(losses, accs))]


def some_params(seed=0):
    rng = np.random.default_rng(seed)
    return Params(rng.normal(0, 0.05, (784, 10)).astype(np.float32), np.zeros(10, np.float32))


# --- what the figures show --------------------------------------------------------------------

def test_log_odds_figure_is_the_seeds_plot():
    fig = plots.log_odds_figure()
    ax = fig.axes[0]
    curve, zero = ax.lines[0], ax.lines[1]
    p, lo = curve.get_xdata(), curve.get_ydata()
    assert p[0] == pytest.approx(0.01) and p[-1] == pytest.approx(0.99) and len(p) == 100
    assert lo[0] == pytest.approx(math.log(0.01 / 0.99))  # -4.595
    assert lo[-1] == pytest.approx(math.log(0.99 / 0.01))
    assert np.all(np.diff(lo) > 0)  # the logit is increasing
    assert list(zero.get_ydata()) == [0, 0] and zero.get_linestyle() == "--"
    assert ax.get_xlabel() == "Possibility" and ax.get_ylabel() == "Log odds"
    assert ax.get_ylim() == (-5, 5)


def test_only_softmax_responds_to_the_spread_of_the_scores():
    base = (1.0, 1.2, 1.5, 2.0, 3.0)
    fig = plots.normalisation_figure(base, spreads=(1, 4))
    heights = [[[bar.get_height() for bar in ax.patches] for ax in row]
               for row in np.array(fig.axes).reshape(3, 2)]
    plain, standard, soft = heights
    assert plain[0] == pytest.approx([v / 8.7 for v in base])  # 8.7 = sum(base)
    assert plain[1] == pytest.approx(plain[0])  # scale-free
    assert standard[1] == pytest.approx(standard[0])  # scale-free
    e = [math.exp(4 * v) for v in base]
    assert soft[1] == pytest.approx([v / sum(e) for v in e])
    assert soft[1][-1] > 0.97 > soft[0][-1]  # softmax sharpens as the scores spread


def test_history_figure_draws_every_backend_and_the_seed_curve():
    hists = {"numpy": history([1.3, 0.7, 0.6], [0.85, 0.87, 0.88]),
             "tf-function": history([1.3, 0.7, 0.6], [0.85, 0.87, 0.88])}
    fig = plots.history_figure(hists)
    ax_loss, ax_acc = fig.axes[:2]
    labels = [line.get_label() for line in ax_loss.lines]
    assert labels == ["numpy", "tf-function", "seed (TF 1.x, 2017)"]
    seed = ax_loss.lines[2].get_ydata()
    assert len(seed) == 30 and seed[0] == 1.29025 and seed[-1] == 0.33514  # the seed post's table
    assert list(ax_loss.lines[0].get_ydata()) == [1.3, 0.7, 0.6]
    assert [line.get_label() for line in ax_acc.lines] == ["numpy", "tf-function"]
    assert list(ax_acc.lines[1].get_ydata()) == [0.85, 0.87, 0.88]
    # identical curves must both stay visible: different line styles
    assert ax_loss.lines[0].get_linestyle() != ax_loss.lines[1].get_linestyle()


def test_weights_figure_shows_each_column_with_a_colour_scale_centred_on_zero():
    W = np.zeros((784, 10), np.float32)
    W[100, 3] = 0.5
    W[200, 7] = -0.2
    fig = plots.weights_figure(W)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 10
    assert np.array_equal(images[3].get_array(), W[:, 3].reshape(28, 28))
    for im in images:
        lo, hi = im.get_clim()
        assert lo == -hi == -0.5  # symmetric: 0 is the middle (white) colour
        assert im.get_cmap().name == "RdBu_r"


def test_confusion_matrix_counts_true_predicted_pairs():
    M = plots.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    assert M.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_misclassified_titles_give_true_and_predicted_class_and_probability():
    imgs = np.zeros((2, 784), np.float32)
    fig = plots.misclassified_figure(imgs, [4, 9], [9, 4], [0.87, 0.5], rows=1, cols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["true 4\npred 9 p=0.87", "true 9\npred 4 p=0.50"]
    assert titles[2] == ""


def test_record_histories_reads_one_backend_or_several():
    one = {"backend": "numpy", "history": history([1.0], [0.9])}
    assert list(record_histories(one)) == ["numpy"]
    many = {"histories": {"numpy": history([1.0], [0.9]), "tf": history([1.0], [0.9])}}
    assert list(record_histories(many)) == ["numpy", "tf"]
    nested = {"backends": {"numpy": {"history": history([1.0], [0.9])},
                           "tf-graph": {"history": history([2.0], [0.8])}}}
    assert record_histories(nested)["tf-graph"][0]["loss"] == 2.0


# --- the command ------------------------------------------------------------------------------

def test_plot_from_a_run_folder_writes_six_real_pngs(cli, tmp_path):
    run = tmp_path / "run"
    fake_run(run, {"numpy": history([1.29, 0.73, 0.60], [0.84, 0.86, 0.87])},
             {"numpy": some_params()})
    out = tmp_path / "figs"
    r = cli("plot", "--run", run, "--out", out, "--quiet")
    assert r.code == 0
    printed = r.out.split()
    assert printed == [str(out / f) for f in FIGURES]
    for f in FIGURES:
        assert_png_is_a_real_figure(out / f)
    assert sorted(os.listdir(out)) == sorted(FIGURES)  # no temporary files left behind


def test_plot_of_a_compare_record_uses_numpys_parameters(cli, tmp_path):
    run = tmp_path / "cmp"
    h = history([1.29, 0.73], [0.84, 0.86])
    fake_run(run, {"numpy": h, "tf-function": h},
             {"numpy": some_params(1), "tf-function": some_params(2)})
    r = cli("plot", "--run", run, "--out", tmp_path / "f")
    assert r.code == 0
    assert "from the numpy backend's parameters" in r.out
    assert_png_is_a_real_figure(tmp_path / "f" / "history.png")


def test_plot_without_a_run_trains_first(cli, tmp_path):
    out = tmp_path / "figs"
    r = cli("plot", "--epochs", "1", "--out", out)
    assert r.code == 0
    text = r.out
    assert "Epoch 0  average loss: 1.2" in text  # the seed's first epoch: 1.29025
    for f in FIGURES:
        assert_png_is_a_real_figure(out / f)


@pytest.mark.parametrize("make,needle", [
    (lambda d: None, "no such folder"),
    (lambda d: (os.makedirs(d), open(os.path.join(d, "run.json"), "w").write("{nope")),
     "not a readable run record"),
    (lambda d: fake_run(d, {"numpy": history([1.0], [0.9])}, {}), "no params.npz"),
    (lambda d: fake_run(d, {"numpy": history([1.0], [0.9])},
                        {"numpy": Params(np.zeros((5, 3)), np.zeros(3))}), "does not fit"),
])
def test_a_bad_run_folder_is_one_line_and_exit_2(cli, tmp_path, make, needle):
    run = str(tmp_path / "run")
    make(run)
    r = cli("plot", "--run", run, "--out", tmp_path / "f")
    assert r.code == 2
    err = r.err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]
