"""MNIST: lookup order (data_dir, $BACKPROPLAB_DATA_DIR, the bundled copy), verification, loading.

The ``real`` tests read the copy bundled inside the package; the others use a tiny fake
MNIST written by the tests, with ``MNIST_FILES`` patched to describe it. Nothing here
touches the network: the loader has no network code, and conftest refuses connections.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from backproplab.data import (
    MNIST,
    balanced_subset,
    bundled_dir,
    load_mnist,
    locate_mnist,
    mnist,
    mnist_source,
    verify_mnist,
)
from backproplab.data.idx import write_idx
from backproplab.errors import ConfigError, DataError

REAL_DIR = bundled_dir()
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
NAMES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
# From the data set's own documentation (../shared/mnist/README.md when it was bundled).
DECOMPRESSED_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $BACKPROPLAB_DATA_DIR unless a test sets it."""
    monkeypatch.delenv("BACKPROPLAB_DATA_DIR", raising=False)


# ----------------------------------------------------------------- tiny fake MNIST


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a tiny MNIST (20 train, 10 test) as .gz; MNIST_FILES patched to match."""
    rng = np.random.default_rng(1)
    arrays = {
        "train_images": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "train_labels": np.tile(np.arange(10, dtype=np.uint8), 2),
        "test_images": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "test_labels": np.arange(10, dtype=np.uint8)[::-1].copy(),
    }
    folder, specs = tmp_path / "fake", {}
    folder.mkdir()
    for role, array in arrays.items():
        name = mnist.MNIST_FILES[role].name
        raw = write_idx(tmp_path / name, array).read_bytes()
        write_idx(folder / f"{name}.gz", array)
        specs[role] = mnist.FileSpec(
            name,
            mnist.MNIST_FILES[role].magic,
            array.shape,
            hashlib.sha256(raw).hexdigest(),
        )
    monkeypatch.setattr(mnist, "MNIST_FILES", specs)
    return folder


def copy_fake(fake: Path, dest: Path, skip: tuple[str, ...] = ()) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for path in fake.iterdir():
        if not path.name.startswith(skip):
            shutil.copy(path, dest / path.name)
    return dest


def test_explicit_dir_beats_env_var(fake, tmp_path, monkeypatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("BACKPROPLAB_DATA_DIR", str(empty))
    assert locate_mnist(data_dir=fake) == fake
    with pytest.raises(DataError, match=r"BACKPROPLAB_DATA_DIR=.*empty holds none of the MNIST"):
        locate_mnist()


def test_env_var_is_used_before_the_bundled_copy(fake, monkeypatch) -> None:
    monkeypatch.setenv("BACKPROPLAB_DATA_DIR", str(fake))
    assert locate_mnist() == fake
    assert mnist_source().origin == "env"
    assert load_mnist().y_test.tolist() == list(range(9, -1, -1))


def test_the_bundled_copy_is_the_default() -> None:
    source = mnist_source()
    assert source == mnist.MNISTSource(REAL_DIR, "bundled")
    assert REAL_DIR.parent == Path(mnist.__file__).parent  # read in place from the package
    assert "the copy bundled with backproplab" in source.describe()


def test_missing_file_in_named_folder_is_an_error(fake, tmp_path, monkeypatch) -> None:
    folder = copy_fake(fake, tmp_path / "mine", skip=("t10k-labels",))
    with pytest.raises(DataError, match=r"has no t10k-labels-idx1-ubyte .*data_dir=None") as info:
        load_mnist(data_dir=folder)
    assert str(folder) in str(info.value)
    monkeypatch.setenv("BACKPROPLAB_DATA_DIR", str(folder))
    with pytest.raises(DataError, match=r"BACKPROPLAB_DATA_DIR=.*unset BACKPROPLAB_DATA_DIR"):
        locate_mnist()


def test_nonexistent_data_dir(fake, tmp_path) -> None:
    with pytest.raises(DataError, match=r"does not exist\. Pass the folder"):
        locate_mnist(data_dir=tmp_path / "typo")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match=r"is not a folder"):
        load_mnist(data_dir=tmp_path / "file")


def test_data_dir_of_the_wrong_type() -> None:
    for bad in (123, 1.5, ["a"], b"/tmp"):
        with pytest.raises(ConfigError, match=r"data_dir must be a folder path.*got") as info:
            load_mnist(data_dir=bad)
        assert "bundled" in str(info.value)


def test_a_file_that_is_a_folder_is_named(fake) -> None:
    bad = fake / "train-images-idx3-ubyte.gz"
    bad.unlink()
    bad.mkdir()
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz is a folder, not a file"):
        load_mnist(data_dir=fake)


def test_unreadable_folder_is_a_data_error(fake, monkeypatch) -> None:
    # Tests run as root, who may read anything: fake the answer the permission check gives.
    monkeypatch.setattr(mnist.os, "access", lambda path, mode: Path(path) != fake)
    with pytest.raises(DataError, match=r"cannot be read \(permission denied\)\. Pass the folder"):
        load_mnist(data_dir=fake)

    real_is_dir = Path.is_dir

    def denied(self):  # the folder lists, but its files cannot be looked at
        if self.parent == fake:
            raise PermissionError(13, "Permission denied")
        return real_is_dir(self)

    monkeypatch.setattr(mnist.os, "access", lambda path, mode: True)
    monkeypatch.setattr(Path, "is_dir", denied)
    with pytest.raises(DataError, match=r"cannot read data_dir .*Permission denied.*read permission"):
        load_mnist(data_dir=fake)


def test_progress_bar_counts_the_four_files(fake, capsys) -> None:
    load_mnist(data_dir=fake, progress=True)
    assert "reading MNIST" in capsys.readouterr().err
    load_mnist(data_dir=fake)
    assert capsys.readouterr().err == ""  # quiet by default


def test_damaged_file_in_named_folder_says_replace(fake) -> None:
    bad = fake / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-12])
    with pytest.raises(DataError, match="damaged gzip") as info:
        verify_mnist(fake)
    assert f"Replace {bad}" in str(info.value) and "BACKPROPLAB_DATA_DIR" in str(info.value)


def test_a_damaged_bundled_copy_says_reinstall(fake, monkeypatch) -> None:
    monkeypatch.setattr(mnist, "bundled_dir", lambda: fake)
    bad = fake / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-12])
    with pytest.raises(DataError, match=r"bundled with backproplab is damaged: reinstall"):
        load_mnist()


def test_wrong_magic_wrong_count_and_checksum(fake) -> None:
    labels = np.tile(np.arange(10, dtype=np.uint8), 2)
    write_idx(fake / "train-images-idx3-ubyte.gz", labels)
    with pytest.raises(DataError, match=r"images-idx3-ubyte\.gz has the wrong magic.*got 2049"):
        verify_mnist(fake)
    write_idx(fake / "train-images-idx3-ubyte.gz", np.zeros((19, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"wrong dimensions: .*\(20, 28, 28\).*\(19, 28, 28\)"):
        verify_mnist(fake)
    write_idx(fake / "train-images-idx3-ubyte.gz", np.zeros((20, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"idx3-ubyte\.gz is damaged or not the original.*SHA-256"):
        verify_mnist(fake)


def test_raw_files_are_accepted(fake, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in NAMES:
        shutil.move(tmp_path / name, raw / name)  # the fixture also wrote raw copies
    assert set(verify_mnist(raw)) == set(NAMES)
    from_raw, from_gz = load_mnist(data_dir=raw), load_mnist(data_dir=fake)
    np.testing.assert_array_equal(from_raw.x_test, from_gz.x_test)


def test_argument_errors_come_before_any_file_access(tmp_path) -> None:
    nowhere = tmp_path / "nowhere"
    for kwargs, pattern in [
        ({"n_train": 0}, r"n_train must be a whole number from 1 to 60000.*got 0"),
        ({"n_train": 60001}, r"got 60001"),
        ({"n_test": 2.5}, r"n_test .* got 2\.5"),
        ({"n_test": True}, r"got True"),
        ({"dtype": np.int32}, r"dtype must be np\.uint8.*got int32\.$"),
        ({"dtype": "pixels"}, r"got 'pixels'"),
        ({"seed": -1}, r"seed must be a non-negative integer"),
    ]:
        with pytest.raises(ConfigError, match=pattern):
            load_mnist(data_dir=nowhere, **kwargs)


def test_balanced_subset_when_a_class_runs_short() -> None:
    labels = np.array([0] * 2 + [1] * 50 + [2] * 50)
    keep = balanced_subset(labels, 31, seed=3)
    counts = np.bincount(labels[keep])
    assert counts[0] == 2 and sorted(counts[1:]) == [14, 15] and len(set(keep)) == 31
    assert np.all(np.diff(keep) > 0)
    np.testing.assert_array_equal(balanced_subset(labels, len(labels)), np.arange(len(labels)))
    with pytest.raises(ConfigError, match=r"from 1 to 102"):
        balanced_subset(labels, 103)


# ------------------------------------------------------------------- real MNIST

@pytest.fixture(scope="module")
def real_f32() -> MNIST:
    return load_mnist()  # the default: the bundled copy


@pytest.fixture(scope="module")
def real_u8() -> MNIST:
    return load_mnist(data_dir=REAL_DIR, dtype=np.uint8)


def test_real_float32(real_f32: MNIST) -> None:
    x_train, y_train, x_test, y_test = real_f32
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0 and x_test.max() == 1.0
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert repr(real_f32) == "MNIST(train=60000 x 784 float32, test=10000 x 784 float32)"


def test_real_uint8_has_no_float_copy(real_u8: MNIST, real_f32: MNIST) -> None:
    for x in (real_u8.x_train, real_u8.x_test):
        assert x.dtype == np.uint8 and x.flags.c_contiguous and x.ndim == 2
    assert real_u8.x_train.max() == 255
    assert repr(real_u8) == "MNIST(train=60000 x 784 uint8, test=10000 x 784 uint8)"
    np.testing.assert_array_equal(real_u8.x_test / np.float32(255), real_f32.x_test)
    np.testing.assert_array_equal(real_u8.y_train, real_f32.y_train)


def test_real_subsets(real_u8: MNIST) -> None:
    small = load_mnist(data_dir=REAL_DIR, n_train=1005, n_test=100, dtype=np.uint8, seed=7)
    counts = np.bincount(small.y_train, minlength=10)
    assert counts.sum() == 1005 and counts.max() - counts.min() == 1
    assert np.bincount(small.y_test).tolist() == [10] * 10
    keep = balanced_subset(real_u8.y_train, 1005, seed=7)
    np.testing.assert_array_equal(small.x_train, real_u8.x_train[keep])
    again = load_mnist(data_dir=REAL_DIR, n_train=1005, n_test=100, dtype=np.uint8, seed=7)
    np.testing.assert_array_equal(again.x_train, small.x_train)
    other = load_mnist(data_dir=REAL_DIR, n_train=1005, n_test=100, dtype=np.uint8, seed=8)
    assert not np.array_equal(other.x_train, small.x_train)
    assert repr(small) == "MNIST(train=1005 x 784 uint8, test=100 x 784 uint8)"


def test_real_folder_verifies() -> None:
    found = verify_mnist(REAL_DIR)
    assert list(found) == NAMES
    assert all(p.parent == REAL_DIR and p.is_file() for p in found.values())
    assert locate_mnist() == REAL_DIR


def test_bundled_files_are_the_documented_mnist() -> None:
    import gzip

    for name, digest in DECOMPRESSED_SHA256.items():
        with gzip.open(REAL_DIR / f"{name}.gz", "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name
    credit = (REAL_DIR / "README.md").read_text()
    assert "LeCun" in credit and "Cortes" in credit and "Burges" in credit and "CC BY-SA 3.0" in credit


def test_real_checksum_mismatch_with_a_well_formed_file(tmp_path: Path, real_u8: MNIST) -> None:
    folder = tmp_path / "tampered"
    folder.mkdir()
    for name in NAMES[:3]:
        (folder / f"{name}.gz").symlink_to(REAL_DIR / f"{name}.gz")
    labels = real_u8.y_test.astype(np.uint8)
    labels[0] = (labels[0] + 1) % 10  # right header, right length, one label changed
    bad = write_idx(folder / "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match=r"not the original t10k-labels-idx1-ubyte") as info:
        load_mnist(data_dir=folder, dtype=np.uint8)
    assert str(bad) in str(info.value) and "ff7bcfd4" in str(info.value)
