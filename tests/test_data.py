"""Tests for dlbook.data and dlbook.mnist. No network: downloads are served from bytes made here."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import math
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

from dlbook import data, mnist
from dlbook.mnist import ChecksumError


# ---------------------------------------------------------------- IDX files and a fake server
IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}  # fmt: skip


def idx_bytes(arr: np.ndarray, *, gz: bool = True) -> bytes:
    """An IDX file written independently of the reader: magic, big-endian dims, big-endian values."""
    be = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    raw = bytes([0, 0, IDX_CODES[be], arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    raw += arr.astype(be).tobytes()
    return gzip.compress(raw, mtime=0) if gz else raw


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


TINY = np.random.default_rng(123)
TRAIN_X = TINY.integers(0, 256, size=(6, 4, 3), dtype=np.uint8)  # 6 images, H=4, W=3
TRAIN_Y = np.array([0, 1, 2, 3, 4, 9], dtype=np.uint8)
TEST_X = TINY.integers(0, 256, size=(2, 4, 3), dtype=np.uint8)
TEST_Y = np.array([7, 5], dtype=np.uint8)
SERVED = {
    "train-images-idx3-ubyte.gz": idx_bytes(TRAIN_X),
    "train-labels-idx1-ubyte.gz": idx_bytes(TRAIN_Y),
    "t10k-images-idx3-ubyte.gz": idx_bytes(TEST_X),
    "t10k-labels-idx1-ubyte.gz": idx_bytes(TEST_Y),
}


class FakeServer:
    """Stands in for urllib's urlopen; serves `files` by name and records the requests."""

    def __init__(self, files: dict[str, bytes], error: Exception | None = None) -> None:
        self.files, self.error, self.requested = files, error, []

    def __call__(self, url: str, timeout: float | None = None) -> io.BytesIO:
        assert url.startswith(mnist.MNIST_URL)
        self.requested.append(url.rsplit("/", 1)[1])
        if self.error is not None:
            raise self.error
        return io.BytesIO(self.files[url.rsplit("/", 1)[1]])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """Checksums of the tiny files, and a server that hands them out."""
    monkeypatch.setattr(mnist, "MNIST_FILES", {name: sha(b) for name, b in SERVED.items()})
    fake = FakeServer(dict(SERVED))
    monkeypatch.setattr(mnist, "urlopen", fake)
    return fake


def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- IDX parsing
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path: Path, dtype, gz: bool) -> None:
    x = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    path.write_bytes(idx_bytes(x, gz=gz))
    y = mnist.read_idx(path)
    assert y.shape == (2, 3, 5) and y.dtype == np.dtype(dtype) and y.dtype.isnative
    np.testing.assert_array_equal(y, x)
    y[0, 0, 0] = 1  # a writable array, not a view of read-only bytes


def test_read_idx_header_by_hand(tmp_path: Path) -> None:
    # magic 00 00 08 02, dims 2 and 3, then six bytes
    (tmp_path / "m.idx").write_bytes(bytes.fromhex("00000802" "00000002" "00000003") + bytes(range(6)))
    np.testing.assert_array_equal(mnist.read_idx(tmp_path / "m.idx"), [[0, 1, 2], [3, 4, 5]])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes.fromhex("01000801") + b"\x00\x00\x00\x01x", "magic"),
        (bytes.fromhex("00000701") + b"\x00\x00\x00\x01x", "type code"),
        (bytes.fromhex("00000802") + b"\x00\x00", "header"),
        (bytes.fromhex("00000801") + b"\x00\x00\x00\x03xy", "shape"),
        (bytes.fromhex("00000801") + b"\x00\x00\x00\x01xy", "shape"),
    ],
)
def test_read_idx_rejects_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.idx").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        mnist.read_idx(tmp_path / "bad.idx")


# ---------------------------------------------------------------- download, verify, cache
def test_mnist_checksum_table_is_complete() -> None:
    assert set(mnist.MNIST_FILES) == set(SERVED)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in mnist.MNIST_FILES.values())
    assert mnist.MNIST_URL == "https://ossci-datasets.s3.amazonaws.com/mnist/"


