"""The one rule for turning 8-bit pixels into network inputs: x = pixel / 255."""

from __future__ import annotations

import numpy as np


def pixels_to_unit(raw: np.ndarray, dtype, *, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 pixels 0..255 as floats of ``dtype`` in [0, 1]; float input is only converted.

    Writes into ``out`` when given (same shape), so a training loop can reuse one
    buffer; the whole data set is never converted at once by the package.
    """
    dtype = np.dtype(dtype)
    if out is None:
        out = np.empty(raw.shape, dtype=dtype)
    np.copyto(out, raw, casting="unsafe")  # (…, n_features) floats
    if raw.dtype == np.uint8:
        out /= dtype.type(255)  # exactly rounded pixel / 255, the same wherever it is done
    return out
