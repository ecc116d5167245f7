"""The fast stepper's exact mode computes the reference stepper's numbers, bit for bit, through
the loop. (Its fast mode, train()'s default, rounds differently: parity_tests/test_fast_mode.py
holds it to the compare tolerances.)

Every comparison here is exact (np.array_equal, ==): FastStepper(exact=True) makes the same
NumPy and BLAS calls on the same operands in the same order as ReferenceStepper, so there is no
rounding difference to allow for. Both sides run in the same process with the same BLAS threads (the
BLAS thread count can change sgemm's rounding; see docs/benchmarks.md).
"""
import functools
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numpy_softmax as ns
from numpy_softmax import FastStepper, ReferenceStepper, loop
from numpy_softmax.data import ScaledRows, source_rows
from numpy_softmax.loop import Position, prepare

Exact = functools.partial(FastStepper, exact=True)  # the exact mode, as train(stepper="exact")


# One BLAS thread for both sides: on a loaded 2-core machine, two threads make the MNIST tests
# much slower. The default threads are tested once, on a part of an epoch.
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def epoch(cls, X, y, p, cfg, epoch, first_step=0, **kw):
    """loop.run_epoch of a new `cls` stepper from p: (loss or None, Params, Position)."""
    rec, params, stopped = loop.run_epoch(cls(X, y, cfg, p), epoch,
                                          start=Position(epoch, first_step), **kw)
    at = None if stopped is None else (stopped.epoch, stopped.step, stopped.loss_sum)
    return (None if rec is None else rec.loss), params, at


@pytest.mark.default_blas_threads
def test_fast_stepper_equals_the_reference_with_the_default_blas_threads(mnist):
    cfg = ns.TrainConfig()
    X, y, p, _, _ = prepare(mnist.train.images[:6400], mnist.train.labels[:6400], cfg)
    assert_same_epoch(epoch(Exact, X, y, p, cfg, 0),
                      epoch(ReferenceStepper, X, y, p, cfg, 0))


def problem(seed, n, d, c, dtype="float32"):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(n, d), dtype=np.uint8)  # (n, d)
    X = (pixels.astype(np.float32) * np.float32(1 / 255)).astype(dtype)  # as the loader
    y = rng.integers(0, c, size=n)  # (n,)
    return pixels, X, y, ns.init_params(d, c, seed=seed, stddev=0.1, dtype=dtype)


def assert_same_epoch(a, b):
    (la, pa, sa), (lb, pb, sb) = a, b
    assert pa.W.shape == pb.W.shape and pa.W.dtype == pb.W.dtype and pa.b.dtype == pb.b.dtype
    assert la == lb and sa == sb
    assert np.array_equal(pa.W, pb.W) and np.array_equal(pa.b, pb.b)


def test_fast_stepper_equals_the_reference_bit_for_bit_on_an_mnist_epoch(mnist):
    """The seed's protocol on real MNIST: 429 steps of 128 rows, from float images and from
    uint8 pixels. Parameters, losses: identical."""
    cfg = ns.TrainConfig(epochs=1)
    X, y, p, _, _ = prepare(mnist.train.images, mnist.train.labels, cfg)
    pix = ScaledRows(mnist.train.pixels, 1 / 255)
    steps = []
    ref = epoch(ReferenceStepper, X, y, p, cfg, 3, on_step=lambda e, s, n: steps.append(s))
    from_floats = epoch(Exact, X, y, p, cfg, 3)
    from_pixels = epoch(Exact, pix, y, p, cfg, 3)
    assert steps == list(range(429))
    assert_same_epoch(from_floats, ref)
    assert_same_epoch(from_pixels, ref)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 90), d=st.integers(1, 12),
       c=st.integers(2, 6), batch=st.integers(1, 40), drop_last=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]), lr=st.sampled_from([0.01, 0.3, 2.0]),
       first=st.integers(0, 3), pixels=st.booleans())