def test_load_mnist_downloads_once_then_uses_cache(tmp_path: Path, server: FakeServer) -> None:
    ds = data.load_mnist(cache_dir=tmp_path)
    assert sorted(server.requested) == sorted(SERVED)
    assert files_under(tmp_path) == {Path("mnist") / name for name in SERVED}
    assert ds.x_train.shape == (6, 12) and ds.x_test.shape == (2, 12)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_allclose(ds.x_train, TRAIN_X.reshape(6, 12) / 255, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_train, TRAIN_Y)
    np.testing.assert_array_equal(ds.y_test, TEST_Y)

    server.error = URLError("offline")  # a second load must not touch the network
    server.requested.clear()
    images = data.load_mnist(cache_dir=tmp_path, flatten=False, normalize=False, dtype=np.float64)
    assert server.requested == []
    assert images.x_train.shape == (6, 1, 4, 3) and images.x_train.dtype == np.float64
    np.testing.assert_array_equal(images.x_test[:, 0], TEST_X)


def test_garbage_download_leaves_no_file(tmp_path: Path, server: FakeServer) -> None:
    server.files["t10k-images-idx3-ubyte.gz"] = b"<html>503 Service Unavailable</html>"
    with pytest.raises(ChecksumError) as info:
        data.load_mnist(cache_dir=tmp_path)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte.gz" in message
    assert mnist.MNIST_FILES["t10k-images-idx3-ubyte.gz"] in message
    assert sha(b"<html>503 Service Unavailable</html>") in message
    assert isinstance(info.value, ValueError)
    # the files verified before it stay; the bad one is not there, and no temp file is left behind
    assert files_under(tmp_path) == {Path("mnist") / "train-images-idx3-ubyte.gz",
                                     Path("mnist") / "train-labels-idx1-ubyte.gz"}  # fmt: skip


def test_corrupted_cached_file_is_reported_and_removed(tmp_path: Path, server: FakeServer) -> None:
    data.load_mnist(cache_dir=tmp_path)
    cached = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    cached.write_bytes(cached.read_bytes()[:-3])  # a truncated file
    server.requested.clear()
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz") as info:
        data.load_mnist(cache_dir=tmp_path)
    assert info.value.expected == mnist.MNIST_FILES["train-labels-idx1-ubyte.gz"]
    assert info.value.actual == sha(SERVED["train-labels-idx1-ubyte.gz"][:-3])
    assert not cached.exists()
    assert server.requested == []
    data.load_mnist(cache_dir=tmp_path)  # the next run downloads it again
    assert server.requested == ["train-labels-idx1-ubyte.gz"]
    assert cached.read_bytes() == SERVED["train-labels-idx1-ubyte.gz"]


@pytest.mark.parametrize("error", [URLError("[Errno -3] Temporary failure in name resolution"), TimeoutError()])
def test_offline_error_says_where_to_put_the_files(tmp_path: Path, server: FakeServer, error) -> None:
    server.error = error
    with pytest.raises(ConnectionError) as info:
        data.load_mnist(cache_dir=tmp_path)
    message = str(info.value)
    assert "failed" in message and "train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message
    assert files_under(tmp_path) == set()


