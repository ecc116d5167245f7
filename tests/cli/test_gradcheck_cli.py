"""`softmax-parity gradcheck` end to end on the cached MNIST: the figures, the exit status
(0 pass, 1 a check fails, 2 bad input) and the deliberate mistakes all flagged."""
import json

import pytest

from numpy_softmax.tolerances import GRADCHECK_BAR, TF_VS_NUMPY

SMALL = ["gradcheck", "--batches", "1", "--samples", "60", "--directions", "4", "--quiet"]


def run_json(cli, *extra):
    r = cli(*SMALL, "--json", *extra)
    return r.code, json.loads(r.out)


def test_gradients_pass_at_1e_7_and_tf_agrees(cli):
    rc, out = run_json(cli, "--steps", "20")
    assert rc == 0 and out["passed"]
    bar = GRADCHECK_BAR["threshold"]
    assert out["max_rel_error_W"] <= bar and out["max_rel_error_b"] <= bar
    assert {c["point"] for c in out["checks"]} == {"init", "after 20 steps"}
    assert {c["param"] for c in out["checks"]} == {"W", "b"}
    assert all(c["passed"] and c["mode"] in ("sampled", "full") for c in out["checks"])
    tf = out["tf"]
    assert {(t["dtype"], t["path"]) for t in tf} == {
        (dt, p) for dt in ("float32", "float64")
        for p in ("GradientTape", "tf.gradients (v1 graph)")}
    assert all(t["passed"] for t in tf)
    assert max(t["W"] for t in tf if t["dtype"] == "float64") <= TF_VS_NUMPY["float64"]["threshold"]


def test_demo_mistakes_flags_all_five(cli):
    rc, out = run_json(cli, "--steps", "0", "--no-tf", "--demo-mistakes")
    assert rc == 0 and out["mistakes_all_flagged"]
    assert len(out["mistakes"]) == 5 and all(m["flagged"] for m in out["mistakes"].values())
    naive = out["mistakes"]["softmax without the max shift"]["at"]
    assert naive["MNIST logits"]["W"]["passed"]  # right at small logits...
    assert not naive["logits + 1000"]["W"]["passed"]  # ...NaN once exp overflows


def test_the_table_names_the_figures(cli):
    rc, out, _ = cli(*SMALL, "--steps", "0", "--no-tf")
    assert rc == 0
    assert "dW" in out and "db" in out and "max" in out and "median" in out
    assert out.strip().splitlines()[-1].startswith("PASS: max rel error dW")


def test_a_failing_check_exits_1(cli):
    """A step far too coarse (h = 0.5, order 2: truncation error ~h^2) fails the check."""
    rc, out = run_json(cli, "--steps", "0", "--no-tf", "--order", "2", "--h", "0.5")
    assert rc == 1 and not out["passed"]
    assert out["max_rel_error_W"] > GRADCHECK_BAR["threshold"]


@pytest.mark.parametrize("flags,message", [
    (["--batches", "0"], "--batches must be >= 1"),
    (["--threshold", "-1"], "--threshold must be"),
    (["--h", "nan"], "--h must be"),
    (["--steps", "1000"], "training images"),
    (["--data-dir", "/nonexistent/mnist"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(cli, flags, message):
    rc, _, err = cli(*SMALL, "--no-tf", *flags)
    assert rc == 2
    assert message in err and len(err.strip().splitlines()) == 1
