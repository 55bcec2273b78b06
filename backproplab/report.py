"""A training report on disk: filters.png, confusion.png, curves.png, metrics.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ._files import atomic_write, check_output_file, check_output_folder
from .core.history import History
from .viz import ConfusionFigure, CurvesFigure, FiltersFigure


#: The files ``write_report`` writes (confusion.png only when the history has a confusion matrix).
REPORT_FILES = ("filters.png", "confusion.png", "curves.png", "metrics.json")


def write_report(folder: str | os.PathLike, net, history: History, *, settings: dict | None = None) -> list[Path]:
    """Write the report's four files into ``folder`` (created if needed); return their paths.

    Raises :class:`~backproplab.errors.OutputPathError` when ``folder`` is a file
    or cannot be written; call :func:`check_report_folder` before training to learn it early.
    """
    folder = check_report_folder(folder)
    written = []
    filters = FiltersFigure(n_filters=net.sizes[1], image_shape=_image_shape(net.n_features))
    filters.update(net.weights[0], title=f"W1 filters after {len(history.epochs)} epochs")
    written.append(filters.save(folder / "filters.png"))
    if history.confusion is not None:
        confusion = ConfusionFigure(n_classes=net.n_classes)
        confusion.update(history.confusion)
        written.append(confusion.save(folder / "confusion.png"))
    curves = CurvesFigure()
    curves.update(steps=history.steps, train_loss=history.train_loss, train_acc=history.train_accuracy,
                  test_steps=history.test_steps, test_acc=history.test_accuracy)
    written.append(curves.save(folder / "curves.png"))
    metrics = {**history.to_dict(), "model": repr(net), "settings": settings or {}}
    with atomic_write(folder / "metrics.json") as f:
        f.write(json.dumps(metrics, indent=2).encode())
    written.append(folder / "metrics.json")
    return written


def check_report_folder(folder: str | os.PathLike, *, create: bool | None = True) -> Path:
    """Check the report folder before the work that fills it; return it.

    Each of the report's files must be writable there (not a folder, say). A
    missing folder is created, or with ``create=None`` only checked to be creatable.
    """
    folder = check_output_folder(folder, create=create)
    for name in REPORT_FILES:
        check_output_file(folder / name, create_folder=create)
    return folder


def _image_shape(n_features: int) -> tuple[int, int]:
    side = int(round(n_features ** 0.5))
    return (side, side) if side * side == n_features else (1, n_features)