def test_fast_stepper_equals_the_reference_on_any_small_problem(seed, n, d, c, batch, drop_last,
                                                              dtype, lr, first, pixels):
    """Any shape, batch size (a short last batch when drop_last=False), dtype, learning rate,
    first step, and either storage."""
    n = max(n, batch) if drop_last else n
    pix, X, y, p = problem(seed, n, d, c, dtype)
    cfg = ns.TrainConfig(batch_size=batch, lr=lr, seed=seed, dtype=dtype, drop_last=drop_last)
    n_steps = ns.steps_per_epoch(n, cfg)
    first = min(first, n_steps - 1)
    ref = epoch(ReferenceStepper, X, y, p, cfg, 1, first)
    Xf = ScaledRows(pix, 1 / 255, dtype) if pixels else X
    assert_same_epoch(epoch(Exact, Xf, y, p, cfg, 1, first), ref)


def test_fast_stepper_leaves_the_given_params_untouched():
    _, X, y, p = problem(0, 64, 5, 3)
    W0, b0 = p.W.copy(), p.b.copy()
    _, out, _ = epoch(FastStepper, X, y, p, ns.TrainConfig(batch_size=16, lr=0.5), 0)
    assert np.array_equal(p.W, W0) and np.array_equal(p.b, b0)
    assert not np.array_equal(out.W, W0)


def test_both_steppers_report_every_step_and_stop_where_asked():
    _, X, y, p = problem(1, 100, 4, 3)
    cfg = ns.TrainConfig(batch_size=10, lr=0.5)
    seen = {}
    for cls in (ReferenceStepper, Exact):
        calls = []
        out = epoch(cls, X, y, p, cfg, 2, 1, on_step=lambda e, s, n: calls.append((e, s, n)),
                    should_stop=lambda: len(calls) == 4)
        seen[cls] = (calls, out)
    assert seen[Exact][0] == seen[ReferenceStepper][0] == [(2, s, 10) for s in (1, 2, 3, 4)]
    assert seen[Exact][1][2][:2] == (2, 5)  # stopped: resume at epoch 2, step 5
    assert_same_epoch(seen[Exact][1], seen[ReferenceStepper][1])


def test_every_stepper_meets_the_divergence_error_at_the_same_step():
    _, X, y, p = problem(2, 128, 6, 4)
    cfg = ns.TrainConfig(batch_size=16, lr=1e30)
    errors = []
    for cls in (ReferenceStepper, Exact, FastStepper):
        with pytest.raises(ns.DivergenceError) as e:
            epoch(cls, X, y, p, cfg, 5)
        errors.append((e.value.epoch, e.value.step, str(e.value)))
    assert errors[0] == errors[1]  # the exact mode: the same message, the same loss in it
    assert errors[0][:2] == errors[2][:2] == (5, 1)  # step 0 takes the huge step; step 1
    #                                                   sees its loss


def test_the_fast_stepper_takes_rows_in_another_dtype_as_the_parameters_dtype():
    _, X, y, p = problem(4, 40, 3, 2, "float64")  # float64 rows, float32 params
    p32 = ns.Params(p.W.astype(np.float32), p.b.astype(np.float32))
    cfg = ns.TrainConfig(batch_size=8, lr=0.5)
    assert_same_epoch(epoch(Exact, X, y, p32, cfg, 0),
                      epoch(ReferenceStepper, X.astype(np.float32), y, p32, cfg, 0))


def test_the_fast_stepper_refuses_a_batch_with_rows_that_do_not_exist():
    _, X, y, p = problem(3, 20, 3, 2)
    stepper = FastStepper(X, y, ns.TrainConfig(batch_size=2), p)
    with pytest.raises(IndexError):
        stepper.step(np.array([5, 20]))


def test_train_with_the_exact_stepper_is_bit_identical_to_the_reference(mnist):
    cfg = ns.TrainConfig(epochs=2)
    sl = slice(0, 6000)
    runs = {}
    for name in ("exact", "reference"):
        runs[name] = ns.train(ScaledRows(mnist.train.pixels[sl], 1 / 255),
                              mnist.train.labels[sl], cfg, stepper=name)
    assert np.array_equal(runs["exact"].params.W, runs["reference"].params.W)
    assert np.array_equal(runs["exact"].params.b, runs["reference"].params.b)
    with pytest.raises(ns.InputError, match="stepper"):
        ns.train(mnist.train.images[sl], mnist.train.labels[sl], cfg, stepper="turbo")


