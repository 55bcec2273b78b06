"""Read and write IDX files, the small binary array format MNIST ships in.

An IDX file is a header followed by the array's items, big-endian, row-major::

    bytes 0-1        0x00 0x00
    byte  2          type code: 0x08 uint8, 0x09 int8, 0x0B int16,
                     0x0C int32, 0x0D float32, 0x0E float64
    byte  3          ndim, the number of dimensions
    ndim x 4 bytes   the size of each dimension, big-endian unsigned
    the data         prod(sizes) items

The first four bytes read as one big-endian integer are the *magic number*:
2051 (0x00000803: uint8, 3 dims) for MNIST images, 2049 (0x00000801: uint8,
1 dim) for labels. Files may be gzip-compressed; the readers recognise gzip by
its first two bytes, whatever the file is called.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np

from backproplab._files import atomic_write
from backproplab.errors import DataError, DTypeError, InputTypeError, ShapeError

PathLike = Union[str, "os.PathLike[str]"]
BytesLike = Union[bytes, bytearray, memoryview]

#: IDX type code -> the (big-endian) NumPy dtype of the items on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # decompress 1 MiB at a time, straight into the output buffer
_DEFLATE_MAX_RATIO = 1032  # no deflate stream decompresses to more than 1032 times its size
_DEFAULT_FIX = "Replace it with an intact copy of the file."


def describe_magic(magic: int) -> str:
    """Spell out a magic number, e.g. ``2051 (uint8, 3 dims)``."""
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    dtype = IDX_DTYPES.get(code)
    kind = f"type code 0x{code:02X}" if dtype is None else dtype.name
    return f"{magic} ({kind}, {ndim} dims)"


def _read_header(
    read: Callable[[int], bytes], source: str, fix: str
) -> tuple[int, np.dtype, tuple[int, ...], bytes]:
    """Read and parse a header -> (magic, on-disk dtype, shape, header bytes)."""
    prefix = read(4)
    if len(prefix) < 4:
        raise DataError(
            f"{source} is too short to be an IDX file: it holds {len(prefix)} "
            f"bytes, the header alone needs at least 8. {fix}"
        )
    if prefix[0] or prefix[1] or prefix[2] not in IDX_DTYPES or not prefix[3]:
        raise DataError(
            f"{source} is not an IDX file: its first bytes are "
            f"{prefix.hex(' ')}, expected 00 00 <type code> <ndim> with a type "
            f"code in {sorted(hex(c) for c in IDX_DTYPES)} and ndim >= 1. {fix}"
        )
    ndim = prefix[3]
    dims = read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataError(
            f"{source} is truncated inside its header: {ndim} dimension sizes "
            f"need {4 * ndim} bytes, only {len(dims)} follow. {fix}"
        )
    shape = tuple(int.from_bytes(dims[i : i + 4], "big") for i in range(0, 4 * ndim, 4))
    return int.from_bytes(prefix, "big"), IDX_DTYPES[prefix[2]], shape, prefix + dims


def _check_expected(
    source: str,
    magic: int,
    shape: tuple[int, ...],
    expect_magic: int | None,
    expect_shape: Sequence[int | None] | None,
    fix: str,
) -> None:
    """Raise DataError when the header differs from what the caller expects."""
    if expect_magic is not None and magic != expect_magic:
        raise DataError(
            f"{source} has the wrong magic number: expected "
            f"{describe_magic(expect_magic)}, got {describe_magic(magic)}. "
            f"It is a different kind of IDX file than the one expected. {fix}"
        )
    if expect_shape is not None:
        want = tuple(expect_shape)
        same = len(want) == len(shape) and all(
            w is None or w == s for w, s in zip(want, shape, strict=True)
        )
        if not same:
            shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ")"
            raise DataError(
                f"{source} has the wrong dimensions: expected shape {shown}, "
                f"its header says {shape}. {fix}"
            )


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    """Read up to ``n`` bytes, fewer only at the end of the stream."""
    parts, left = [], n
    while left:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_stream(
    stream: BinaryIO,
    source: str,
    expect_magic: int | None,
    expect_shape: Sequence[int | None] | None,
    fix: str,
    stored: tuple[int, bool] | None = None,
) -> bytearray:
    magic, dtype, shape, header = _read_header(lambda n: _read_exact(stream, n), source, fix)
    _check_expected(source, magic, shape, expect_magic, expect_shape, fix)
    total = len(header) + math.prod(shape) * dtype.itemsize
    if stored is not None:
        _check_possible(source, dtype, shape, total, *stored, fix)
    buffer = bytearray(total)  # the only full-size allocation
    buffer[: len(header)] = header
    pos = len(header)
    with memoryview(buffer) as view:
        while pos < total:
            got = stream.readinto(view[pos : pos + _CHUNK])
            if not got:
                break
            pos += got
    if pos < total:
        raise DataError(
            f"{source} is truncated: its header ({dtype.name}, shape {shape}) "
            f"promises {total} bytes, it holds only {pos}. {fix}"
        )
    extra = 0
    while chunk := stream.read(_CHUNK):
        extra += len(chunk)
    if extra:
        raise DataError(
            f"{source} is longer than its header says: the header ({dtype.name}, "
            f"shape {shape}) promises {total} bytes, {extra} more follow. {fix}"
        )
    return buffer


def _check_possible(source: str, dtype: np.dtype, shape: tuple[int, ...], total: int, size: int,
                    compressed: bool, fix: str) -> None:
    """Refuse, before allocating, a header that promises more bytes than the file can hold."""
    if not compressed and total > size:
        raise DataError(
            f"{source} is truncated: its header ({dtype.name}, shape {shape}) promises {total} bytes, "
            f"it holds only {size}. {fix}"
        )
    most = size * _DEFLATE_MAX_RATIO
    if compressed and total > most:
        raise DataError(
            f"{source} cannot be what its header says: {dtype.name} items of shape {shape} need "
            f"{total:,} bytes, and a {size:,}-byte gzip file decompresses to at most {most:,}. "
            f"The file is truncated or damaged. {fix}"
        )


def read_idx_bytes(
    path: PathLike,
    *,
    expect_magic: int | None = None,
    expect_shape: Sequence[int | None] | None = None,
    fix: str | None = None,
) -> bytearray:
    """Return the whole decompressed content (header + data) of an IDX file.

    The file may be raw or gzip-compressed. The header is checked against
    ``expect_magic`` and ``expect_shape`` (``None`` entries match any size)
    *before* the data is read, and the length against the header; a header that
    promises more than the file can hold (its size, or 1032 times it for gzip,
    deflate's largest ratio) is refused before anything is allocated. Decompresses
    straight into one ``bytearray`` of exactly the right size, so there is no
    second full-size copy. ``fix`` is the advice appended to every error.

    Raises DataError naming the file if it is missing, not IDX, truncated,
    longer than its header says, a damaged gzip stream, or not as expected.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"read_idx needs a file path or the file's bytes; got {type(path).__name__}. "
                             f"Pass e.g. 'train-images-idx3-ubyte.gz'.")
    path, fix = Path(path), fix or _DEFAULT_FIX
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist. {fix}") from None
    except OSError as exc:
        raise DataError(f"cannot open {path}: {exc.strerror or exc}. {fix}") from None
    with raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stored = (os.fstat(raw.fileno()).st_size, compressed)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            return _read_stream(stream, str(path), expect_magic, expect_shape, fix, stored)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DataError(
                f"{path} is a damaged gzip file ({exc}); it was probably cut off "
                f"during a download or copy. {fix}"
            ) from None


