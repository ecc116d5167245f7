"""softmax_parity.compare: the lockstep keeps NumPy's own numbers, the verdict flags exactly the
broken tolerances, and the tolerances and their overrides are what they say."""
from types import SimpleNamespace

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import EpochRecord, Params, TrainConfig
from numpy_softmax.tolerances import COMPARE
from softmax_parity import compare
from softmax_parity.compare import tolerances as tolerances_for
from softmax_parity.runrecord import tolerances_record
from softmax_parity.errors import UsageError


# as `compare` runs (--blas-threads 1): spinning BLAS threads slow a busy machine 10x
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def _split(images, labels):
    return SimpleNamespace(images=images, labels=labels)


@pytest.fixture(scope="module")
def small(mnist):
    """A Dataset-shaped slice of MNIST: 3,000 train, 500 validation, 1,000 test images."""
    return SimpleNamespace(train=_split(mnist.train.images[:3000], mnist.train.labels[:3000]),
                           validation=_split(mnist.validation.images[:500],
                                             mnist.validation.labels[:500]),
                           test=_split(mnist.test.images[:1000], mnist.test.labels[:1000]))


@pytest.mark.tf
def test_lockstep_numpy_side_is_bit_identical_to_numpy_softmax_train(small):
    config = TrainConfig(epochs=2)
    seen = []
    result = compare.lockstep(small, config, ("tf-function",),
                              on_epoch=lambda e, recs, divs: seen.append((e, recs, divs)))
    ref = ns.train(small.train.images, small.train.labels, config,
                   X_val=small.validation.images, y_val=small.validation.labels,
                   stepper="exact")
    got = result.history["numpy"]
    assert [(r.epoch, r.loss, r.val_accuracy) for r in got] == \
           [(r.epoch, r.loss, r.val_accuracy) for r in ref.history]
    np.testing.assert_array_equal(result.params["numpy"].W, ref.params.W)
    assert [e for e, _, _ in seen] == [0, 1]
    assert set(seen[0][1]) == {"numpy", "tf-function"} and set(seen[0][2]) == {"tf-function"}
    pred = np.argmax(ns.logits(ref.params, small.test.images), axis=1)
    assert result.test_accuracy["numpy"] == float(np.mean(pred == small.test.labels))


def _fake_result(dW=0.0, loss_gap=0.0, flips=0, dtype=np.float32):
    """A CompareResult made by hand: W_tf = W_numpy + dW in one entry, the TF loss
    (1 + loss_gap) times NumPy's, and `flips` test predictions changed from right to wrong."""
    W = np.full((4, 3), 0.5, dtype=dtype)  # max |W| = 0.5
    W_tf = W.copy()
    W_tf[0, 0] += dW
    b = np.zeros(3, dtype=dtype)
    truth = np.zeros(10000, dtype=np.int64)  # as many as the MNIST test set
    pred_tf = truth.copy()
    pred_tf[:flips] = 1
    r = compare.CompareResult(TrainConfig(epochs=1), ("numpy", "tf-graph"))
    r.history = {"numpy": [EpochRecord(0, 1.0, 0.9, 0.1)],
                 "tf-graph": [EpochRecord(0, 1.0 + loss_gap, 0.9, 0.1)]}
    r.params = {"numpy": Params(W, b), "tf-graph": Params(W_tf, b)}
    r.divergence = {"tf-graph": [compare.divergence(0, r.history["numpy"][0],
                                                    r.history["tf-graph"][0],
                                                    r.params["numpy"], r.params["tf-graph"])]}
    r.predictions = {"numpy": truth, "tf-graph": pred_tf}
    r.test_accuracy = {"numpy": 1.0, "tf-graph": float(np.mean(pred_tf == truth))}
    return r


def _broken(result, dtype="float32"):
    return [c.name for c in compare.verdict(result, "tf-graph", COMPARE[dtype])
            if not c.ok]


def test_verdict_passes_identical_runs_and_flags_exactly_what_broke():
    assert _broken(_fake_result()) == []
    assert _broken(_fake_result(loss_gap=2e-5)) == ["loss_rel"]
    assert _broken(_fake_result(dW=0.5 * 2e-5)) == ["W_rel"]      # 2e-5 relative to max |W|
    assert _broken(_fake_result(dW=0.5 * 0.5e-5)) == []           # 0.5e-5: within
    assert _broken(_fake_result(flips=2)) == []                   # 2 of 10,000 allowed
    assert _broken(_fake_result(flips=3)) == ["test_accuracy", "test_predictions"]


def test_float64_verdict_adds_the_absolute_W_bound():
    r = _fake_result(dW=1e-11, dtype=np.float64)
    names = [c.name for c in compare.verdict(r, "tf-graph", COMPARE["float64"])]
    assert "W_abs" in names
    assert "W_abs" in _broken(r, "float64")
    assert _broken(_fake_result(dW=1e-13, dtype=np.float64), "float64") == []


def test_divergence_reports_absolute_and_relative_gaps():
    r = _fake_result(dW=1e-3, loss_gap=1e-4)
    d = r.divergence["tf-graph"][0]
    assert d.W_max_abs == pytest.approx(1e-3, rel=1e-3)       # float32 storage of 0.501
    assert d.W_max_rel == pytest.approx(2e-3, rel=1e-3)       # / max |W| = 0.5
    assert d.loss_rel == pytest.approx(1e-4, rel=1e-9)
    assert d.b_max_abs == 0.0


def test_the_issue_tolerances_are_the_float32_ones():
    t = COMPARE["float32"]
    assert (t.loss_rel, t.W_rel, t.test_accuracy, t.test_predictions) == (1e-5, 1e-5, 2e-4, 2)
    assert COMPARE["float64"].W_abs == 1e-12
    for dtype, tol in COMPARE.items():  # every tolerance comes with its reason
        for name, entry in tolerances_record(tol, dtype).items():
            assert entry["limit"] == getattr(tol, name) and len(entry["reason"]) > 20


def test_tolerance_overrides_replace_one_value_and_refuse_nonsense():
    t = tolerances_for("float32", {"W_rel": "1e-9", "test_predictions": "0"})
    assert t.W_rel == 1e-9 and t.test_predictions == 0 and t.loss_rel == 1e-5
    for bad in ({"nope": "1"}, {"W_rel": "abc"}, {"W_rel": "-1"}, {"test_predictions": "1.5"},
                {"loss_rel": "nan"}):
        with pytest.raises(UsageError):
            tolerances_for("float32", bad)
