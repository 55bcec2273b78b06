"""A drawn digit made into an MNIST input, the way MNIST itself was made.

LeCun, Cortes and Burges describe it: the NIST digit was size-normalised to fit a
20×20 box with its aspect ratio kept, anti-aliased (so it gains grey levels), then
placed in a 28×28 field so that its centre of mass sits at the field's centre.
:func:`mnist_style` does the same to any ink array (a canvas of any size):

1. the bounding box of the ink (pixels > 0);
2. one scale factor s = 20 / (the box's longer side) for both axes, and area
   averaging: each output pixel is the mean of the ink it covers, partly covered
   input pixels counting by the covered fraction (so the ink's total is scaled by s²);
3. a whole-pixel shift that puts the centre of mass within half a pixel of (14, 14)
   (index coordinates, row and column), as in MNIST's own test set, where it is at
   14.0 ± 0.29 on both axes. (A digit whose ink is nearly all at one end of its box
   is kept inside the 28×28 field instead, so its centre misses (14, 14).)
"""

from __future__ import annotations

import numpy as np

from ..errors import DTypeError, PixelError, ShapeError

__all__ = ["BOX", "SIDE", "area_resample_matrix", "centre_of_mass", "ink_box", "mnist_style"]

SIDE = 28  # MNIST images are SIDE × SIDE
BOX = 20  # the digit's longer side after size normalisation
CENTRE = 14.0  # where MNIST's centre of mass is, in index coordinates (row, column)


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels > 0, bottom and right exclusive; None if blank."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))  # (h,), (w,)
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def area_resample_matrix(n_in: int, scale: float) -> np.ndarray:
    """R (n_out, n_in) with ``R @ v`` the area average of v resized by ``scale``.

    Input pixel j covers [j, j + 1]; output pixel i covers [i / s, (i + 1) / s] of
    the input, and R[i, j] = s · (length of their overlap): the mean of v over what
    i covers, with nothing (0) past the input's end. n_out = ceil(n_in · s).
    """
    n_out = int(np.ceil(n_in * scale - 1e-9))
    edges_out = np.arange(n_out + 1) / scale  # (n_out + 1,) in input coordinates
    edges_in = np.arange(n_in + 1, dtype=np.float64)  # (n_in + 1,)
    lo = np.maximum(edges_out[:-1, None], edges_in[None, :-1])  # (n_out, n_in)
    hi = np.minimum(edges_out[1:, None], edges_in[None, 1:])  # (n_out, n_in)
    return np.clip(hi - lo, 0.0, None) * scale  # (n_out, n_in)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's centre of mass, in index coordinates (pixel i is at i)."""
    total = image.sum()
    rows = (image.sum(axis=1) * np.arange(image.shape[0])).sum() / total  # scalar
    cols = (image.sum(axis=0) * np.arange(image.shape[1])).sum() / total  # scalar
    return float(rows), float(cols)


def _check_ink(ink) -> np.ndarray:
    arr = np.asarray(ink)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DTypeError(f"ink must hold numbers (0 = blank, 1 or 255 = full ink); got dtype "
                         f"{arr.dtype}. Convert it first, e.g. np.asarray(ink, dtype=float).")
    if arr.ndim != 2 or min(arr.shape) < 1:
        raise ShapeError(f"ink must be one 2-D image (rows, columns); got shape {arr.shape}. "
                         "Reshape a flat canvas first, e.g. ink.reshape(112, 112).")
    if not np.isfinite(arr).all() or arr.min() < 0:
        raise PixelError("ink must be finite and not negative (0 = blank, 1 or 255 = full ink); "
                         "replace NaN and negative values first, e.g. np.clip(np.nan_to_num(ink), 0, 1).")
    return arr.astype(np.float64)


def mnist_style(ink) -> np.ndarray:
    """The 28×28 MNIST-style image (float64 in [0, 1]) of a drawing; all zeros if it is blank.

    ``ink`` is (rows, columns) of any size: floats in [0, 1], or uint8 0..255 (divided
    by 255). See the module docstring for the three steps.
    """
    arr = _check_ink(ink)  # (H, W)
    if np.asarray(ink).dtype == np.uint8:
        arr /= 255.0
    out = np.zeros((SIDE, SIDE))  # (28, 28)
    box = ink_box(arr)
    if box is None:
        return out
    top, bottom, left, right = box
    digit = arr[top:bottom, left:right]  # (h, w)
    s = BOX / max(digit.shape)
    fitted = area_resample_matrix(digit.shape[0], s) @ digit @ area_resample_matrix(digit.shape[1], s).T
    fitted = np.clip(fitted, 0.0, 1.0)  # (≤20, ≤20); undo rounding just past 1
    row, col = centre_of_mass(fitted)
    top, left = int(np.floor(CENTRE - row + 0.5)), int(np.floor(CENTRE - col + 0.5))
    h, w = fitted.shape
    # a very lopsided digit (all its ink at one end) is clamped inside the 28×28 field
    top, left = min(max(top, 0), SIDE - h), min(max(left, 0), SIDE - w)
    out[top:top + h, left:left + w] = fitted  # (28, 28)
    return out
