"""Edge cases of the loader (found in review): another dataset's files, files that are not
the canonical ones, Fashion-MNIST from Debian's folder; each ends in a named DataError or is
used and recorded for what it is."""
import gzip

import numpy as np
import pytest

import numpy_softmax as ns
from numpy_softmax import DataError
from numpy_softmax.data import IDX_NAMES, mnist


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
