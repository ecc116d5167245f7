"""Issue 7: hostile and broken input files are refused with the project's DataError, before
any large allocation; the restricted unpickler runs nothing; a cache file failing its
checksum is removed and fetched again (from a local fake server: no network)."""
import gzip
import hashlib
import io
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

from numpy_softmax import DataError, load_mnist
from numpy_softmax.data import download, mnist, readers, unpickle

MB = 2**20


def idx_bytes(arr: np.ndarray, dims=None, magic=None) -> bytes:
    dims = arr.shape if dims is None else dims
    head = magic if magic is not None else bytes([0, 0, 0x08, len(dims)])
    return head + b"".join(int(d).to_bytes(4, "big") for d in dims) + arr.astype(np.uint8) \
        .tobytes()


def peak_bytes(fn):
    """(exception raised by fn(), the peak traced allocation while it ran). NumPy reports its
    array buffers to tracemalloc, so a large np.empty would show here."""
    tracemalloc.start()
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - returned for the test to check
        err = e
    else:
        err = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return err, peak


def small_arrays(seed=0, n=20):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n).astype(np.uint8),
            "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 5).astype(np.uint8)}


# --- IDX --------------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_a_header_claiming_2_to_the_31_images_is_refused_without_allocating(tmp_path, gz):
    raw = idx_bytes(np.zeros((1, 28, 28)), dims=(2**31, 28, 28))  # 800 bytes of data
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    err, peak = peak_bytes(lambda: readers.read_idx(p, 3))
    assert isinstance(err, DataError) and "claims shape (2147483648, 28, 28)" in str(err)
    assert peak < 1 * MB  # 2^31 x 784 bytes would be 1.6 TB


