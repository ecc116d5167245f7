"""tf_softmax: its ops' contract, and the tf-graph / tf-function / keras trainers against NumPy
on real MNIST (a 5,000-image slice here; the full 30-epoch protocol is in test_compare_seed.py)."""
import math

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import DivergenceError, InputError, TrainConfig
from numpy_softmax.tolerances import COMPARE
from softmax_parity import backends

import tf_softmax  # first: it sets TF_CPP_MIN_LOG_LEVEL before TF does (TF's import sets 1)
from tf_softmax import tf  # installed by the Makefile's tf extra: these tests never skip

TF_BACKENDS = ["tf-graph", "tf-function", "keras"]
# NumPy's side with one BLAS thread: spinning BLAS threads slow a busy machine 10x
pytestmark = [pytest.mark.tf, pytest.mark.usefixtures("one_blas_thread")]


@pytest.fixture(scope="module")
def small(mnist):
    """5,000 training and 1,000 validation images: 39 steps per epoch."""
    return (mnist.train.images[:5000], mnist.train.labels[:5000],
            mnist.validation.images[:1000], mnist.validation.labels[:1000])


# --- ops: values computed by hand, dtype kept -------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tf_ops_give_hand_computed_values_in_the_input_dtype(dtype):
    z = np.array([[0.0, math.log(3.0)]], dtype=dtype)  # softmax = [1/4, 3/4]
    y = np.array([1])
    eps = 1e-6 if dtype == np.float32 else 1e-14
    s = tf_softmax.softmax(z)
    assert isinstance(s, np.ndarray) and s.dtype == dtype and s.shape == (1, 2)
    np.testing.assert_allclose(s, [[0.25, 0.75]], rtol=eps)
    np.testing.assert_allclose(tf_softmax.log_softmax(z), np.log([[0.25, 0.75]]), rtol=eps)
    np.testing.assert_allclose(tf_softmax.logsumexp(z), [math.log(4.0)], rtol=eps)
    ce = tf_softmax.cross_entropy(z, y)
    assert ce.dtype == dtype and abs(ce - (-math.log(0.75))) < 4 * eps
    ce_probs = tf_softmax.cross_entropy(z, np.array([[0.0, 1.0]], dtype=dtype))
    assert ce_probs.dtype == dtype and abs(ce_probs - (-math.log(0.75))) < 4 * eps
    g = tf_softmax.grad_logits(z, y)  # (softmax - onehot) / N with N = 1
    assert g.dtype == dtype
    np.testing.assert_allclose(g, [[0.25, -0.25]], rtol=eps)
    assert tf_softmax.accuracy(z, y) == 1.0 and tf_softmax.accuracy(z, [0]) == 0.0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tf_loss_and_grads_by_tape_and_by_tf_gradients_match_the_hand_derivation(dtype, rng):
    X = rng.random((16, 6)).astype(dtype)  # (N, D)
    y = rng.integers(0, 4, 16)
    p = ns.init_params(6, 4, seed=3, stddev=0.5, dtype=dtype)
    loss0, g0 = ns.loss_and_grads(p, X, y)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for fn in (tf_softmax.loss_and_grads, tf_softmax.graph_loss_and_grads):
        loss, g = fn(p, X, y)
        assert np.asarray(loss).dtype == dtype and g.W.dtype == dtype and g.b.dtype == dtype
        assert g.W.shape == (6, 4) and g.b.shape == (4,)
        assert abs(loss - loss0) <= tol * loss0
        np.testing.assert_allclose(g.W, g0.W, rtol=0, atol=tol * np.abs(g0.W).max())
        np.testing.assert_allclose(g.b, g0.b, rtol=0, atol=tol * np.abs(g0.b).max())


def test_tf_ops_refuse_bad_input_with_numpy_softmax_messages():
    p = ns.init_params(3, 4)
    with pytest.raises(InputError) as tf_err:
        tf_softmax.loss_and_grads(p, np.ones((2, 3)), [0, 7])
    with pytest.raises(InputError) as np_err:
        ns.loss_and_grads(p, np.ones((2, 3)), [0, 7])
    assert str(tf_err.value) == str(np_err.value)
    with pytest.raises(InputError):
        tf_softmax.softmax(np.array([[1.0, np.nan]]))


