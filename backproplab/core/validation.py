"""Checks at the boundary of the public API: shapes, dtypes, NaN, labels.

They run once per public call, never inside the training loop's hot path.
"""

from __future__ import annotations

import numpy as np

from typing import Sequence

from ..errors import (ConfigError, DTypeError, InputTypeError, LabelError, NonFiniteError,
                      ShapeError, TooLargeError)
from .pixels import pixels_to_unit

#: The most weights an MLP may have: 100 M numbers, 381 MiB in float32. Training
#: keeps about four copies (weights, velocity, last good state, steps).
MAX_WEIGHTS = 100_000_000
#: The most activations one batch may produce (batch size × total layer width):
#: the whole MNIST training set in one batch of the classic network (54 M) fits.
MAX_BATCH_ENTRIES = 100_000_000


def as_inputs(X, n_features: int, dtype: np.dtype, *, name: str = "X") -> np.ndarray:
    """Return ``X`` as a (batch, n_features) array of ``dtype``.

    uint8 arrays are read as 8-bit pixel intensities and scaled to [0, 1].
    Values that would overflow ``dtype`` (1e300 in float32) are refused like NaN.
    """
    X = _as_array(X, name)
    if X.dtype == np.uint8:
        X = pixels_to_unit(X, dtype)
    elif X.dtype.kind != "f":
        raise DTypeError(
            f"{name} must hold floating-point numbers (or uint8 pixels); got dtype "
            f"{X.dtype}. Convert it first, e.g. {name}.astype(np.float32)."
        )
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ShapeError(
            f"{name} must have shape (batch, {n_features}); got {X.shape}. "
            + _shape_hint(X, n_features, name)
        )
    if X.shape[0] == 0:
        raise ShapeError(f"{name} is empty (shape {X.shape}); pass at least one sample.")
    finite = np.isfinite(X)
    if not finite.all():
        bad = np.argwhere(~finite)[0]
        raise NonFiniteError(
            f"{name} holds {np.count_nonzero(~finite)} NaN or infinite value(s), the first "
            f"at row {bad[0]}, column {bad[1]}. Clean the data first, e.g. "
            f"np.nan_to_num({name})."
        )
    _check_range(X, dtype, name)
    return np.ascontiguousarray(X, dtype=dtype)


def _as_array(X, name: str) -> np.ndarray:
    """np.asarray with package errors for None and ragged nested lists."""
    if X is None:
        raise InputTypeError(f"{name} is None; pass an array of shape (batch, n_features), "
                             f"e.g. images.reshape(len(images), -1).")
    try:
        return np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise ShapeError(
            f"{name} cannot be read as one array ({exc}); its rows are probably of different "
            f"lengths. Give every sample the same number of features."
        ) from None


def _check_range(X: np.ndarray, dtype: np.dtype, name: str) -> float:
    """Refuse float values beyond ``dtype``'s range; return the largest |value| (0 for uint8)."""
    if X.dtype.kind != "f":
        return 1.0 if X.dtype == np.uint8 else 0.0
    largest = data_scale(X) if X.size else 0.0  # in chunks: no full-size temporary
    limit = float(np.finfo(dtype).max)
    if largest > limit:
        raise NonFiniteError(
            f"{name} holds values up to {largest:.3g}, beyond {np.dtype(dtype).name}'s range "
            f"(±{limit:.3g}): they would become infinite. Scale the data to about [0, 1] first, "
            f"e.g. {name} / np.abs({name}).max()."
        )
    return largest


def _shape_hint(X: np.ndarray, n_features: int, name: str) -> str:
    if X.ndim == 1 and X.size == n_features:
        return f"One sample is a row vector: use {name}.reshape(1, -1)."
    if X.ndim >= 2 and X[0].size == n_features:
        return f"Flatten images first: {name}.reshape(len({name}), -1)."
    if X.ndim == 2 and X.size == n_features:
        return f"Flatten the image into one row: {name}.reshape(1, -1)."
    return f"Each row must be one sample of {n_features} features."


