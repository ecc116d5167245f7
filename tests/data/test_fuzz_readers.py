"""Issue 7: fuzzing the readers. Random bytes and mutations of valid files go to the IDX reader
(plain and gzipped), the npz reader, the checkpoint reader and the restricted unpickler; the
only outcomes allowed are a result or the project's DataError (anything else fails the test:
an IndexError, a MemoryError, a zipfile or numpy exception that leaked through).

Inputs are kept small (valid files of a few hundred bytes) so that the >= 500 examples each
reader gets run in seconds."""
import gzip
import io
import pickle

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numpy_softmax import DataError
from numpy_softmax.data import readers, unpickle
from numpy_softmax.model import Params
from numpy_softmax.loop import EpochRecord, Position, TrainConfig
from softmax_parity import checkpoint

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def idx_file(shape) -> bytes:
    arr = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) % 256
    head = bytes([0, 0, 0x08, len(shape)]) + b"".join(int(d).to_bytes(4, "big") for d in shape)
    return head + arr.astype(np.uint8).tobytes()


IDX_IMAGES = idx_file((3, 28, 28))
IDX_IMAGES_SMALL = idx_file((2, 4, 4))
IDX_LABELS = idx_file((10,))


def npz_file(compressed: bool) -> bytes:
    arrs = {"x_train": np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(
                np.uint8),
            "y_train": np.array([3, 9], np.uint8),
            "x_test": np.zeros((1, 28, 28), np.uint8),
            "y_test": np.array([7], np.int64)}
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrs)
    return buf.getvalue()


NPZ_PLAIN, NPZ_ZIPPED = npz_file(False), npz_file(True)
CKPT = checkpoint.to_bytes(checkpoint.Checkpoint(
    Params(np.ones((3, 2), np.float32), np.zeros(2, np.float32)), Position(1, 2, 3.5, 0.1),
    TrainConfig(), (EpochRecord(0, 2.25, 0.5, 0.1),), "numpy"))
PICKLE = pickle.dumps(((np.arange(4, dtype=np.float32), np.arange(4)),), protocol=2)


@st.composite
def mutated(draw, base: bytes):
    """`base` after 1-4 edits: flip a byte, overwrite a 4-byte big-endian field (IDX sizes)
    or a 2-byte little-endian one (zip fields) with a telling number, cut the tail, insert
    or delete a few bytes."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "field", "field16", "cut", "insert", "delete"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[i] ^= draw(st.integers(1, 255))
        elif op == "field":
            v = draw(st.sampled_from([0, 1, 255, 2**16, 2**31, 2**32 - 1]) | st.integers(0, 2**32
                                                                                  - 1))
            data[i:i + 4] = v.to_bytes(4, "big")
        elif op == "field16":  # zip headers: little-endian 2-byte counts, methods, flags
            data[i:i + 2] = draw(st.sampled_from([1, 8, 12, 14, 99, 0xFFFF])).to_bytes(2, "little")
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 8))]
    return bytes(data)


def gz(b: bytes) -> bytes:
    return gzip.compress(b, mtime=0)


def idx_or_data_error(raw: bytes, ndim: int) -> None:
    try:
        arr = readers.parse_idx(readers.unpack(raw, "fuzz", limit=2**20), "fuzz", ndim)
    except DataError:
        return
    assert arr.dtype == np.uint8 and arr.ndim == ndim  # a result is a well-formed one


def npz_or_data_error(raw: bytes) -> None:
    try:
        arrs = readers.read_npz_arrays(raw, "fuzz", ("x_train", "y_train", "x_test", "y_test"),
                                       limit=2**20)
        readers.check_arrays(arrs, "fuzz")
    except DataError:
        return


# --- IDX --------------------------------------------------------------------------------------

@FUZZ
@given(st.binary(max_size=64) | st.binary(max_size=64).map(gz), st.sampled_from([1, 3]))
def test_idx_reader_on_random_bytes_returns_or_raises_data_error(raw, ndim):
    idx_or_data_error(raw, ndim)


@FUZZ
@given(st.sampled_from([IDX_IMAGES, IDX_IMAGES_SMALL, IDX_LABELS]).flatmap(mutated),
       st.booleans(), st.sampled_from([1, 3]))
def test_idx_reader_on_mutated_files_returns_or_raises_data_error(raw, zipped, ndim):
    idx_or_data_error(gz(raw) if zipped else raw, ndim)


@SOME
@given(st.sampled_from([gz(IDX_IMAGES), gz(IDX_LABELS)]).flatmap(mutated))
def test_idx_reader_on_mutated_gzip_streams_returns_or_raises_data_error(raw):
    idx_or_data_error(raw, 3)


# --- npz --------------------------------------------------------------------------------------

@FUZZ
@given(st.sampled_from([NPZ_PLAIN, NPZ_ZIPPED]).flatmap(mutated))
def test_npz_reader_on_mutated_files_returns_or_raises_data_error(raw):
    npz_or_data_error(raw)


@SOME
@given(st.binary(max_size=200) | st.binary(max_size=100).map(lambda b: b"PK\x03\x04" + b))
def test_npz_reader_on_random_bytes_returns_or_raises_data_error(raw):
    npz_or_data_error(raw)


# --- checkpoints and pickles --------------------------------------------------------------------

@SOME
@given(mutated(CKPT))
def test_checkpoint_reader_on_mutated_files_returns_or_raises_data_error(raw):
    try:
        ck = checkpoint.from_bytes(raw, "fuzz")
    except DataError:
        return
    assert np.all(np.isfinite(ck.params.W))  # whatever loads is finite and consistent
    assert len(ck.history) == ck.position.epoch


@SOME
@given(mutated(PICKLE) | st.binary(max_size=64).map(lambda b: b"\x80\x02" + b))
def test_restricted_unpickler_on_mutated_pickles_returns_or_raises_data_error(raw):
    try:
        unpickle.restricted_loads(raw, "fuzz")
    except DataError:
        return


def test_the_fuzzed_files_are_valid_before_mutation():
    """The seeds of the mutations read back, so the fuzzing starts from real files."""
    assert readers.parse_idx(IDX_IMAGES, "ok", 3).shape == (3, 28, 28)
    labels = readers.parse_idx(readers.unpack(gz(IDX_LABELS), "ok"), "ok", 1)
    assert labels.tolist() == list(range(10))
    for raw in (NPZ_PLAIN, NPZ_ZIPPED):
        arrs = readers.check_arrays(readers.read_npz_arrays(raw, "ok", ("x_train", "y_train",
                                                                        "x_test", "y_test")), "ok")
        assert arrs["y_train"].tolist() == [3, 9] and arrs["x_test"].shape == (1, 28, 28)
    assert checkpoint.from_bytes(CKPT, "ok").position == Position(1, 2, 3.5, 0.1)
    assert unpickle.restricted_loads(PICKLE, "ok")[0][0].tolist() == [0.0, 1.0, 2.0, 3.0]