# --- the trainers ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", TF_BACKENDS)
def test_tf_backend_tracks_numpy_epoch_by_epoch_on_real_mnist(name, small):
    X, y, Xv, yv = small
    config = TrainConfig(epochs=3)
    ref = ns.train(X, y, config, X_val=Xv, y_val=yv)
    steps, epochs = [], []
    got = backends.get(name)(X, y, config, X_val=Xv, y_val=yv,
                             on_step=lambda e, s, n: steps.append((e, s, n)),
                             on_epoch=lambda rec, p: epochs.append((rec, p)))
    assert len(got.history) == 3 and [r.epoch for r in got.history] == [0, 1, 2]
    assert len(steps) == 3 * 39 and steps[0] == (0, 0, 39) and steps[-1] == (2, 38, 39)
    assert [r for r, _ in epochs] == list(got.history)
    assert got.params.W.dtype == np.float32 and got.params.W.shape == (784, 10)
    tol = COMPARE["float32"]
    for a, b in zip(ref.history, got.history):
        assert abs(a.loss - b.loss) <= tol.loss_rel * a.loss
        assert abs(a.val_accuracy - b.val_accuracy) <= 2 / 1000  # two of 1,000 images
    W_rel = np.abs(ref.params.W - got.params.W).max() / np.abs(ref.params.W).max()
    assert W_rel <= tol.W_rel


@pytest.mark.parametrize("name", TF_BACKENDS)
def test_tf_backend_in_float64_agrees_with_numpy_to_1e_12(name, small):
    X, y, _, _ = small
    config = TrainConfig(epochs=2, dtype="float64")
    ref = ns.train(X, y, config)
    got = backends.get(name)(X, y, config)
    assert got.params.W.dtype == np.float64
    # a learning rate rounded to float32 anywhere would show here as ~1e-8
    assert np.abs(ref.params.W - got.params.W).max() <= 1e-12


@pytest.mark.parametrize("name", TF_BACKENDS)
def test_tf_backend_starts_from_the_given_params_and_follows_the_batch_order(name, small):
    X, y, _, _ = small
    start = ns.init_params(seed=7, stddev=0.1)
    zero = backends.get(name)(X, y, TrainConfig(epochs=0), params=start)
    np.testing.assert_array_equal(zero.params.W, start.W)
    np.testing.assert_array_equal(zero.params.b, start.b)
    for shuffle in (True, False):  # a different order gives a visibly different first epoch
        config = TrainConfig(epochs=1, shuffle=shuffle)
        ref = ns.train(X, y, config, params=start)
        got = backends.get(name)(X, y, config, params=start)
        assert abs(ref.history[0].loss - got.history[0].loss) <= 1e-5 * ref.history[0].loss
    other = ns.train(X, y, TrainConfig(epochs=1, shuffle=False), params=start)
    assert abs(other.history[0].loss - ns.train(X, y, TrainConfig(epochs=1),
                                                params=start).history[0].loss) > 1e-3


@pytest.mark.parametrize("name", TF_BACKENDS)
def test_tf_backend_raises_divergence_error_like_numpy(name, small):
    X, y, _, _ = small
    config = TrainConfig(epochs=2, lr=1e4)  # steps far too large: the loss runs away
    with pytest.raises(DivergenceError) as ref:
        ns.train(X, y, config)
    with pytest.raises(DivergenceError) as got:
        backends.get(name)(X, y, config)
    assert got.value.epoch == ref.value.epoch


def test_tf_graph_backend_leaves_eager_execution_on(small):
    X, y, _, _ = small
    backends.get("tf-graph")(X[:256], y[:256], TrainConfig(epochs=1))
    assert tf.executing_eagerly()
    assert float(tf.constant(2.0) * 3.0) == 6.0


# --- keras: the model as a Keras user writes it ------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_keras_keeps_its_learning_rate_and_layer_in_the_run_dtype(dtype, small):
    from tf_softmax.keras import KerasStepper
    import keras
    X, y, _, _ = small
    config = TrainConfig(dtype=dtype)
    X, y, p, _, _ = ns.loop.prepare(X[:256], y[:256], config)
    before = keras.config.floatx()
    stepper = KerasStepper(X, y, config, p)
    assert stepper.lr_dtype() == dtype  # a float32 lr in float64 would be off by 2e-9
    assert stepper.model.get_layer("dense").kernel.dtype == dtype
    assert stepper.model.loss.dtype == dtype
    assert keras.config.floatx() == before  # the process's default is left as it was
    stepper.close()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_keras_fit_on_tf_data_takes_the_same_steps_as_train_on_batch(dtype, small):
    from tf_softmax.keras import KerasFitStepper, KerasStepper
    X, y, _, _ = small
    config = TrainConfig(epochs=2, dtype=dtype)
    X, y, p, _, _ = ns.loop.prepare(X, y, config)
    by_batch = ns.loop.run(KerasStepper(X, y, config, p), on_step=lambda e, s, n: None)
    by_fit = ns.loop.run(KerasFitStepper(X, y, config, p))  # steps(): one fit per epoch
    np.testing.assert_array_equal(by_fit.params.W, by_batch.params.W)  # the same batches
    np.testing.assert_array_equal(by_fit.params.b, by_batch.params.b)
    # fit reports the epoch's running mean, accumulated in the run's dtype: its epoch loss
    # is the train_on_batch one to within that mean's rounding
    tol = COMPARE[dtype].loss_rel
    for a, b in zip(by_fit.history, by_batch.history):
        assert abs(a.loss - b.loss) <= tol * b.loss
