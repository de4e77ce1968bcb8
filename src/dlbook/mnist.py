"""MNIST on disk: download once, verify every byte, read the IDX format.

MNIST ships as four gzipped IDX files. IDX is the simplest array format there
is: a 4-byte magic number ``0x00 0x00 <type code> <number of dims>``, then each
dimension as a big-endian unsigned 32-bit integer, then the values in C order.

The files are fetched from ``MNIST_URL`` and cached under one directory
(``cache_dir`` if given, else ``$DLBOOK_CACHE``, else ``~/.cache/dlbook``), in
its ``mnist/`` subfolder. Every file is checked against its SHA-256 in
``MNIST_FILES``, both right after a download and every time it is read from the
cache, so a truncated or tampered file is never used. A download goes to a
temporary file in the same folder and is renamed into place only after its hash
matches, so an interrupted download never leaves a file under the final name.
The downloads have one deadline in all (``timeout``, default ``DOWNLOAD_TIMEOUT``):
a server that trickles a byte at a time is given up on with a clear error, not
waited for for ever.

``dlbook.data.load_mnist`` turns these arrays into a ready-to-train ``Dataset``.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import numbers
import os
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

import numpy as np

__all__ = ["MNIST_URL", "MNIST_FILES", "DOWNLOAD_TIMEOUT", "ChecksumError", "cache_root", "fetch_mnist",
           "read_idx"]

# The mirror torchvision downloads from; the files are byte-identical to Yann LeCun's originals.
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"

# SHA-256 of each gzipped file, as published in TensorFlow Datasets' MNIST checksums.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# The most seconds all four downloads may take together (11 MB: minutes even on a slow line).
DOWNLOAD_TIMEOUT = 600.0
# The most seconds one network read may wait for a byte.
READ_TIMEOUT = 60.0

# IDX type code -> NumPy dtype; multi-byte values are big-endian ('>').
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class ChecksumError(ValueError):
    """A file's SHA-256 is not the one published for it."""

    def __init__(self, path: Path, expected: str, actual: str, what: str) -> None:
        super().__init__(
            f"Checksum mismatch for {path.name} ({what}): expected SHA-256 {expected}, "
            f"got {actual}. The file was removed; run again to download it afresh."
        )
        self.path, self.expected, self.actual = path, expected, actual


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where downloads are cached: ``cache_dir``, else ``$DLBOOK_CACHE``, else ``~/.cache/dlbook``.

    Args:
        cache_dir: explicit directory (str or path), or None to use the defaults.

    Returns:
        The directory as a ``Path`` (not created here).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("DLBOOK_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "dlbook"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, dest: Path, sha256: str, deadline: float, timeout: float) -> None:
    """Download ``url`` to ``dest`` atomically: temp file in the same folder, verify, rename.

    ``deadline`` is a ``time.monotonic()`` instant: past it the download is abandoned.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        try:
            # A socket timeout bounds each read only, so the deadline is checked after every
            # chunk; read1 returns what has arrived instead of waiting for a whole megabyte.
            read_timeout = max(min(READ_TIMEOUT, deadline - time.monotonic()), 0.001)
            with os.fdopen(fd, "wb") as f, urlopen(url, timeout=read_timeout) as response:
                for chunk in iter(lambda: response.read1(1 << 20), b""):
                    f.write(chunk)
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the downloads took longer than timeout={timeout:g} s in all")
        except (OSError, http.client.HTTPException) as err:
            raise ConnectionError(
                f"Downloading {url} failed ({err}). Without internet access, fetch the four "
                f"MNIST files ({', '.join(MNIST_FILES)}) on another machine and copy them "
                f"into {dest.parent}"
            ) from err
        actual = _sha256(tmp)
        if actual != sha256:
            raise ChecksumError(dest, sha256, actual, f"downloaded from {url}")
        os.replace(tmp, dest)  # atomic on one filesystem: dest is complete or absent
    finally:
        tmp.unlink(missing_ok=True)


def fetch_mnist(
    cache_dir: str | os.PathLike | None = None, *, timeout: float = DOWNLOAD_TIMEOUT
) -> dict[str, Path]:
    """Make sure every file in ``MNIST_FILES`` is cached and verified; return their paths.

    Args:
        cache_dir: cache directory, see ``cache_root``; files go in its ``mnist/`` folder.
        timeout: the most seconds the downloads may take in all, > 0. Default ``DOWNLOAD_TIMEOUT``.

    Returns:
        ``{file name: path}`` for each entry of ``MNIST_FILES``.

    Raises:
        ChecksumError: a cached or downloaded file has the wrong SHA-256 (it is deleted).
        ConnectionError: a download failed or ran out of time; the message says where to put
            the files by hand.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not (0 < timeout < math.inf):
        raise ValueError(f"Invalid timeout: {timeout!r} (expected seconds > 0)")
    deadline = time.monotonic() + timeout
    folder = cache_root(cache_dir) / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, sha256 in MNIST_FILES.items():
        path = folder / name
        if path.exists():
            actual = _sha256(path)
            if actual != sha256:
                path.unlink()  # never leave a corrupt file where the next run would trust it
                raise ChecksumError(path, sha256, actual, f"cached in {folder}")
        else:
            _download(MNIST_URL + name, path, sha256, deadline, timeout)
        paths[name] = path
    return paths


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped if its name ends in ``.gz``) into an array.

    Layout: magic ``00 00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes,
    then ``prod(sizes)`` values in C order.

    Args:
        path: the file to read.

    Returns:
        Array of shape ``sizes`` in native byte order (``uint8`` for MNIST).

    Raises:
        ValueError: bad magic number, unknown type code, or a size that does not
            match the header.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path.name} is not an IDX file: bad magic number {data[:4].hex()}")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path.name}: unknown IDX type code 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path.name}: header needs {header} bytes, file has {len(data)}")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{path.name}: header says shape {shape} ({expected} bytes in all), file has {len(data)}"
        )
    x = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)  # shape: sizes from header
    return x.astype(dtype.newbyteorder("="))  # native order, and a writable copy
