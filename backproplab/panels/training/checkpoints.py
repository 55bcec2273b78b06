"""The network at chosen moments and its test results; what one dashboard frame draws.

No widgets. :class:`Checkpoint` is one moment (weights, confusion matrix, test
and train numbers, saturation diagnostics); :class:`Evaluator` makes them from
a progress record or from the network now; :class:`Frame` is a consistent copy
of everything the dashboard draws, taken by the session under its lock.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ...core import MLP, Progress, evaluate, saturation
from ...data import balanced_subset

__all__ = ["Checkpoint", "Evaluator", "Frame"]

_uids = itertools.count(1)


@dataclass(eq=False)
class Checkpoint:
    """The network at one moment and its test results: what a confusion matrix shows.

    ``weights`` are copies (never the live arrays); ``predictions`` on the test
    set are filled in on first use (see :meth:`Evaluator.predictions`).
    """

    label: str  # "untrained", "epoch 3", "step 412"
    epoch: float  # in epochs, possibly fractional
    step: int
    weights: tuple[np.ndarray, ...] = field(repr=False)
    confusion: np.ndarray = field(repr=False)
    test_loss: float
    test_accuracy: float
    train_loss: float | None = None
    train_accuracy: float | None = None
    saturation: tuple | None = None
    predictions: np.ndarray | None = field(default=None, repr=False)
    uid: int = field(default_factory=lambda: next(_uids), repr=False)  # unique, unlike id()


@dataclass(frozen=True)
class Frame:
    """A consistent copy of what the dashboard draws, taken under the session's lock."""

    version: int  # records accepted so far (bumped by each step)
    state: str
    latest: Progress | None
    steps: list
    train_loss: list
    train_accuracy: list
    test_steps: list
    test_accuracy: list
    weights: tuple | None  # a copy of W1..Wk at ``weights_version`` (None: none published)
    weights_version: int
    weights_at: Progress | None  # the record whose step ``weights`` hold (None: untrained)
    evaluation: Checkpoint | None
    n_snapshots: int
    error: BaseException | None
    samples_per_second: float


class Evaluator:
    """Test-set evaluations of a network: checkpoints from records or from the network now.

    ``probe`` test images (class-balanced, fixed) feed the saturation diagnostics.
    """

    def __init__(self, x_test, y_test, *, probe: int = 256) -> None:
        self.x_test, self.y_test = x_test, y_test
        idx = balanced_subset(y_test, min(probe, len(y_test)), seed=0)
        self._probe = (x_test[idx], y_test[idx])

    def from_record(self, record: Progress, net: MLP) -> Checkpoint:
        """The checkpoint of an epoch's end record (``net`` holds exactly its weights)."""
        return Checkpoint(
            label=f"epoch {record.epoch}", epoch=float(record.epoch), step=record.step,
            weights=record.weights, confusion=record.confusion,
            test_loss=record.test_loss, test_accuracy=record.test_accuracy,
            train_loss=record.train_loss, train_accuracy=record.train_accuracy,
            saturation=saturation(net, *self._probe))

    def now(self, net: MLP, label: str, *, epoch: float, step: int, latest: Progress | None,
            diagnose: bool) -> Checkpoint:
        """Evaluate ``net`` as it is (``diagnose``: with the saturation diagnostics)."""
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run shows inf, no warnings
            result = evaluate(net, self.x_test, self.y_test)
            probe = saturation(net, *self._probe) if diagnose else None
        return Checkpoint(
            label=label, epoch=epoch, step=step, weights=tuple(W.copy() for W in net.weights),
            confusion=result.confusion, test_loss=result.loss, test_accuracy=result.accuracy,
            train_loss=latest.train_loss if latest else None,
            train_accuracy=latest.train_accuracy if latest else None,
            saturation=probe, predictions=result.predictions)

    def predictions(self, checkpoint: Checkpoint, like: MLP) -> np.ndarray:
        """The checkpoint's test-set predictions (n_test,), computed once from its weights."""
        if checkpoint.predictions is None:
            checkpoint.predictions = evaluate(network_with(like, checkpoint.weights), self.x_test,
                                              self.y_test).predictions
        return checkpoint.predictions


def network_with(like: MLP, weights) -> MLP:
    """A new MLP shaped like ``like`` holding copies of ``weights`` (never the live arrays)."""
    net = MLP(like.sizes, activation=like.activation, seed=None, dtype=like.dtype)
    net.set_weights(weights)
    return net