def as_labels(y, n_samples: int, n_classes: int, *, name: str = "y") -> np.ndarray:
    """Return integer class labels ``y`` as an int64 array of shape (n_samples,)."""
    if y is None:
        raise InputTypeError(f"{name} is None; pass one integer class label per sample, "
                             f"shape ({n_samples},).")
    y = _as_array(y, name)
    if y.ndim == 0:
        y = y.reshape(1)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and y.ndim == 2:
            raise LabelError(
                f"{name} must be integer class labels of shape ({n_samples},); got a float "
                f"array of shape {y.shape}, perhaps one-hot rows. Use {name}.argmax(axis=1)."
            )
        raise LabelError(
            f"{name} must be integer class labels in 0..{n_classes - 1}; got dtype "
            f"{y.dtype}. Convert with {name}.astype(int)."
        )
    if y.shape != (n_samples,):
        raise ShapeError(
            f"{name} must have shape ({n_samples},), one label per row of X; got {y.shape}."
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise LabelError(
            f"{name} holds the label {bad}, outside 0..{n_classes - 1}: the network has "
            f"{n_classes} output classes."
        )
    return y.astype(np.int64, copy=False)


def check_images(X, n_features: int, *, name: str = "X", dtype=np.float32) -> np.ndarray:
    """Check a whole data set (n, n_features) of uint8 pixels or floats without copying it.

    Floats must be finite and within ``dtype``'s range (they are converted to it).
    """
    X = _as_array(X, name)
    if X.dtype != np.uint8 and X.dtype.kind != "f":
        raise DTypeError(
            f"{name} must hold uint8 pixels or floating-point numbers; got dtype {X.dtype}. "
            f"Convert it first, e.g. {name}.astype(np.float32)."
        )
    if X.ndim != 2 or X.shape[1] != n_features or X.shape[0] == 0:
        raise ShapeError(
            f"{name} must have shape (n_samples, {n_features}) with n_samples ≥ 1; got {X.shape}. "
            + _shape_hint(X, n_features, name)
        )
    if X.dtype.kind == "f":
        for start in range(0, len(X), 4096):  # in chunks: no full-size temporary
            if not np.isfinite(X[start:start + 4096]).all():
                raise NonFiniteError(
                    f"{name} holds NaN or infinite values (first in rows {start}..{start + 4095}). "
                    f"Clean the data first, e.g. np.nan_to_num({name})."
                )
        _check_range(X, np.dtype(dtype), name)
    return X


def data_scale(X: np.ndarray) -> float:
    """The largest |x| the network sees from X: 1 for uint8 pixels (scaled by 1/255)."""
    if X.dtype == np.uint8:
        return 1.0
    return max((float(np.abs(X[s:s + 4096]).max()) for s in range(0, len(X), 4096)), default=0.0)


def check_seed(seed, name: str = "seed") -> int | None:
    """A random seed: None or a whole number ≥ 0."""
    ok = seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)
    if not ok:
        raise ConfigError(f"{name} must be None or a whole number ≥ 0, such as 0; got {seed!r}.")
    return None if seed is None else int(seed)


def check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    """Layer widths, input first: whole numbers ≥ 1, at least 2 classes, at most MAX_WEIGHTS weights."""
    try:
        out = tuple(int(n) for n in sizes)
        ok = len(out) >= 2 and all(n >= 1 and n == m and not isinstance(m, bool)
                                   for n, m in zip(out, sizes))
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or out[-1] < 2:
        raise ConfigError(
            f"sizes must list at least two positive whole layer widths, input first and "
            f"at least 2 classes last, e.g. (784, 100, 10, 10); got {sizes!r}."
        )
    n_weights = weight_count(out)
    if n_weights > MAX_WEIGHTS:
        raise TooLargeError(
            f"sizes {out} need {n_weights:,} weights ({format_bytes(4 * n_weights)} in float32); "
            f"the limit is {MAX_WEIGHTS:,} ({format_bytes(4 * MAX_WEIGHTS)}). Use narrower layers, "
            f"e.g. (784, 100, 10, 10)."
        )
    return out


def weight_count(sizes: Sequence[int]) -> int:
    """How many numbers W1..Wn hold: the sum of (n_in + 1) · n_out, bias rows included."""
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def check_batch_size(batch: int, sizes: Sequence[int], name: str = "batch_size", fix: str | None = None) -> None:
    """Refuse a batch whose activations (batch × total width) would exceed MAX_BATCH_ENTRIES.

    The message ends with ``fix`` (default: "Use <name> ≤ <largest>, e.g. 32.").
    """
    entries = batch * sum(sizes)
    if entries > MAX_BATCH_ENTRIES:
        largest = max(1, MAX_BATCH_ENTRIES // sum(sizes))
        fix = (fix or "Use {name} ≤ {largest:,}, e.g. 32.").format(name=name, largest=largest)
        raise TooLargeError(
            f"a batch of {batch:,} samples through layers {tuple(sizes)} needs {entries:,} activations "
            f"({format_bytes(4 * entries)} in float32, several times over for the backward pass); "
            f"the limit is {MAX_BATCH_ENTRIES:,}. {fix}"
        )


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} bytes" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # unreachable
