"""Edge cases a user hits at the CLI and the API edge (found in review): each ends in one
clear line and exit 2, or a named InputError/DataError, never a traceback or a wrong run."""
import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import DataError, InputError
from numpy_softmax.data import IDX_NAMES, mnist


def cli(*args):
    return subprocess.run([sys.executable, "-m", "softmax_parity", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args,needle", [
    (["explain", "--no-tf", "--seed", "-1"], "--seed"),
    (["explain", "--no-tf", "--toy", "--lr", "-1"], "--lr"),
    (["explain", "--no-tf", "--toy", "--lr", "nan"], "--lr"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "1", "--lr", "inf"], "--lr"),
    (["bench", "--train-size", "10", "--sections", "epochs"], "--train-size"),
    (["trian"], "invalid choice"),
])
def test_bad_flags_are_one_line_and_exit_2(args, needle):
    r = cli(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr


def test_a_logdir_that_cannot_be_made_is_named_as_logdir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = cli("train", "--epochs", "1", "--logdir", str(blocker / "sub"))
    assert r.returncode == 2 and "--logdir" in r.stderr and "--out" not in r.stderr


def test_a_cache_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = cli("data", "--cache-dir", str(f))
    assert r.returncode == 2 and "--cache-dir" in r.stderr


def test_a_run_record_that_is_not_an_object_is_refused(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps([1, 2, 3]))
    from softmax_parity.runrecord import read_run
    with pytest.raises(DataError, match="not a run record"):
        read_run(tmp_path)


def _write_fake_idx(folder, rng):
    arrs = {"x_train": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 40).astype(np.uint8),
            "x_test": rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 8).astype(np.uint8)}
    for key, stem in IDX_NAMES.items():
        a = arrs[key]
        head = bytes([0, 0, 8, a.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in a.shape)
        (folder / (stem + ".gz")).write_bytes(gzip.compress(head + a.tobytes()))
    return arrs


def test_the_other_datasets_files_under_the_wrong_name_are_refused(tmp_path, rng, monkeypatch):
    arrs = _write_fake_idx(tmp_path, rng)
    monkeypatch.setitem(mnist.CONTENT_SHA256, "fashion", mnist.content_sha256(arrs))
    with pytest.raises(DataError, match="holds fashion, not mnist; pass --dataset fashion"):
        ns.load_mnist("mnist", path=tmp_path, quiet=True)
    ds = ns.load_mnist("fashion", path=tmp_path, validation_size=10, quiet=True)
    assert ds.describe()["verified"] is True


def test_non_canonical_files_are_used_but_recorded_as_unverified(tmp_path, rng, capsys):
    _write_fake_idx(tmp_path, rng)
    ds = ns.load_mnist(path=tmp_path, validation_size=10, quiet=True)
    assert ds.describe()["verified"] is False  # what the run record keeps
    assert capsys.readouterr().err == ""
    ns.load_mnist(path=tmp_path, validation_size=10)
    assert "not the canonical mnist" in capsys.readouterr().err


def test_fashion_comes_from_debians_folder_when_installed(tmp_path, rng, monkeypatch):
    deb = tmp_path / "debian"
    deb.mkdir()
    arrs = _write_fake_idx(deb, rng)
    monkeypatch.setitem(mnist.CONTENT_SHA256, "fashion", mnist.content_sha256(arrs))
    monkeypatch.setattr(mnist, "FASHION_DEBIAN", str(deb))
    ds = ns.load_mnist("fashion", cache_dir=tmp_path / "cache", validation_size=10, quiet=True)
    assert "Debian" in ds.source and ds.class_names[9] == "Ankle boot"
    np.testing.assert_array_equal(ds.test.labels, arrs["y_test"])
    again = ns.load_mnist("fashion", cache_dir=tmp_path / "cache", validation_size=10, quiet=True)
    assert again.source.startswith("cache")


def test_train_refuses_a_label_outside_the_ten_classes_instead_of_widening_the_model():
    X = np.zeros((256, 784), np.float32)
    y = np.zeros(256, np.int64)
    y[7] = 10
    with pytest.raises(InputError, match=r"\[0, 10\)"):
        ns.train(X, y, ns.TrainConfig(epochs=1))
    y[7] = 10**9
    with pytest.raises(InputError, match=r"\[0, 10\)"):
        ns.train(X, y, ns.TrainConfig(epochs=1))
    r = ns.train(X[:, :5], np.arange(256) % 3, ns.TrainConfig(epochs=1), n_classes=3)
    assert r.params.W.shape == (5, 3)


def test_api_edge_names_a_bad_axis_an_empty_class_axis_and_a_bad_seed():
    with pytest.raises(InputError, match="axis"):
        ns.softmax(np.zeros((3, 4)), axis=5)
    with pytest.raises(InputError, match="at least one class"):
        ns.log_softmax(np.zeros((3, 0)))
    with pytest.raises(InputError, match="seed"):
        ns.init_params(seed=-1)
    with pytest.raises(InputError, match="seed"):
        ns.init_params(seed=1.5)


def test_numpy_scalar_learning_rates_are_accepted_as_python_floats():
    assert type(ns.TrainConfig(lr=np.float32(0.5)).lr) is float
    with pytest.raises(InputError, match="lr"):
        ns.TrainConfig(lr=True)