def test_scaled_rows_give_the_loaders_float_images_bit_for_bit(mnist):
    rows = ScaledRows(mnist.test.pixels, 1 / 255)
    idx = np.array([0, 9999, 5, 5, 17])
    assert rows.shape == mnist.test.images.shape and rows.dtype == np.float32
    assert np.array_equal(rows[idx], mnist.test.images[idx])
    assert np.array_equal(rows.materialize(), mnist.test.images)
    r64 = rows.astype(np.float64)
    assert r64.dtype == np.float64 and np.array_equal(r64[idx],
                                                      mnist.test.images[idx].astype(np.float64))


@pytest.mark.parametrize("data, scale", [(np.zeros((3, 4), np.float32), 0.5),
                                         (np.zeros(4, np.uint8), 0.5),
                                         (np.zeros((3, 4), np.uint8), 0.0),
                                         (np.zeros((3, 4), np.uint8), float("nan"))])
def test_scaled_rows_refuse_float_storage_flat_arrays_and_bad_scales(data, scale):
    with pytest.raises(ns.InputError):
        ScaledRows(data, scale)


def test_training_on_pixels_with_the_exact_stepper_equals_the_reference_training(mnist):
    """train() end to end (2 epochs on 6,000 rows, validation accuracy, history): uint8 pixels
    through the exact stepper give the reference's float-image run exactly."""
    cfg = ns.TrainConfig(epochs=2)
    sl = slice(0, 6000)
    ref = ns.train(mnist.train.images[sl], mnist.train.labels[sl], cfg,
                   X_val=mnist.validation.images, y_val=mnist.validation.labels,
                   stepper="reference")
    fast = ns.train(ScaledRows(mnist.train.pixels[sl], 1 / 255), mnist.train.labels[sl], cfg,
                    X_val=mnist.validation.images, y_val=mnist.validation.labels,
                    stepper="exact")
    assert [(h.epoch, h.loss, h.val_accuracy) for h in fast.history] == \
        [(h.epoch, h.loss, h.val_accuracy) for h in ref.history]
    assert np.array_equal(fast.params.W, ref.params.W)
    assert np.array_equal(fast.params.b, ref.params.b)


def test_training_on_pixels_never_holds_a_float_copy_of_the_training_set(mnist):
    """NumPy reports its allocations to tracemalloc: the peak while training from 20,000 uint8
    rows stays far below the 62.7 MB one float32 copy would take."""
    pixels, labels = mnist.train.pixels[:20000], mnist.train.labels[:20000]
    float_copy = pixels.size * 4
    cfg = ns.TrainConfig(epochs=1)
    tracemalloc.start()
    try:
        ns.train(ScaledRows(pixels, 1 / 255), labels, cfg)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < float_copy / 10, f"peak {peak / 1e6:.1f} MB"


def test_the_loaders_images_are_read_only_and_remember_their_pixels(mnist):
    images = mnist.train.images
    assert not images.flags.writeable
    with pytest.raises(ValueError):
        images[0, 0] = 1.0  # the promise images == pixels * float32(1/255) cannot be broken
    rows = source_rows(images)
    assert rows is not None and rows.data is mnist.train.pixels
    assert np.array_equal(rows[np.arange(5)], images[:5])
    for other in (images[:100], images.copy(), np.array(images), images.T, images[::2]):
        assert source_rows(other) is None


def test_train_reads_the_loaders_images_from_their_pixels_with_the_same_numbers(mnist,
                                                                             monkeypatch):
    kinds = []
    real = FastStepper.__init__

    def spy(self, X, *a, **k):
        kinds.append(type(X).__name__)
        real(self, X, *a, **k)

    monkeypatch.setattr(FastStepper, "__init__", spy)
    cfg = ns.TrainConfig(epochs=1)
    from_images = ns.train(mnist.train.images, mnist.train.labels, cfg, stepper="exact")
    from_floats = ns.train(np.array(mnist.train.images), mnist.train.labels, cfg,
                           stepper="exact")  # a copy
    assert kinds == ["ScaledRows", "ndarray"]
    assert from_images.history[0].loss == from_floats.history[0].loss
    assert np.array_equal(from_images.params.W, from_floats.params.W)
