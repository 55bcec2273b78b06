"""A run's history, gathered from its progress records: curves and per-epoch results.

The CLI's report, the dashboard's curves and the tests read the same history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .training import Progress


@dataclass
class History:
    """Curve points (about ``points_per_epoch`` per epoch) and one entry per epoch."""

    points_per_epoch: int = 20
    steps: list[float] = field(default_factory=list)  # x of the train curves, in epochs
    train_loss: list[float] = field(default_factory=list)  # running mean over the epoch
    train_accuracy: list[float] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)  # one dict per finished epoch
    confusion: np.ndarray | None = None  # the latest test confusion matrix

    def add(self, record: Progress) -> None:
        """Take one progress record into the history."""
        every = max(1, record.steps_per_epoch // self.points_per_epoch)
        if record.step % every == 0 or record.epoch_end:
            self.steps.append(record.epoch_fraction)
            self.train_loss.append(record.train_loss)
            self.train_accuracy.append(record.train_accuracy)
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