def parse_idx(
    buffer: BytesLike,
    *,
    expect_magic: int | None = None,
    expect_shape: Sequence[int | None] | None = None,
    source: str = "the IDX data",
) -> np.ndarray:
    """Turn decompressed IDX bytes into an array of shape ``header dims``.

    uint8/int8 data is a zero-copy view of ``buffer`` (writable if ``buffer``
    is a ``bytearray``); wider types are converted to native byte order.
    ``source`` names the data in error messages.
    """
    data = memoryview(buffer).cast("B")
    pos = 0

    def read(n: int) -> bytes:
        nonlocal pos
        pos += n
        return bytes(data[pos - n : pos])

    magic, dtype, shape, header = _read_header(read, source, _DEFAULT_FIX)
    _check_expected(source, magic, shape, expect_magic, expect_shape, _DEFAULT_FIX)
    total = len(header) + math.prod(shape) * dtype.itemsize
    if len(data) != total:
        what = "is truncated" if len(data) < total else "is longer than its header says"
        raise DataError(
            f"{source} {what}: its header ({dtype.name}, shape {shape}) promises "
            f"{total} bytes, it holds {len(data)}. {_DEFAULT_FIX}"
        )
    array = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=len(header))
    array = array.reshape(shape)  # (d0, d1, ...)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(
    path_or_bytes: PathLike | BytesLike,
    *,
    expect_magic: int | None = None,
    expect_shape: Sequence[int | None] | None = None,
) -> np.ndarray:
    """Read an IDX file (raw or .gz) or decompressed IDX bytes into an array.

    Returns an array of the header's shape, e.g. (60000, 28, 28) uint8 for the
    MNIST training images. ``expect_magic`` (2051 images, 2049 labels) and
    ``expect_shape`` (``None`` entries match any size) turn a surprise into a
    DataError that says what was expected and what the header says.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return parse_idx(path_or_bytes, expect_magic=expect_magic, expect_shape=expect_shape)
    buffer = read_idx_bytes(path_or_bytes, expect_magic=expect_magic, expect_shape=expect_shape)
    return parse_idx(buffer, source=str(path_or_bytes))


def write_idx(path: PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed if ``path`` ends in ``.gz``.

    Supports uint8, int8, int16, int32, float32 and float64 arrays with 1 to
    255 dimensions. Writes to a temporary file beside ``path`` and renames it
    into place, so a crash never leaves a half-written file under ``path``.
    Returns ``path``.
    """
    path, array = Path(path), np.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        supported = ", ".join(dt.name for dt in IDX_DTYPES.values())
        raise DTypeError(
            f"IDX files hold {supported} items; got an array of dtype "
            f"{array.dtype}. Convert it first, e.g. array.astype(np.uint8)."
        )
    if not 1 <= array.ndim <= 255:
        raise ShapeError(
            f"IDX files hold arrays with 1 to 255 dimensions; got shape "
            f"{array.shape}. Reshape it first, e.g. np.atleast_1d(array)."
        )
    header = bytes([0, 0, code, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).reshape(-1).view(np.uint8)
    with atomic_write(path) as out:
        if path.suffix == ".gz":
            name = path.name[: -len(".gz")]
            with gzip.GzipFile(name, "wb", compresslevel=6, fileobj=out, mtime=0) as gz:
                gz.write(header)
                gz.write(body.data)
        else:
            out.write(header)
            out.write(body.data)
    return path
