"""A run's history, gathered from its progress records: curves and per-epoch results.

The CLI's report, the dashboard's curves and the tests read the same history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .training import Progress


@dataclass
class History:
    """Curve points (about ``points_per_epoch`` per epoch) and one entry per epoch.

    The train curves are exponential moving averages of the batch loss and batch
    accuracy over about a fifth of an epoch (at least 32 steps): smooth, and
    without the jump at each epoch's start that a per-epoch running mean shows.
    """

    points_per_epoch: int = 20
    steps: list[float] = field(default_factory=list)  # x of the train curves, in epochs
    train_loss: list[float] = field(default_factory=list)  # moving average of batch losses
    train_accuracy: list[float] = field(default_factory=list)  # moving average of batch accuracies
    epochs: list[dict] = field(default_factory=list)  # one dict per finished epoch
    confusion: np.ndarray | None = None  # the latest test confusion matrix
    _average: tuple[float, float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = self.points_per_epoch
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"points_per_epoch must be a whole number ≥ 1, such as 20; got {n!r}.")

    def add(self, record: Progress) -> None:
        """Take one progress record into the history."""
        every = max(1, record.steps_per_epoch // self.points_per_epoch)
        span = max(every, record.steps_per_epoch // 5, 32)  # steps averaged: smooth, yet a fifth of an epoch
        alpha = 2.0 / (span + 1)
        if self._average is None:
            self._average = (record.loss, record.batch_accuracy)
        else:
            loss, acc = self._average
            self._average = (loss + alpha * (record.loss - loss), acc + alpha * (record.batch_accuracy - acc))
        if record.step % every == 0 or record.epoch_end:
            self.steps.append(record.epoch_fraction)
            self.train_loss.append(self._average[0])
            self.train_accuracy.append(self._average[1])
        if record.epoch_end:
            self.epochs.append({
                "epoch": record.epoch, "train_loss": record.train_loss,
                "train_accuracy": record.train_accuracy, "test_loss": record.test_loss,
                "test_accuracy": record.test_accuracy, "seconds": record.epoch_seconds,
                "lr": record.lr,
            })
            if record.confusion is not None:
                self.confusion = record.confusion

    @property
    def test_steps(self) -> list[float]:
        return [float(e["epoch"]) for e in self.epochs if e["test_accuracy"] is not None]

    @property
    def test_accuracy(self) -> list[float]:
        return [e["test_accuracy"] for e in self.epochs if e["test_accuracy"] is not None]

    @property
    def seconds_per_epoch(self) -> list[float]:
        return [e["seconds"] for e in self.epochs]

    def to_dict(self) -> dict:
        """The history as plain JSON-ready values (the report's metrics.json)."""
        return {
            "test_accuracy": self.test_accuracy[-1] if self.test_accuracy else None,
            "seconds_per_epoch": self.seconds_per_epoch,
            "epochs": self.epochs,
            "confusion_matrix": None if self.confusion is None else self.confusion.tolist(),
        }
