"""Small look-ups a dashboard needs: which samples sit in a confusion-matrix cell,
and which hidden units one example pushes hardest.

Pure NumPy, no plotting: the panels call these instead of doing arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, ShapeError

__all__ = ["cell_indices", "top_units", "unit_gradient_norms"]


def cell_indices(y_true, y_pred, true: int, predicted: int, *, limit: int | None = None) -> np.ndarray:
    """Indices (ascending) of the samples with label ``true`` predicted as ``predicted``.

    y_true, y_pred : (n,) class labels. Returns (m,) int64 indices, the first
    ``limit`` of them when ``limit`` is given; ``m`` is the confusion matrix's
    count in cell (true, predicted) when no limit cuts it short.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ShapeError(f"y_true and y_pred must be 1-D and of the same length; got shapes "
                         f"{y_true.shape} and {y_pred.shape}.")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))
                              or limit < 0):
        raise ConfigError(f"limit must be a whole number ≥ 0 or None; got {limit!r}.")
    idx = np.flatnonzero((y_true == true) & (y_pred == predicted)).astype(np.int64)  # (m,)
    return idx if limit is None else idx[:limit]


def unit_gradient_norms(dW1) -> np.ndarray:
    """‖dL/dW1[1:, j]‖ for each hidden unit j (H,): how hard the step pushes filter j.

    dW1 : (1 + n_features, H), bias row first; the bias row is left out, so the
    norm measures the change of the filter (the pixel weights) only.
    """
    dW1 = np.asarray(dW1)
    if dW1.ndim != 2 or dW1.shape[0] < 2:
        raise ShapeError(f"dW1 must be (1 + n_features, n_hidden) with the bias row first; got "
                         f"shape {dW1.shape}.")
    return np.linalg.norm(dW1[1:].astype(np.float64), axis=0)  # (H,)


def top_units(dW1, k: int) -> np.ndarray:
    """The ``k`` hidden units (H,) with the largest filter-gradient norm, largest first.

    Ties keep the lower unit index first, so the order is deterministic.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k must be a whole number ≥ 1; got {k!r}.")
    norms = unit_gradient_norms(dW1)  # (H,)
    return np.argsort(-norms, kind="stable")[:k].astype(np.int64)
