"""The IDX reader and writer, on small files written by the tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from backproplab.data.idx import parse_idx, read_idx, read_idx_bytes, write_idx
from backproplab.errors import DataError, DTypeError, ShapeError


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(7, dtype=np.uint8),
        np.arange(-3, 3, dtype=np.int8).reshape(2, 3),
        np.arange(-600, 600, 100, dtype=np.int16).reshape(3, 2, 2),
        np.array([[1, -2], [70000, -70000]], dtype=np.int32),
        np.linspace(-1, 1, 6, dtype=np.float32),
        np.array([np.pi, -np.e], dtype=np.float64),
    ],
    ids=lambda a: str(a.dtype) if isinstance(a, np.ndarray) else None,
)
def test_round_trip(tmp_path: Path, array: np.ndarray, suffix: str) -> None:
    path = write_idx(tmp_path / f"a-idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=")
    assert back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_header_bytes_are_big_endian_idx(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "x", np.zeros((2, 3), dtype=np.int16))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0B, 2])
    assert raw[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert len(raw) == 12 + 2 * 3 * 2


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path, images: np.ndarray) -> None:
    path = write_idx(tmp_path / "imgs.gz", images)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    renamed = path.rename(tmp_path / "imgs-idx3-ubyte")
    np.testing.assert_array_equal(read_idx(renamed), images)


def test_gzip_output_is_deterministic_and_leaves_no_temp_files(tmp_path: Path, images) -> None:
    first = write_idx(tmp_path / "a.gz", images).read_bytes()
    second = write_idx(tmp_path / "a.gz", images).read_bytes()
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz"]


def test_uint8_read_is_writable_c_contiguous_and_exactly_sized(tmp_path, images) -> None:
    path = write_idx(tmp_path / "imgs.gz", images)
    buffer = read_idx_bytes(path, expect_magic=2051, expect_shape=(None, 28, 28))
    assert isinstance(buffer, bytearray) and len(buffer) == 16 + images.size
    array = parse_idx(buffer)
    assert array.flags.c_contiguous and array.flags.writeable
    assert np.shares_memory(array, np.frombuffer(buffer, dtype=np.uint8))


def test_read_idx_accepts_bytes(images: np.ndarray, tmp_path: Path) -> None:
    raw = write_idx(tmp_path / "imgs", images).read_bytes()
    np.testing.assert_array_equal(read_idx(raw, expect_magic=2051), images)


def test_write_rejects_unsupported_dtype_and_scalars(tmp_path: Path) -> None:
    with pytest.raises(DTypeError, match=r"bool.*astype"):
        write_idx(tmp_path / "b", np.array([True, False]))
    with pytest.raises(ShapeError, match=r"1 to 255 dimensions.*got shape \(\)"):
        write_idx(tmp_path / "s", np.array(3, dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope-idx1-ubyte"
    with pytest.raises(DataError, match="does not exist") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_names_file_and_fix(tmp_path: Path, images: np.ndarray) -> None:
    path = write_idx(tmp_path / "imgs.gz", images)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DataError, match="damaged gzip") as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "Replace it" in message


def test_corrupted_gzip_body(tmp_path: Path, images: np.ndarray) -> None:
    path = write_idx(tmp_path / "imgs.gz", images)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="damaged gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_data(tmp_path: Path, images: np.ndarray, suffix: str) -> None:
    raw = write_idx(tmp_path / "full", images).read_bytes()
    path = tmp_path / f"cut{suffix}"
    path.write_bytes(gzip.compress(raw[:-10]) if suffix else raw[:-10])
    with pytest.raises(DataError, match=r"truncated.*promises 3936 bytes, it holds only 3926"):
        read_idx(path)


def test_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataError, match=r"truncated inside its header.*12 bytes, only 2") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_longer_than_header(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "long.gz"
    path.write_bytes(gzip.compress(write_idx(tmp_path / "f", images).read_bytes() + b"xyz"))
    with pytest.raises(DataError, match=r"longer than its header says.*3 more follow"):
        read_idx(path)


def test_not_an_idx_file(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match=r"not an IDX file.*3c 68 74 6d") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_wrong_magic(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels.gz", np.arange(10, dtype=np.uint8))
    expected = r"wrong magic.*expected 2051 \(uint8, 3 dims\), got 2049 \(uint8, 1 dims\)"
    with pytest.raises(DataError, match=expected):
        read_idx(path, expect_magic=2051)


def test_wrong_shape_is_caught_from_the_header(tmp_path: Path, images: np.ndarray) -> None:
    path = write_idx(tmp_path / "imgs.gz", images)
    expected = r"wrong dimensions.*expected shape \(60000, 28, 28\).*says \(5, 28, 28\)"
    with pytest.raises(DataError, match=expected):
        read_idx(path, expect_shape=(60000, 28, 28))
    with pytest.raises(DataError, match=r"expected shape \(any, 28\)"):
        read_idx(path, expect_shape=(None, 28))
    assert read_idx(path, expect_shape=(None, 28, 28)).shape == (5, 28, 28)


def test_fix_advice_is_appended(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels", np.arange(3, dtype=np.uint8))
    with pytest.raises(DataError, match=r"wrong dimensions.*Do this instead\.$"):
        read_idx_bytes(path, expect_shape=(4,), fix="Do this instead.")


def test_parse_idx_checks_length_of_bytes() -> None:
    good = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    np.testing.assert_array_equal(parse_idx(good), [7, 8, 9])
    with pytest.raises(DataError, match=r"IDX data is truncated.*promises 11 bytes, it holds 10"):
        parse_idx(good[:-1])
    with pytest.raises(DataError, match=r"labels\.bin is longer than its header says"):
        parse_idx(good + b"\x00", source="labels.bin")


@pytest.mark.parametrize("compress", [False, True])
def test_a_header_promising_more_than_the_file_holds_is_refused_before_allocating(tmp_path, compress):
    content = bytes([0, 0, 8, 3]) + (65535).to_bytes(4, "big") * 3 + b"x" * 12  # 28 bytes claiming 65535³
    path = tmp_path / "huge"
    path.write_bytes(gzip.compress(content) if compress else content)
    message = (r"need 281,462,092,005,391 bytes, and a \d+-byte gzip file decompresses to at most"
               if compress else r"promises 281462092005391 bytes, it holds only 28")
    with pytest.raises(DataError, match=message):
        read_idx(path)
