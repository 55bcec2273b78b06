"""What a run has produced, handed from the training thread to whoever draws, under one lock.

:class:`RunLog` holds the history, the latest record, the checkpoints and the
last published copy of the weights. The training thread adds each record and,
when asked, publishes the weights between two steps (so a copy is always the
weights of one named step); other threads read consistent :class:`Frame` s.
No widgets, no training: the session drives it.
"""

from __future__ import annotations

import threading

from ...core import Progress
from ...core.history import History
from .checkpoints import Checkpoint, Frame

__all__ = ["RunLog"]


class RunLog:
    """The records, checkpoints and published weights of one run; ``net`` is the live network."""

    def __init__(self, net) -> None:
        self.net = net
        self.history = History(points_per_epoch=200)
        self.snapshots: list[Checkpoint] = []
        self.evaluation: Checkpoint | None = None
        self.latest: Progress | None = None
        self.lock = threading.Lock()
        self.taken = threading.Condition(self.lock)  # notified after each record
        self._version = 0
        self._published: tuple | None = None
        self._published_version = -1
        self._published_at: Progress | None = None
        self._want_weights = False
        self._weights_ready = threading.Event()

    # ------------------------------------------------- the training thread
    def add(self, record: Progress, checkpoint: Checkpoint | None, *, publish: bool = False) -> None:
        """Take a record (and its epoch checkpoint); publish the weights if asked or ``publish``."""
        with self.lock:
            self.history.add(record)
            self.latest = record
            self._version += 1
            if checkpoint is not None:
                self.snapshots.append(checkpoint)
                self.evaluation = checkpoint
            if self._want_weights or publish:
                self._publish()
            self.taken.notify_all()

    def add_checkpoint(self, checkpoint: Checkpoint, *, snapshot: bool) -> None:
        with self.lock:
            if snapshot:
                self.snapshots.append(checkpoint)
            self.evaluation = checkpoint
            self._version += 1

    def ended(self) -> None:
        """The worker has ended: publish the weights it left, wake every waiter."""
        with self.lock:
            self._publish()
            self.taken.notify_all()

    def _publish(self) -> None:
        """Publish a copy of the weights (lock held, between two steps)."""
        self._published = tuple(W.copy() for W in self.net.weights)
        self._published_version = self._version
        self._published_at = self.latest  # the weights are exactly those of this record's step
        self._want_weights = False
        self._weights_ready.set()

    # ------------------------------------------------------ other threads
    def request_weights(self, *, running: bool) -> None:
        """Ask for a fresh copy of the weights: now, or after the worker's next step while ``running``."""
        with self.lock:
            if running:
                self._want_weights = True
            else:
                self._publish()

    def weights(self, *, running, timeout: float = 5.0) -> tuple:
        """A consistent copy of the current weights (waits for one step while ``running()``)."""
        with self.lock:
            self._weights_ready.clear()
            if running():
                self._want_weights = True
            else:
                self._publish()
        if not self._weights_ready.wait(timeout):
            raise TimeoutError(f"training did not hand over its weights within {timeout} s.")
        with self.lock:
            return self._published

    def wait_for_steps(self, n: int, *, running, timeout: float | None) -> bool:
        """Wait until ``n`` steps are taken, or ``running()`` is False; True if they are."""
        with self.taken:
            self.taken.wait_for(lambda: (self.latest is not None and self.latest.step >= n)
                                or not running(), timeout)
            return self.latest is not None and self.latest.step >= n

    def frame(self, *, state: str, running, error, fresh_weights: float = 0.0) -> Frame:
        """Everything the dashboard draws, copied consistently.

        ``fresh_weights`` > 0: while ``running()``, first ask for the weights and wait up
        to that many seconds for the worker to publish them after its next step,
        so that they are at most a step behind ``latest`` (``weights_at`` names
        their step exactly either way).
        """
        with self.lock:
            if fresh_weights > 0 and running():
                asked_at = self._version
                self._want_weights = True
                self.taken.wait_for(lambda: self._published_version > asked_at or not running(),
                                    fresh_weights)
            h, latest = self.history, self.latest
            return Frame(
                version=self._version, state=state, latest=latest,
                steps=list(h.steps), train_loss=list(h.train_loss),
                train_accuracy=list(h.train_accuracy), test_steps=h.test_steps,
                test_accuracy=h.test_accuracy, weights=self._published,
                weights_version=self._published_version, weights_at=self._published_at,
                evaluation=self.evaluation, n_snapshots=len(self.snapshots), error=error,
                samples_per_second=latest.samples_per_second if latest else 0.0)

    def history_dict(self) -> dict:
        """The history as JSON-ready values, copied consistently."""
        with self.lock:
            return self.history.to_dict()