@pytest.mark.parametrize("dims, needle", [
    ((100, 28, 28), "truncated: header (100, 28, 28) needs 78400 data bytes, file has 7840"),
    ((5, 28, 28), "longer than its header says"),
    ((10, 28, 27), "longer than its header says"),
    ((10, 4097, 28), "far beyond any MNIST-like set"),
])
def test_dimensions_that_do_not_match_the_file_size_are_refused(tmp_path, dims, needle):
    p = tmp_path / "imgs"
    p.write_bytes(idx_bytes(np.zeros((10, 28, 28)), dims=dims))
    with pytest.raises(DataError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        readers.read_idx(p, 3)


@pytest.mark.parametrize("magic", [
    bytes([0, 0, 0x08, 1]),  # a labels file where images belong
    bytes([0, 0, 0x0D, 3]),  # float32 elements
    bytes([0x50, 0x4B, 3, 4]),  # a zip
    bytes(4),  # all zero: no element type
], ids=["labels-magic", "float-dtype", "zip", "zeros"])
def test_wrong_magic_numbers_are_refused(tmp_path, magic):
    p = tmp_path / "imgs"
    p.write_bytes(idx_bytes(np.zeros((2, 28, 28)), magic=magic))
    with pytest.raises(DataError, match="wrong IDX magic number"):
        readers.read_idx(p, 3)


@pytest.mark.parametrize("cut", [10, 100, 1000, -8])
def test_gzip_streams_cut_short_are_refused(tmp_path, cut):
    gz = gzip.compress(idx_bytes(np.random.default_rng(0).integers(0, 256, (20, 28, 28))))
    p = tmp_path / "imgs.gz"
    p.write_bytes(gz[:cut])  # -8: all the data, but no CRC and length trailer
    with pytest.raises(DataError, match="gzip stream is cut short or damaged"):
        readers.read_idx(p, 3)


def test_a_gzip_bomb_stops_at_the_size_limit(tmp_path):
    p = tmp_path / "bomb.gz"
    p.write_bytes(gzip.compress(bytes(8 * MB), compresslevel=9))  # 8 KB that inflate to 8 MB
    err, peak = peak_bytes(lambda: readers.read_bytes(p, limit=1 * MB))
    assert isinstance(err, DataError) and "larger than 1048576 bytes once unpacked" in str(err)
    assert peak < 3 * MB


def test_labels_outside_0_to_9_are_refused_from_idx_and_npz(tmp_path):
    arrs = small_arrays()
    arrs["y_train"][7] = 10
    for key, stem in readers.IDX_NAMES.items():
        (tmp_path / stem).write_bytes(idx_bytes(arrs[key]))
    with pytest.raises(DataError, match=r"train labels outside 0..9 \(found \d+..10\)"):
        load_mnist(path=tmp_path, quiet=True)
    arrs = small_arrays()
    arrs["y_test"] = arrs["y_test"].astype(np.int64)
    arrs["y_test"][0] = -1
    np.savez(tmp_path / "m.npz", **arrs)
    with pytest.raises(DataError, match=r"test labels outside 0..9 \(found -1..\d\)"):
        load_mnist(path=tmp_path / "m.npz", quiet=True)


# --- npz --------------------------------------------------------------------------------------

class RunsACommand:
    """Unpickling this would run a shell command that creates `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_an_npz_holding_a_pickle_that_would_run_a_command_is_refused_unrun(tmp_path):
    marker = tmp_path / "ran"
    arrs = small_arrays()
    arrs["y_test"] = np.array([RunsACommand(marker)] * 5, dtype=object)
    np.savez(tmp_path / "mnist.npz", **arrs)  # savez pickles object arrays
    with pytest.raises(DataError, match="holds pickled Python objects; refused"):
        load_mnist(path=tmp_path / "mnist.npz", quiet=True)
    assert not marker.exists()


def npz_with_member(name: str, header: dict, payload: bytes, others=None) -> bytes:
    """An npz whose member `name`.npy has the given .npy header dict and payload."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, header)
    member.write(payload)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in (others or {}).items():
            b = io.BytesIO()
            np.save(b, v)
            z.writestr(k + ".npy", b.getvalue())
        z.writestr(name + ".npy", member.getvalue())
    return buf.getvalue()


def test_an_npz_member_claiming_2_to_the_31_images_is_refused_without_allocating(tmp_path):
    arrs = small_arrays()
    raw = npz_with_member("x_train", {"descr": "|u1", "fortran_order": False,
                                      "shape": (2**31, 28, 28)}, arrs["x_train"].tobytes(),
                          {k: v for k, v in arrs.items() if k != "x_train"})
    p = tmp_path / "mnist.npz"
    p.write_bytes(raw)
    err, peak = peak_bytes(lambda: readers.read_npz(p))
    assert isinstance(err, DataError) and "claims shape (2147483648, 28, 28)" in str(err)
    assert peak < 1 * MB


@pytest.mark.parametrize("descr, needle", [
    ("<U4", "dtype <U4; refused"),
    ([("a", "<i4")], "refused. Only plain numeric"),
    ("<c16", "dtype complex128; refused"),
], ids=["strings", "structured", "complex"])
def test_npz_members_that_are_not_plain_numbers_are_refused(tmp_path, descr, needle):
    raw = npz_with_member("y_test", {"descr": descr, "fortran_order": False, "shape": (1,)},
                          b"\x00" * 16, {k: v for k, v in small_arrays().items()
                                         if k != "y_test"})
    (tmp_path / "m.npz").write_bytes(raw)
    with pytest.raises(DataError, match=needle.replace("(", r"\(")):
        readers.read_npz(tmp_path / "m.npz")


@pytest.mark.parametrize("content, needle", [
    (b"", "not a readable npz"),
    (b"PK\x03\x04" + b"\x00" * 40, "not a readable npz"),
    (pickle.dumps({"x_train": 1}), "not a readable npz"),
    ("npy", "not a readable npz"),
], ids=["empty", "broken-zip", "a-pickle", "a-single-npy"])
def test_files_that_are_not_npz_are_refused(tmp_path, content, needle):
    if content == "npy":
        b = io.BytesIO()
        np.save(b, np.zeros(3))
        content = b.getvalue()
    (tmp_path / "m.npz").write_bytes(content)
    with pytest.raises(DataError, match=needle):
        readers.read_npz(tmp_path / "m.npz")


@pytest.mark.parametrize("field, value, needle", [
    (10, 99, "compression method is not supported"),
    (10, 12, "Invalid data stream"),
    (8, 1, "encrypted"),
], ids=["unknown-method", "bzip2-garbage", "encrypted"])
def test_zip_level_tricks_are_refused(tmp_path, field, value, needle):
    buf = io.BytesIO()
    np.savez(buf, **small_arrays())
    raw = bytearray(buf.getvalue())
    i = raw.find(b"PK\x01\x02")  # the first central-directory entry
    raw[i + field:i + field + 2] = value.to_bytes(2, "little")
    (tmp_path / "m.npz").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=needle):
        readers.read_npz(tmp_path / "m.npz")


def test_a_cut_npz_is_refused(tmp_path):
    buf = io.BytesIO()
    np.savez_compressed(buf, **small_arrays())
    (tmp_path / "m.npz").write_bytes(buf.getvalue()[:-100])
    with pytest.raises(DataError, match="not a readable npz"):
        readers.read_npz(tmp_path / "m.npz")


# --- the restricted unpickler -----------------------------------------------------------------

