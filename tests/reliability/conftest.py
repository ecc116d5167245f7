"""Fixtures of the reliability tests: a small MNIST-shaped IDX folder (passed with --data-dir,
so no test needs the network or the real MNIST) and readers of what `train --out` wrote."""
import json
import os

import numpy as np
import pytest

from numpy_softmax.data import IDX_NAMES

N_TRAIN = 5000 + 6400  # 5,000 go to validation; 6,400 / 128 = 50 steps per epoch


def idx_bytes(arr: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def write_idx_dir(folder, seed):
    rng = np.random.default_rng(seed)
    arrs = {"x_train": rng.integers(0, 256, (N_TRAIN, 28, 28)),
            "y_train": rng.integers(0, 10, N_TRAIN),
            "x_test": rng.integers(0, 256, (200, 28, 28)),
            "y_test": rng.integers(0, 10, 200)}
    os.makedirs(folder, exist_ok=True)
    for key, stem in IDX_NAMES.items():
        with open(os.path.join(folder, stem), "wb") as f:
            f.write(idx_bytes(arrs[key]))
    return str(folder)


@pytest.fixture
def make_idx_dir():
    """make_idx_dir(folder, seed) -> str: writes an MNIST-shaped IDX folder of N_TRAIN training
    and 200 test images drawn from `seed` (50 steps of 128 per epoch after validation)."""
    return write_idx_dir


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """One such folder (seed 1), written once; the tests only read it."""
    return write_idx_dir(tmp_path_factory.mktemp("idx"), seed=1)


@pytest.fixture
def params_bits():
    """params_bits(out) -> bytes: W and b of out/params.npz, for bit-for-bit comparisons."""
    def read(out) -> bytes:
        with np.load(os.path.join(out, "params.npz"), allow_pickle=False) as z:
            return z["W"].tobytes() + z["b"].tobytes()
    return read


@pytest.fixture
def history():
    """history(out) -> [(epoch, loss, val_accuracy)] of out/run.json."""
    def read(out):
        with open(os.path.join(out, "run.json")) as f:
            return [(h["epoch"], h["loss"], h["val_accuracy"]) for h in json.load(f)["history"]]
    return read
