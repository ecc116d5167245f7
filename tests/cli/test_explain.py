"""softmax-parity explain: the numbers it prints are right, NumPy and TF agree, it reads in 80
columns, and --no-tf stays clear of TensorFlow."""
import json
import math
import re

import numpy as np
import pytest

import numpy_softmax as ns
from softmax_parity import explain

# NumPy vs TF, same inputs, one step. float32: reductions may sum in another order and
# oneDNN's exp may differ in the last bit: a few float32 ulps of values <= ~3 (eps 1.2e-7);
# the design measured ~3e-7 relative on the gradients. float64: the same, in float64 ulps.
TOL = {np.float32: 1e-6, np.float64: 1e-13}
TITLES = ["logits", "max-shift", "exp", "normalise", "log-softmax", "cross-entropy", "dL/dZ",
          "dL/dW", "dL/db", "SGD update of W", "SGD update of b"]
DIFF = re.compile(r"largest \|NumPy - TF\| = (\S+)")


def random_example(dtype, N=5, D=6, C=4, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D)).astype(dtype)
    params = ns.Params(rng.normal(size=(D, C)).astype(dtype), rng.normal(size=C).astype(dtype))
    return explain.Example(X, rng.integers(0, C, N), params, 0.1, "random")


def test_toy_numbers_are_the_ones_worked_out_by_hand():
    v = explain.numpy_values(explain.toy_example(lr=0.1, dtype="float64"))
    e = math.e
    p0, p1 = e / (e + 1), math.exp(2) / (math.exp(2) + math.exp(-1))  # P[0, 0], P[1, 0]
    assert v["Z"].tolist() == [[1, 0], [2, -1]]
    assert v["S"].tolist() == [[0, -1], [0, -3]]
    assert v["E"] == pytest.approx(np.array([[1, 1 / e], [1, math.exp(-3)]]))
    assert v["P"] == pytest.approx(np.array([[p0, 1 - p0], [p1, 1 - p1]]))
    assert v["logP"] == pytest.approx(np.log([[p0, 1 - p0], [p1, 1 - p1]]))
    assert float(v["L"]) == pytest.approx((math.log(1 + 1 / e) + math.log(1 + e ** 3)) / 2)
    dZ = np.array([[p0 - 1, 1 - p0], [p1, -p1]]) / 2  # true classes 0 and 1
    assert v["dZ"] == pytest.approx(dZ)
    X = np.array([[1, 1], [2, 0]])
    assert v["dW"] == pytest.approx(np.array([[dZ[0, 0] + 2 * dZ[1, 0], dZ[0, 1] + 2 * dZ[1, 1]],
                                              [dZ[0, 0], dZ[0, 1]]]))
    assert v["db"] == pytest.approx(dZ.sum(axis=0))
    assert v["W1"] == pytest.approx(np.array([[1, -0.5], [0, 0.5]]) - 0.1 * X.T @ dZ)
    assert v["b1"] == pytest.approx(-0.1 * dZ.sum(axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_expressions_agree_with_the_numpy_reference(dtype):
    ex = random_example(dtype)
    v = explain.numpy_values(ex)
    Z = ns.logits(ex.params, ex.X)
    loss, grads = ns.loss_and_grads(ex.params, ex.X, ex.y)
    step = ns.sgd_step(ex.params, grads, ex.lr)
    tol = TOL[dtype]
    for got, want in [(v["Z"], Z), (v["P"], ns.softmax(Z)), (v["logP"], ns.log_softmax(Z)),
                      (v["L"], loss), (v["dZ"], ns.grad_logits(Z, ex.y)), (v["dW"], grads.W),
                      (v["db"], grads.b), (v["W1"], step.W), (v["b1"], step.b)]:
        assert np.asarray(got).dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_tf_op_agrees_with_its_numpy_expression(dtype):
    for ex in (random_example(dtype), explain.toy_example(0.5, np.dtype(dtype).name)):
        out = explain.steps(ex, use_tf=True)
        assert [s.link.title for s in out] == TITLES
        for s in out:
            assert np.shape(s.tf_value) == np.shape(s.np_value), s.link.key
            assert s.max_diff <= TOL[dtype] * max(1.0, float(np.max(np.abs(s.np_value)))), \
                (s.link.key, s.max_diff)


def test_render_shows_every_step_in_order_within_80_columns():
    text = explain.render(explain.toy_example(), use_tf=True)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    heads = [line for line in lines if re.match(r"^ ?\d+\. ", line)]
    assert [re.sub(r"^ ?\d+\. ([^:]+):.*", r"\1", h) for h in heads] == TITLES
    assert len(DIFF.findall(text)) == len(TITLES)
    for op in ("tf.matmul", "tf.reduce_max", "tf.exp", "tf.nn.softmax", "tf.nn.log_softmax",
               "tf.nn.softmax_cross_entropy_with_logits", "tape.gradient",
               "GradientDescentOptimizer"):
        assert op in text
    assert "1.680925" in text  # L = (log(1 + 1/e) + log(1 + e^3)) / 2 = 1.6809245...


def explain_without_tf(python_process, flag: str):
    """`explain FLAG --no-tf` in a fresh process; asserts it exits 0 and never imports TF."""
    code = ("import sys; from softmax_parity.cli import main; rc = main(['explain', "
            f"'{flag}', '--no-tf']); print('TF LOADED' if 'tensorflow' in sys.modules "
            "else 'no tf'); sys.exit(rc)")
    r = python_process("-c", code)
    assert r.code == 0, r.err
    assert r.out.strip().endswith("no tf")
    return r


def test_no_tf_never_imports_tensorflow(python_process):
    r = explain_without_tf(python_process, "--toy")
    assert r.out.count("(not run: --no-tf)") == len(TITLES)
    assert "largest |NumPy - TF|" not in r.out


def test_explain_on_mnist_shows_the_first_three_test_images(cli):
    r = cli("explain")
    assert r.code == 0
    text = r.out
    assert "y = [7, 2, 1]" in text  # the first three MNIST test labels
    assert "(784, 10)" in text and "(3, 10)" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    diffs = [float(d) for d in DIFF.findall(text)]
    assert len(diffs) == len(TITLES) and max(diffs) <= TOL[np.float32] * 3


def test_explain_with_a_run_uses_its_parameters(cli, tmp_path):
    # all-zero parameters: every class gets 1/10, so the loss is log(10) = 2.302585
    (tmp_path / "run.json").write_text(json.dumps({"backend": "numpy", "history": []}))
    np.savez(tmp_path / "params.npz", W=np.zeros((784, 10), np.float32),
             b=np.zeros(10, np.float32))
    r = cli("explain", "--run", tmp_path, "--no-tf")
    assert r.code == 0
    text = r.out
    assert "trained, from" in text and "2.302585" in text


def test_a_missing_run_is_one_line_and_exit_2(cli, tmp_path):
    r = cli("explain", "--run", tmp_path / "nope", "--no-tf")
    assert r.code == 2
    err = r.err.strip().splitlines()
    assert len(err) == 1 and "no such folder" in err[0]


# --- explain --toy --mask: one masked class through the whole step ------------------------------

def test_masked_toy_numbers_are_the_ones_worked_out_by_hand():
    v = explain.numpy_values(explain.toy_mask_example(lr=0.1, dtype="float64"))
    e = math.e
    p0 = e / (e + 1)  # row 0: softmax([1, 0]) with class 2 masked
    r1 = np.exp([2.0, -1.0, 0.5]) / np.exp([2.0, -1.0, 0.5]).sum()  # row 1: nothing masked
    assert v["Z"].tolist() == [[1, 0, -np.inf], [2, -1, 0.5]]
    assert v["S"].tolist() == [[0, -1, -np.inf], [0, -3, -1.5]]
    assert v["E"][0, 2] == 0 and v["P"][0, 2] == 0 and v["logP"][0, 2] == -np.inf
    assert v["P"] == pytest.approx(np.array([[p0, 1 - p0, 0], r1]))
    assert float(v["L"]) == pytest.approx((-math.log(p0) - math.log(r1[1])) / 2)
    dZ = np.array([[p0 - 1, 1 - p0, 0], r1 - [0, 1, 0]]) / 2
    assert v["dZ"][0, 2] == 0 and v["dZ"] == pytest.approx(dZ)
    assert v["dW"] == pytest.approx(np.array([[1, 1], [2, 0]]).T @ dZ)
    assert v["dW"][1, 2] == 0 and v["W1"][1, 2] == 0.75  # only example 0 has feature 1
    assert v["db"][2] == pytest.approx(r1[2] / 2)  # example 1 alone moves class 2's bias


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_toy_tf_agrees_with_numpy_link_by_link(dtype):
    out = explain.steps(explain.toy_mask_example(0.5, np.dtype(dtype).name), use_tf=True)
    assert [s.link.title for s in out] == TITLES
    for s in out:
        np.testing.assert_array_equal(np.isneginf(s.np_value), np.isneginf(s.tf_value))
        assert s.max_diff <= TOL[dtype] * 4, (s.link.key, s.max_diff)


def test_explain_toy_mask_prints_the_mask_within_80_columns(cli):
    r = cli("explain", "--toy", "--mask", "--no-tf")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Z = X @ W + b + M" in r.out and "-inf" in r.out
    assert "exp(-inf) = 0" in r.out


def test_explain_mask_without_toy_is_a_usage_error(cli):
    r = cli("explain", "--mask", "--no-tf")
    assert r.code == 2 and "--mask works with --toy" in r.err


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_explain_shows_the_keras_step_and_the_clipped_confident_wrong_prediction(cli, dtype):
    r = cli("explain", "--toy", "--dtype", dtype)
    assert r.code == 0
    text = r.out.split("Keras: the same loss through keras.losses")[1]
    assert max(len(line) for line in r.out.splitlines()) <= 80
    lines = text.splitlines()
    L_keras, L_numpy = float(lines[2].split()[3]), float(lines[3].split()[2])
    assert L_keras == pytest.approx(L_numpy, rel=1e-6)  # from the logits: the same loss
    exact = float(next(ln for ln in lines if "exact  -log P_y" in ln).split()[3])
    clipped = float(next(ln for ln in lines if "(from_logits=False)" in ln).split()[3])
    assert exact == pytest.approx(30.0, rel=1e-6)  # -log(1 / (1 + e^30))
    assert clipped == pytest.approx(-math.log(1e-7), rel=1e-6)  # capped by the clip at 1e-7
    assert "P_y < eps is clipped up to eps" in text


def test_explain_no_tf_has_no_keras_step(cli):
    r = cli("explain", "--toy", "--no-tf")
    assert r.code == 0 and "Keras" not in r.out


# --- explain --precision: the loss of a confident row, naive, by log1p and by TF ----------------

LABELS = ("naive", "log1p ce", "log1p lsm", "TF ce", "TF lsm", "exact")
ROW_LINE = re.compile(r"^    (" + "|".join(LABELS) + r")\s+(\S+)")


def precision_rows(text):
    """The row blocks of explain --precision's output, each {label: the value as printed}."""
    blocks = [b for b in text.split("\n\n") if b.startswith("z = [")]
    return [dict(m.groups() for m in map(ROW_LINE.match, b.splitlines()) if m) for b in blocks]


def independent_loss(z, y):
    """-log softmax(z)_y in float64 with math alone: log1p of the exactly rounded sum (fsum) of
    exp(z_j - z_y) over j != y (y is the row's largest logit, so every term is <= 1)."""
    zy = float(z[y])
    return math.log1p(math.fsum(math.exp(float(v) - zy) for j, v in enumerate(z) if j != y))


def ulps(v, ref, dtype):
    """|v - ref| in units of dtype's spacing at ref."""
    return abs(float(v) - float(ref)) / float(np.spacing(dtype(abs(float(ref)))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_precision_naive_form_is_exactly_0_for_the_confident_row(cli, dtype):
    v = explain.precision_values(dtype, use_tf=False)
    eps = np.finfo(dtype).eps
    assert v["r"][0] < eps / 2  # the row is what it says: 1 + r rounds to 1
    assert v["naive"][0] == 0 and v["naive"].dtype == dtype
    assert v["log1p ce"][0] > 0 and v["log1p lsm"][0] > 0
    r = cli("explain", "--precision", "--dtype", dtype, "--no-tf")
    assert r.code == 0, r.err
    first = precision_rows(r.out)[0]
    assert first["naive"] == "0" and float(first["log1p ce"]) > 0
    assert f"({dtype})" in r.out.splitlines()[0]


def test_precision_log1p_is_within_a_few_ulps_of_an_independent_float64_reference():
    # float32 rows, checked against float64 math (~1e-16 relative, far below float32's ulps)
    v = explain.precision_values("float32", use_tf=False)
    for n, z in enumerate(v["z"]):
        ref = independent_loss(z, v["y"][n])
        assert ulps(v["log1p ce"][n], ref, np.float32) <= 3, (z, v["log1p ce"][n], ref)
        assert ulps(v["log1p lsm"][n], ref, np.float32) <= 3, (z, v["log1p lsm"][n], ref)
        assert float(v["reference"][n]) == pytest.approx(ref, rel=1e-15)  # the printed one
    assert ulps(v["naive"][0], independent_loss(v["z"][0], 0), np.float32) > 1e6


def test_precision_log1p_is_within_a_few_ulps_of_an_mpmath_reference_in_float64():
    mp = pytest.importorskip("mpmath").mp
    v = explain.precision_values("float64", use_tf=False)
    with mp.workdps(80):  # the log of 1 + 8.5e-18 keeps 80 - 18 digits
        for n, z in enumerate(v["z"]):
            zy = mp.mpf(float(z[v["y"][n]]))
            ref = mp.log(mp.fsum(mp.exp(mp.mpf(float(x)) - zy) for x in z))
            ulp = mp.mpf(float(np.spacing(float(ref))))
            for label in ("log1p ce", "log1p lsm"):
                assert abs(mp.mpf(float(v[label][n])) - ref) <= 3 * ulp, (z, label)
            assert abs(mp.mpf(str(v["reference"][n])) - ref) <= ref * mp.mpf(10) ** -40


@pytest.mark.tf
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_precision_shows_tf_ops_values(cli, dtype):
    r = cli("explain", "--precision", "--dtype", dtype)
    assert r.code == 0, r.err
    assert max(len(line) for line in r.out.splitlines()) <= 80
    assert "tf.nn.sparse_softmax_cross_entropy_with_logits" in r.out
    assert "tf.nn.log_softmax" in r.out
    v = explain.precision_values(dtype, use_tf=True)
    rows = precision_rows(r.out)
    assert len(rows) == len(v["z"])
    for n, row in enumerate(rows):
        for label in ("TF ce", "TF lsm"):
            assert np.dtype(dtype).type(row[label]) == v[label][n]  # printed to the last bit


def test_precision_no_tf_leaves_tf_out_and_never_imports_it(python_process):
    r = explain_without_tf(python_process, "--precision")
    assert "(not run: --no-tf)" in r.out and "TF ce" not in r.out and "TF lsm" not in r.out
    assert max(len(line) for line in r.out.splitlines()) <= 80
    rows = precision_rows(r.out)
    assert len(rows) == 3 and all(set(row) == {"naive", "log1p ce", "log1p lsm", "exact"}
                                  for row in rows)
    assert "60-digit decimal" in r.out  # it says what the reference is
    assert 'docs/math.md, "log1p: the loss of a confident row"' in " ".join(r.out.split())


@pytest.mark.parametrize("flags", [["--toy"], ["--mask"], ["--toy", "--mask"],
                                   ["--run", "some-run"]])
def test_precision_with_toy_mask_or_run_is_one_line_and_exit_2(cli, flags):
    r = cli("explain", "--precision", "--no-tf", *flags)
    assert r.code == 2 and r.out == ""
    err = r.err.strip().splitlines()
    assert len(err) == 1 and "--precision works alone, not with " + flags[0] in err[0]