class Calls:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("payload", ["os.system", "eval", "nested-in-array-tuple"])
def test_the_restricted_unpickler_refuses_pickles_that_would_run_a_command(tmp_path, payload):
    marker = tmp_path / "ran"
    cmd = f"touch {marker}"
    obj = {"os.system": Calls(os.system, cmd),
           "eval": Calls(eval, f"__import__('os').system({cmd!r})"),
           "nested-in-array-tuple": ((np.zeros(3, np.float32), Calls(os.system, cmd)),)}[payload]
    raw = pickle.dumps(obj, protocol=2)
    with pytest.raises(DataError, match="refused to load global (posix|os|nt).system|"
                                        "refused to load global (__builtin__|builtins).eval"):
        unpickle.restricted_loads(raw, "evil.pkl")
    with pytest.raises(DataError, match="refused"):
        unpickle.arrays_from_mnist_pkl(gzip.compress(raw), "evil.pkl.gz")
    assert not marker.exists()


class HugeArray:
    """Pickles as numpy's own array reconstruction, asking for a 1 TB buffer up front."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct
        return (_reconstruct, (np.ndarray, (2**40,), b"B"))


def test_the_restricted_unpickler_refuses_object_arrays_and_huge_shapes():
    with pytest.raises(DataError, match="refused dtype object"):
        unpickle.restricted_loads(pickle.dumps(np.array([1, "a"], dtype=object), protocol=2), "o")
    err, peak = peak_bytes(lambda: unpickle.restricted_loads(pickle.dumps(HugeArray(),
                                                                          protocol=2), "big"))
    assert isinstance(err, DataError) and "refused: an array of shape (1099511627776,)" in \
        str(err)
    assert peak < 1 * MB


def test_the_restricted_unpickler_still_reads_plain_arrays():
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([3, 1], np.int64)
    got = unpickle.restricted_loads(pickle.dumps(((a, b),), protocol=2), "ok")
    np.testing.assert_array_equal(got[0][0], a)
    np.testing.assert_array_equal(got[0][1], b)
    assert got[0][0].dtype == np.float32 and got[0][1].dtype == np.int64


# --- the cache: a bad file is removed and fetched again -----------------------------------------

class FakeResponse(io.BytesIO):
    def __init__(self, body: bytes, length=None):
        super().__init__(body)
        self.headers = {"Content-Length": str(len(body) if length is None else length)}


@pytest.fixture
def local_server(monkeypatch):
    """Serve the keras route from memory: urlopen returns our bytes; every URL is recorded."""
    arrs = small_arrays(seed=4)
    body = readers.npz_bytes(arrs)
    monkeypatch.setattr(mnist, "KERAS_NPZ", ("https://example.invalid/mnist.npz",
                                            hashlib.sha256(body).hexdigest()))
    monkeypatch.setitem(mnist.CONTENT_SHA256, "mnist", mnist.content_sha256(arrs))
    hits = []

    def urlopen(url, timeout=None):
        hits.append(url)
        if url != "https://example.invalid/mnist.npz":
            raise OSError(f"no route to {url}")
        return FakeResponse(body)
    monkeypatch.setattr(download.urllib.request, "urlopen", urlopen)
    return arrs, hits


@pytest.mark.parametrize("damage", ["checksum", "garbage", "pickle"])
def test_a_cache_file_failing_its_checksum_is_removed_and_fetched_again(tmp_path, capsys,
                                                                        local_server, damage):
    arrs, hits = local_server
    cache = tmp_path / "mnist.npz"
    if damage == "checksum":
        bad = dict(arrs)
        bad["x_test"] = arrs["x_test"].copy()
        bad["x_test"][0, 0, 0] ^= 1  # one pixel, one bit
        cache.write_bytes(readers.npz_bytes(bad))
    elif damage == "garbage":
        cache.write_bytes(os.urandom(300))
    else:
        np.savez(cache, **{**arrs, "y_test": np.array([1] * 5, dtype=object)})
    got, source, path = mnist.fetch("mnist", cache_dir=tmp_path)
    err = capsys.readouterr().err
    assert f"cache file {cache}" in err and "removing it and fetching again" in err
    assert ("fails its content checksum" in err) == (damage == "checksum")
    assert hits == ["https://example.invalid/mnist.npz"] and source == hits[0]
    for k in arrs:
        np.testing.assert_array_equal(got[k], arrs[k])
    again, source2, _ = mnist.fetch("mnist", cache_dir=tmp_path, quiet=True)  # now it is good
    assert source2 == f"cache {cache}" and len(hits) == 1


def test_a_download_larger_than_the_limit_is_abandoned(monkeypatch):
    monkeypatch.setattr(download.urllib.request, "urlopen",
                        lambda url, timeout=None: FakeResponse(b"x" * 100, length=10**12))
    with pytest.raises(DataError, match="offers 1000000000000 bytes"):
        download.download("https://example.invalid/big", quiet=True)
    monkeypatch.setattr(download.urllib.request, "urlopen",
                        lambda url, timeout=None: FakeResponse(b"x" * 5000, length=0))
    with pytest.raises(DataError, match="more than 1024 bytes"):
        download.download("https://example.invalid/big", quiet=True, limit=1024)