def test_cache_dir_from_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeServer) -> None:
    monkeypatch.setenv("DLBOOK_CACHE", str(tmp_path / "env"))
    data.load_mnist()
    assert files_under(tmp_path / "env") == {Path("mnist") / name for name in SERVED}
    assert mnist.cache_root(tmp_path / "arg") == tmp_path / "arg"  # the argument wins
    monkeypatch.delenv("DLBOOK_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.cache_root() == tmp_path / "home" / ".cache" / "dlbook"


def test_nothing_written_outside_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: FakeServer) -> None:
    for d in ("home", "cwd", "tmp"):
        (tmp_path / d).mkdir()
    monkeypatch.delenv("DLBOOK_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.chdir(tmp_path / "cwd")
    server.files["t10k-labels-idx1-ubyte.gz"] = b"garbage"  # the failing path must stay inside too
    with pytest.raises(ChecksumError):
        data.load_mnist(cache_dir=tmp_path / "cache")
    assert {p.parts[0] for p in files_under(tmp_path)} == {"cache"}


# ---------------------------------------------------------------- digits
@pytest.fixture(scope="module")
def digits() -> data.Dataset:
    pytest.importorskip("sklearn")
    return data.load_digits()


def test_load_digits_shapes_dtype_range(digits: data.Dataset) -> None:
    # 1,797 images; per class round(0.2 * count) held out: 36+36+35+37+36+36+36+36+35+36 = 359
    assert digits.x_train.shape == (1438, 64) and digits.x_test.shape == (359, 64)
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int64
    assert digits.x_train.min() == 0.0 and digits.x_train.max() == 1.0
    assert np.bincount(digits.y_test).tolist() == [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]
    from sklearn.datasets import load_digits

    everything = np.concatenate([digits.x_train, digits.x_test])
    original = (load_digits().data / 16).astype(np.float32)
    np.testing.assert_array_equal(np.unique(everything, axis=0), np.unique(original, axis=0))


def test_load_digits_deterministic_by_seed(digits: data.Dataset) -> None:
    again = data.load_digits(seed=0, flatten=False, dtype=np.float64)
    assert again.x_train.shape == (1438, 1, 8, 8) and again.x_train.dtype == np.float64
    np.testing.assert_array_equal(again.x_train.reshape(1438, 64), digits.x_train)
    np.testing.assert_array_equal(again.y_test, digits.y_test)
    other = data.load_digits(seed=1)
    assert not np.array_equal(other.y_train, digits.y_train)
    with pytest.raises(ValueError, match="test_size"):
        data.load_digits(test_size=1.0)


# ---------------------------------------------------------------- 2-D toy sets
TOYS = [data.xor, data.circles, data.moons, data.spiral, data.gaussians]


@pytest.mark.parametrize("make", TOYS)
def test_toy_shapes_balance_scale_determinism(make) -> None:
    X, y = make(rng=np.random.default_rng(0))
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.shape == (200,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100]
    assert np.bincount(make(7, rng=np.random.default_rng(0))[1]).tolist() == [4, 3]
    assert np.abs(make(rng=np.random.default_rng(0), noise=0.0)[0]).max() <= 1.5
    X2, y2 = make(rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert not np.allclose(make(rng=np.random.default_rng(1))[0], X)
    with pytest.raises(ValueError, match="noise"):
        make(rng=np.random.default_rng(0), noise=-0.1)
    with pytest.raises(ValueError, match="n"):
        make(1, rng=np.random.default_rng(0))


def test_toy_geometry_without_noise() -> None:
    rng = np.random.default_rng(0)
    X, y = data.xor(100, noise=0.0, rng=rng)
    np.testing.assert_array_equal(y, X[:, 0] * X[:, 1] < 0)
    assert np.abs(X).min() >= 0.1
    X, y = data.circles(100, noise=0.0, rng=rng)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 0].max() <= 0.5 and r[y == 1].min() >= 0.7 and r.max() <= 1.0
    X, y = data.moons(100, noise=0.0, rng=rng)
    upper = X[y == 0] + [0.5, 0.25]
    lower = X[y == 1] + [0.5, 0.25] - [1.0, 0.5]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(*lower.T), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0
    X, y = data.spiral(100, noise=0.0, rng=rng)
    s = np.hypot(X[:, 0], X[:, 1])
    angle = 3.5 * np.pi * s + np.pi * y
    np.testing.assert_allclose(X, s[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1), atol=1e-12)
    X, y = data.gaussians(4000, noise=0.0, rng=rng)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-0.5, -0.5], atol=0.02)
    np.testing.assert_allclose(X[y == 1].std(axis=0), [0.25, 0.25], atol=0.02)


# ---------------------------------------------------------------- preparing and feeding
def test_standardize_uses_train_stats_and_keeps_inputs() -> None:
    x_train = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])  # mean (3, 5), std (sqrt(8/3), 0)
    x_test = np.array([[3.0 + np.sqrt(8 / 3), 6.0]])
    before = x_train.copy(), x_test.copy()
    xtr, xte, mean, std = data.standardize(x_train, x_test, eps=1e-8)
    np.testing.assert_allclose(mean, [3.0, 5.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 0.0])
    np.testing.assert_allclose(xtr[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    np.testing.assert_array_equal(xtr[:, 1], 0.0)  # a constant feature becomes 0, no division by 0
    np.testing.assert_allclose(xte, [[1.0, 1e8]])  # test data uses the training statistics
    np.testing.assert_array_equal(x_train, before[0])
    np.testing.assert_array_equal(x_test, before[1])
    x32 = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    z, mean32, std32 = data.standardize(x32)
    assert z.dtype == mean32.dtype == std32.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-5)


def test_train_val_split() -> None:
    x, y = np.arange(10) * 10, np.arange(10)
    x_train, y_train, x_val, y_val = data.train_val_split(x, y, 0.2, rng=np.random.default_rng(0))
    assert len(x_val) == 2 and len(x_train) == 8
    np.testing.assert_array_equal(x_train, y_train * 10)
    np.testing.assert_array_equal(x_val, y_val * 10)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_val])), np.arange(10))
    for bad in (0.0, 1.0, 0.01):
        with pytest.raises(ValueError, match="val_fraction"):
            data.train_val_split(x, y, bad, rng=np.random.default_rng(0))


