"""Classification metrics: accuracy, the confusion matrix, per-class accuracy."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .pixels import pixels_to_unit
from .validation import check_images


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of predictions (n,) equal to the labels (n,)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred))) if len(y_true) else 0.0


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    flat = np.asarray(y_true, np.int64) * n_classes + np.asarray(y_pred, np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class (n_classes,): the diagonal over the row sums (NaN for empty rows)."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / np.maximum(totals, 1), np.nan)


class Evaluation(NamedTuple):
    """A network's loss, accuracy and confusion matrix on a labelled set."""

    loss: float
    accuracy: float
    confusion: np.ndarray  # (C, C) counts, rows true, columns predicted
    predictions: np.ndarray  # (n,)


def evaluate(net, X: np.ndarray, y: np.ndarray, *, chunk: int = 1000) -> Evaluation:
    """Evaluate ``net`` on X (n, n_features) in chunks, so memory stays small.

    uint8 images are converted chunk by chunk, never as a whole. Raises
    NonFiniteError instead of returning a NaN loss when the pass overflows.
    """
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ConfigError(f"chunk must be a whole number ≥ 1, such as 1000; got {chunk!r}.")
    X = check_images(X, net.n_features, dtype=net.dtype)
    y = net._labels(y, len(X))
    preds = np.empty(len(X), dtype=np.int64)
    total = 0.0
    for start in range(0, len(X), chunk):
        Xb = pixels_to_unit(X[start:start + chunk], net.dtype)  # (chunk, n_features)
        yb = y[start:start + chunk]
        with np.errstate(over="ignore", invalid="ignore"):
            logits = net._forward(Xb)[-1].z  # (chunk, C)
            loss = net._head.fused.forward(logits, yb)[0]
        total += net._finite(loss, Xb) * len(yb)
        preds[start:start + chunk] = logits.argmax(axis=1)
    cm = confusion_matrix(y, preds, net.n_classes)
    return Evaluation(total / max(len(X), 1), accuracy(y, preds), cm, preds)
