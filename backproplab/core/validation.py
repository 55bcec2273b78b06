"""Checks at the boundary of the public API: shapes, dtypes, NaN, labels.

They run once per public call, never inside the training loop's hot path.
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, LabelError, NonFiniteError, ShapeError
from .pixels import pixels_to_unit


def as_inputs(X, n_features: int, dtype: np.dtype, *, name: str = "X") -> np.ndarray:
    """Return ``X`` as a (batch, n_features) array of ``dtype``.

    uint8 arrays are read as 8-bit pixel intensities and scaled to [0, 1].
    """
    X = np.asarray(X)
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
    return np.ascontiguousarray(X, dtype=dtype)


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
    y = np.asarray(y)
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


def check_images(X, n_features: int, *, name: str = "X") -> np.ndarray:
    """Check a whole data set (n, n_features) of uint8 pixels or floats without copying it."""
    X = np.asarray(X)
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
    return X
