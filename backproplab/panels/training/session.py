"""One training run for the dashboard: the trainer's stream, pulled in a thread or by hand.

No widgets here. A :class:`TrainingSession` owns the network, the run's
:class:`~backproplab.core.history.History`, its per-epoch checkpoints and the
latest evaluation, and hands consistent copies of them to whoever draws.

Threads exist only while the run is *running*: a worker pulls records from
``Trainer.run(...)`` until asked to pause or stop, then ends, leaving the
generator suspended between two steps. Pausing is therefore just ending the
worker; resuming starts a new one on the same generator; stepping by hand pulls
from it in the caller's thread. Exactly one thread ever advances the generator.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np
import traitlets

from ...core import MLP, Progress, Trainer
from ...core.history import History
from ...data import balanced_subset
from ...errors import ConfigError, DivergenceError
from .checkpoints import Checkpoint, Evaluator, Frame
from .runlog import RunLog

__all__ = ["Checkpoint", "Frame", "TrainingSession", "STATES"]

#: ready: no run yet · paused: a run exists, nobody pulls · running: a worker pulls ·
#: finished / stopped / failed: the run is over (reset to start another).
STATES = ("ready", "paused", "running", "finished", "stopped", "failed")
_OVER = ("finished", "stopped", "failed")


class TrainingSession(traitlets.HasTraits):
    """A network, its data, and at most one training run over them.

    Parameters
    ----------
    net : MLP
    data : MNIST-like (x_train, y_train, x_test, y_test), uint8 or float images
    probe : how many test images (class-balanced, fixed) the saturation
        diagnostics use at each epoch end.

    Observable (traitlets): ``state`` (see STATES; the worker thread sets it, so
    observers run in that thread) and ``speed`` (steps per second, None for full
    speed; may change while running).
    """

    state = traitlets.Enum(STATES, default_value="ready")
    speed = traitlets.Float(None, allow_none=True)

    def __init__(self, net: MLP, data, *, probe: int = 256) -> None:
        super().__init__()
        self.net = net
        self.x_train, self.y_train = data.x_train, data.y_train
        self.x_test, self.y_test = data.x_test, data.y_test
        self.evaluator = Evaluator(self.x_test, self.y_test, probe=probe)
        self.log = RunLog(net)  # what the run produced, handed over under its lock
        self.trainer: Trainer | None = None
        self.settings: dict = {}
        self.n_train = len(self.y_train)
        self.error: BaseException | None = None
        self.run_seconds = 0.0  # wall time the workers spent pulling records
        self._stream = None
        self._halt = threading.Event()  # ask the worker to end (pause or stop)
        self._stop_asked = False
        self._ended = threading.Event()  # set when no worker is running
        self._ended.set()
        self._worker: threading.Thread | None = None
        self._on_end: Callable[[], None] | None = None
        self._checkpoint_now("untrained", epoch=0.0, step=0, snapshot=True)

    # ------------------------------------------------------------ facts
    @property
    def history(self) -> History:
        return self.log.history

    @property
    def snapshots(self) -> list[Checkpoint]:
        """The untrained network and one checkpoint per finished epoch."""
        return self.log.snapshots

    @property
    def evaluation(self) -> Checkpoint | None:
        """The latest test-set evaluation (an epoch's end, or the network when it last paused)."""
        return self.log.evaluation

    @property
    def latest(self) -> Progress | None:
        return self.log.latest

    @property
    def diverged(self) -> bool:
        """The run failed because training diverged (the Trainer kept the last good weights)."""
        return isinstance(self.error, DivergenceError)

    @property
    def over(self) -> bool:
        return self.state in _OVER

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def ended(self) -> threading.Event:
        """Set whenever no worker is running (the ticker waits on it)."""
        return self._ended

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n_train // self.trainer.batch_size) if self.trainer else 0

    @property
    def epochs_done(self) -> int:
        return len(self.history.epochs)

    # ------------------------------------------------------------ the run
    def begin(self, *, n_train: int | None = None, **settings) -> None:
        """Create the run: ``Trainer(net, **settings)`` over the first-chosen training subset.

        ``n_train`` picks a class-balanced subset of the training images (all by
        default). Settings are validated by the Trainer (ConfigError on a bad one).
        """
        if self.state != "ready":
            raise ConfigError(f"this run has already begun (state {self.state}); "
                              "reset to begin another.")
        n_all = len(self.y_train)
        n = n_all if n_train is None else n_train
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= n_all:
            raise ConfigError(f"the training-set size must be a whole number in 1..{n_all}; got {n!r}.")
        trainer = Trainer(self.net, **{**settings, "confusion": True, "snapshots": True})
        if n < n_all:
            idx = balanced_subset(self.y_train, int(n), seed=0)
            X, y = self.x_train[idx], self.y_train[idx]
        else:
            X, y = self.x_train, self.y_train
        self.trainer, self.settings, self.n_train = trainer, dict(settings), int(n)
        self._stream = trainer.run(X, y, self.x_test, self.y_test)
        self.state = "paused"

    def step(self, n: int = 1) -> list[Progress]:
        """Pull up to ``n`` records in this thread (the run must not be running)."""
        if self.running:
            raise ConfigError("training is running in the background; pause it before stepping.")
        if self.over:
            raise ConfigError(f"the run is over ({self.state}); reset to train again.")
        if self.state == "ready":
            raise ConfigError("begin the run before stepping.")
        records = []
        try:
            for _ in range(n):
                record = self._pull()
                if record is None:
                    break
                records.append(record)
        except Exception as exc:
            self._fail(exc)
            raise
        return records

    def start(self, on_end: Callable[[], None] | None = None) -> None:
        """Train in a background thread until the run ends, or pause / stop is asked.

        ``on_end`` is called in the worker thread once it has ended.
        """
        if self.state != "paused":
            raise ConfigError(f"cannot start from state {self.state!r}: begin the run first, "
                              "or reset after it is over.")
        self._halt.clear()
        self._ended.clear()
        self._on_end = on_end
        self.state = "running"
        self._worker = threading.Thread(target=self._work, name="backproplab-training", daemon=True)
        self._worker.start()

    def pause(self, timeout: float = 10.0) -> bool:
        """End the worker after its current step; True once it has ended."""
        self._halt.set()
        return self.wait(timeout)

    def stop(self, timeout: float = 10.0) -> bool:
        """End the run for good after the current step; the weights of that step stay."""
        self._stop_asked = True
        if self.trainer is not None:
            self.trainer.stop()
        ended = self.pause(timeout)
        if ended and not self.over and self.state != "ready":
            self._close_stream()
            self.state = "stopped"
        return ended

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no worker runs; True if none does (False: timed out)."""
        return self._ended.wait(timeout)

    def wait_for_steps(self, n: int, timeout: float | None = None) -> bool:
        """Wait until the run has taken ``n`` steps, or is no longer running; True if it has."""
        return self.log.wait_for_steps(n, running=lambda: self.running, timeout=timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Stop any worker and drop the generator."""
        return self.stop(timeout)

    def _work(self) -> None:
        started = time.perf_counter()
        try:
            while not self._halt.is_set():
                t0 = time.perf_counter()
                if self._pull() is None or self.over:
                    break
                rate = self.speed  # read every step: the speed may change while running
                if rate and self._halt.wait(max(0.0, 1.0 / rate - (time.perf_counter() - t0))):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the panel, which shows it
            self._fail(exc)
        finally:
            self.run_seconds += time.perf_counter() - started
            self.log.ended()
            if self.state == "running":  # observers run outside the lock
                self.state = "paused"
            self.log.ended()  # wake whoever waits on the state too
            self._ended.set()
            if self._on_end is not None:
                self._on_end()

    @traitlets.validate("speed")
    def _valid_speed(self, proposal):
        value = proposal["value"]
        if value is not None and not (np.isfinite(value) and value > 0):
            raise traitlets.TraitError(f"speed must be a number of steps per second > 0, or None for "
                                       f"full speed; got {value!r}.")
        return value

    def _pull(self) -> Progress | None:
        """Advance the generator by one step and take its record; None when it is done."""
        if self._stream is None:
            return None
        try:
            record = next(self._stream)
        except StopIteration:  # only after Trainer.stop(): the last epoch ends the run below
            self._close_stream()
            self.state = "stopped" if self._stop_asked else "finished"
            return None
        self._accept(record)
        if record.epoch_end and record.epoch == self.trainer.epochs:
            self._close_stream()
            self.state = "finished"
        return record

    def _accept(self, record: Progress) -> None:
        checkpoint = None
        if record.epoch_end and record.confusion is not None:
            # the generator is suspended: self.net holds exactly the record's weights
            checkpoint = self.evaluator.from_record(record, self.net)
        # slowed down, every step is shown: publish its weights at once (a copy per step is cheap then)
        self.log.add(record, checkpoint, publish=self.speed is not None)

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self._close_stream()
        self.state = "failed"

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()  # leaves the trainer's BLAS-thread limits
            self._stream = None

    # ------------------------------------------------- copies for drawing
    def request_weights(self) -> None:
        """Ask for a fresh copy of the weights, published after the worker's next step."""
        self.log.request_weights(running=self.running)

    def weights(self, timeout: float = 5.0) -> tuple[np.ndarray, ...]:
        """A consistent copy of the current weights (waits for one step while running)."""
        return self.log.weights(running=lambda: self.running, timeout=timeout)

    def frame(self, *, fresh_weights: float = 0.0) -> Frame:
        """Everything the dashboard draws, copied consistently (see :meth:`RunLog.frame`)."""
        return self.log.frame(state=self.state, running=lambda: self.running, error=self.error,
                              fresh_weights=fresh_weights)

    # ---------------------------------------------------------- evaluation
    def evaluate_now(self) -> Checkpoint:
        """Evaluate the current weights on the test set, unless the last evaluation is current."""
        if self.running:
            raise ConfigError("training is running; pause it before evaluating.")
        step = self.latest.step if self.latest else 0
        if self.evaluation is not None and self.evaluation.step == step:
            return self.evaluation
        epoch = self.latest.epoch_fraction if self.latest else 0.0
        return self._checkpoint_now(f"step {step}", epoch=epoch, step=step, snapshot=False)

    def _checkpoint_now(self, label: str, *, epoch: float, step: int, snapshot: bool) -> Checkpoint:
        checkpoint = self.evaluator.now(self.net, label, epoch=epoch, step=step, latest=self.latest,
                                        diagnose=snapshot)
        self.log.add_checkpoint(checkpoint, snapshot=snapshot)
        return checkpoint

    def history_dict(self) -> dict:
        """The history as JSON-ready values, copied consistently."""
        return self.log.history_dict()

    def predictions(self, checkpoint: Checkpoint) -> np.ndarray:
        """The checkpoint's test-set predictions (n_test,), computed once from its weights."""
        return self.evaluator.predictions(checkpoint, self.net)