def test_kfold_covers_every_sample_once() -> None:
    folds = list(data.kfold(10, 3, rng=np.random.default_rng(0)))
    assert [len(val) for _, val in folds] == [4, 3, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate([val for _, val in folds])), np.arange(10))
    for train, val in folds:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(10))
    with pytest.raises(ValueError, match="k"):
        data.kfold(3, 4, rng=np.random.default_rng(0))


def test_minibatches_cover_all_samples_once() -> None:
    x, y = np.arange(10) * 10, np.arange(10)
    batches = list(data.minibatches(x, y, 4, rng=np.random.default_rng(0)))
    assert [len(yb) for _, yb in batches] == [4, 4, 2]
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(10))
    assert not np.array_equal(seen, np.arange(10))  # shuffled
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, yb * 10)
    ordered = [yb.tolist() for _, yb in data.minibatches(x, y, 5, shuffle=False)]
    assert ordered == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="rng"):
        data.minibatches(x, y, 4)  # raised at the call, not at the first batch


def test_one_hot() -> None:
    np.testing.assert_array_equal(data.one_hot(np.array([2, 0, 1]), 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert data.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="0..2"):
        data.one_hot(np.array([3]), 3)


# ---------------------------------------------------------------- augmentation
def shifted_by_hand(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    H, W = img.shape
    out = np.zeros_like(img)
    for i in range(H):
        for j in range(W):
            if 0 <= i + dy < H and 0 <= j + dx < W:
                out[i + dy, j + dx] = img[i, j]
    return out


def test_random_shift_one_image_by_hand() -> None:
    img = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4)
    out = data.random_shift(img, 1, rng=np.random.default_rng(3))
    assert out.shape == (1, 4, 4) and out.dtype == np.float32
    (i, j), = np.argwhere(out[0] == 6)  # pixel (1, 1) stays in frame for any shift of 1
    dy, dx = i - 1, j - 1
    assert (dy, dx) != (0, 0)  # this seed does move it, so the check below means something
    np.testing.assert_array_equal(out[0], shifted_by_hand(img[0], dy, dx))


def test_random_shift_uses_every_offset_on_every_channel() -> None:
    img = np.arange(1, 26, dtype=np.uint8).reshape(5, 5)
    images = np.stack([np.stack([img, 100 + img])] * 200)  # (200, 2, 5, 5)
    before = images.copy()
    out = data.random_shift(images, 1, rng=np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(images, before)
    candidates = {(dy, dx): shifted_by_hand(img, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    used = set()
    for channels in out:
        (offset,) = [o for o, c in candidates.items() if np.array_equal(channels[0], c)]
        np.testing.assert_array_equal(channels[1], shifted_by_hand(100 + img, *offset))
        used.add(offset)
    assert used == set(candidates)
    np.testing.assert_array_equal(data.random_shift(images, 0, rng=np.random.default_rng(0)), images)
    far = data.random_shift(images[:50, 0], 9, rng=np.random.default_rng(0))  # some move out of frame
    assert far.shape == (50, 5, 5) and (far.reshape(50, -1).max(axis=1) == 0).any()


def test_add_noise() -> None:
    x = np.zeros((200, 300), dtype=np.float32)
    noisy = data.add_noise(x, 0.5, rng=np.random.default_rng(0))
    assert noisy.dtype == np.float32 and noisy.shape == x.shape
    assert np.all(x == 0)
    assert abs(noisy.mean()) < 0.01 and abs(noisy.std() - 0.5) < 0.01
    np.testing.assert_array_equal(data.add_noise(x, 0.5, rng=np.random.default_rng(0)), noisy)
    with pytest.raises(ValueError, match="std"):
        data.add_noise(x, -1.0, rng=np.random.default_rng(0))



def test_import_stays_numpy_only() -> None:
    code = "import sys, dlbook.data; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- issue 18: hostile and clumsy use
@pytest.mark.parametrize(("labels", "message"), [
    (np.array([[0], [1]]), r"labels of shape \(N,\), got \(2, 1\).*ravel"),
    (np.array([[0, 1], [1, 0]]), r"labels of shape \(N,\), got \(2, 2\)"),
    (np.array(1), r"labels of shape \(N,\), got \(\)"),
    (np.array([0.0, 1.5]), "integer class labels, got dtype float64"),
    (np.array([True, False]), "integer class labels, got dtype bool"),
    (np.array(["0", "1"]), "integer class labels, got dtype <U1"),
])
def test_one_hot_refuses_labels_it_would_misread(labels, message) -> None:
    with pytest.raises(ValueError, match=message):
        data.one_hot(labels, 3)


@pytest.mark.parametrize("num_classes", [0, -1, 2.5, "3", None])
def test_one_hot_refuses_a_class_count_that_is_not_a_count(num_classes) -> None:
    with pytest.raises(ValueError, match="Invalid num_classes"):
        data.one_hot(np.array([0, 1]), num_classes)


def test_one_hot_accepts_any_integer_labels_and_no_labels() -> None:
    np.testing.assert_array_equal(data.one_hot(np.array([1, 0], dtype=np.uint8), 2), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(data.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert data.one_hot(np.zeros(0, dtype=np.int64), 4).shape == (0, 4)


def test_add_noise_to_integer_input_is_computed_in_float64() -> None:
    x = np.zeros((100, 100), dtype=np.int64)
    noisy = data.add_noise(x, 0.3, rng=np.random.default_rng(0))
    assert noisy.dtype == np.float64 and abs(noisy.std() - 0.3) < 0.01  # was cast to int: all zeros


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, bool, np.complex64, "U1"])
def test_loaders_refuse_a_dtype_that_is_not_floating(tmp_path: Path, server: FakeServer, dtype) -> None:
    with pytest.raises(ValueError, match="floating-point dtype"):
        data.load_digits(dtype=dtype)
    with pytest.raises(ValueError, match="floating-point dtype"):
        data.load_mnist(cache_dir=tmp_path, dtype=dtype)


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Promises a megabyte, then sends one byte every `interval` seconds (or nothing, with `stall`)."""

    interval, stall = 0.05, False

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            for _ in range(400):  # at most 20 s, should the client never hang up
                if not self.stall:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                time.sleep(self.interval)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(mnist, "MNIST_URL", f"http://127.0.0.1:{httpd.server_address[1]}/")
    monkeypatch.setattr(SlowHandler, "stall", False)
    yield SlowHandler
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.mark.parametrize("stall", [False, True], ids=["trickle", "stall"])
def test_load_mnist_gives_up_on_a_slow_server_at_its_overall_deadline(tmp_path: Path, slow_server, stall) -> None:
    slow_server.stall = stall
    start = time.monotonic()
    with pytest.raises(ConnectionError, match=r"failed .*(longer than timeout=1 s in all|timed out)") as info:
        data.load_mnist(cache_dir=tmp_path, timeout=1.0)
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 5, elapsed  # a trickle of 20 bytes a second used to be waited for for ever
    assert str(tmp_path / "mnist") in str(info.value)
    assert files_under(tmp_path) == set()  # no partial file left behind


@pytest.mark.parametrize("timeout", [0, -1.0, math.nan, math.inf, "60", True])
def test_load_mnist_refuses_a_timeout_that_is_not_seconds(tmp_path: Path, timeout) -> None:
    with pytest.raises(ValueError, match="Invalid timeout"):
        data.load_mnist(cache_dir=tmp_path, timeout=timeout)


def test_standardize_refuses_an_empty_training_set() -> None:
    with pytest.raises(ValueError, match="empty"):
        data.standardize(np.zeros((0, 3)), np.ones((2, 3)))
