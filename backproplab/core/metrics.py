"""Classification metrics: accuracy, the confusion matrix, per-class accuracy."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError, LabelError, ShapeError
from .pixels import pixels_to_unit
from .validation import check_batch_size, check_images


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of predictions (n,) equal to the labels (n,); 0.0 for no labels."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else 0.0


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class.

    Labels outside 0..n_classes-1 raise LabelError (they would land in a wrong cell).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.dtype.kind not in "iu" or (labels.size and (labels.min() < 0 or labels.max() >= n_classes)):
            raise LabelError(f"{name} must hold integer labels in 0..{n_classes - 1} for a {n_classes}-class "
                             f"confusion matrix; got {labels[:5]!r}... Pass n_classes= the number of classes.")
    flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class (n_classes,): the diagonal over the row sums (NaN for empty rows)."""
    cm = np.asarray(cm)
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / np.maximum(totals, 1), np.nan)


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ShapeError(f"y_true and y_pred must be two label arrays of the same length (n,); got shapes "
                         f"{y_true.shape} and {y_pred.shape}. Compare predictions with the labels of the same samples.")
    return y_true, y_pred


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
    check_batch_size(min(chunk, len(X)), net.sizes, name="chunk", fix="Use chunk ≤ {largest:,}, e.g. 1000.")
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
