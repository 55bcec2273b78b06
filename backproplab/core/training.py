"""Minibatch SGD as a stream of small, immutable progress records.

The trainer never prints: the CLI prints the records, panels draw them, tests
assert on them. Stop it between steps by leaving the loop (or calling
:meth:`Trainer.stop` from another thread); the network is always left with the
weights of a completed step, every layer from the same step, even when Ctrl-C
(KeyboardInterrupt) arrives in the middle of an update.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from typing import Iterator, NamedTuple

import numpy as np

from ..errors import ConfigError, DivergenceError, InputTypeError
from .metrics import evaluate
from .pixels import pixels_to_unit
from .validation import as_labels, check_batch_size, check_images, check_seed, data_scale

#: A step whose loss exceeds this many times the run's starting loss (at least ln C) is bad;
DIVERGENCE_FACTOR = 10.0
#: this many bad steps in a row, or one NaN / infinite loss, is divergence.
DIVERGENCE_PATIENCE = 3
#: The largest learning rate a diverged run is advised to try (the default rate).
SAFE_LR = 0.1
#: Inputs larger than this (in absolute value) are "the data is the problem" when a run diverges.
LARGE_INPUT = 1e3


class Progress(NamedTuple):
    """One training step's record; the last step of an epoch also carries test results.

    A NamedTuple rather than a frozen dataclass: one is made per step, and a
    NamedTuple is several times cheaper to create.
    """

    epoch: int  # 1-based
    step: int  # steps completed in this run, 1-based
    steps_per_epoch: int
    loss: float  # this batch's mean cross-entropy, before its update
    train_loss: float  # running mean of the batch losses over this epoch so far
    lr: float  # the learning rate of this step
    train_accuracy: float  # running accuracy over this epoch's batches so far
    batch_accuracy: float  # accuracy on this step's batch, before its update
    samples_seen: int  # in this run
    elapsed: float  # seconds of training in this run (evaluation excluded)
    epoch_end: bool = False
    epoch_seconds: float | None = None  # training time of the epoch just ended
    test_loss: float | None = None
    test_accuracy: float | None = None
    confusion: np.ndarray | None = None  # (C, C) test counts, rows true, on request
    weights: tuple[np.ndarray, ...] | None = None  # a copy of W1..Wk, on request

    @property
    def epoch_fraction(self) -> float:
        """Progress in epochs, e.g. 2.5 halfway through the third epoch."""
        done = self.step - (self.epoch - 1) * self.steps_per_epoch
        return self.epoch - 1 + done / self.steps_per_epoch

    @property
    def samples_per_second(self) -> float:
        return self.samples_seen / self.elapsed if self.elapsed > 0 else 0.0


class Trainer:
    """Minibatch SGD with optional momentum for an :class:`~backproplab.core.network.MLP`.

    ``Trainer(net).run(X, y, X_test, y_test)`` yields a :class:`Progress` per step.
    X may be uint8 pixels (converted to floats one batch at a time, to keep memory
    small) or floats. ``blas_threads=1`` pins BLAS to one thread, which is fastest
    on small machines; ``None`` leaves BLAS alone. The limit is process-wide and
    lasts from the run's first step until the run ends or is closed, so while a
    run is paused (not iterated) other NumPy code also uses one BLAS thread.

    Each :meth:`run` is a fresh run of SGD from the network's current weights: the
    momentum starts at zero, the learning rate at ``lr`` (epoch 1) and the shuffling
    at ``seed``. A second ``run`` therefore equals ``Trainer(net, same settings).run``;
    it never carries the previous run's momentum over.

    Divergence: a NaN or infinite loss, or a batch loss above ``DIVERGENCE_FACTOR``
    times the run's first loss (at least ln C) for ``DIVERGENCE_PATIENCE`` steps in a
    row, stops the run with :class:`~backproplab.errors.DivergenceError` after the
    weights of the last step whose loss was fine are restored.
    """

    def __init__(self, net, *, epochs: int = 10, lr: float = 0.1, batch_size: int = 32,
                 momentum: float = 0.9, lr_decay: float = 0.8, seed: int | None = 0, shuffle: bool = True,
                 blas_threads: int | None = 1, confusion: bool = False,
                 snapshots: bool = False) -> None:
        if not all(hasattr(net, a) for a in ("weights", "n_features", "_forward")):
            raise InputTypeError(f"Trainer needs an MLP to train; got {type(net).__name__}. "
                                 f"Pass one, e.g. Trainer(MLP(), epochs=10).")
        _check_number("epochs", epochs, "a whole number ≥ 1", integer=True, low=1)
        _check_number("batch_size", batch_size, "a whole number ≥ 1", integer=True, low=1)
        _check_number("lr", lr, "a positive number such as 0.1", low=0, low_open=True)
        _check_number("momentum", momentum, "a number in [0, 1) such as 0.9", low=0, high=1, high_open=True)
        _check_number("lr_decay", lr_decay, "a number in (0, 1] such as 0.8 (1 keeps lr constant)",
                      low=0, high=1, low_open=True)
        if blas_threads is not None:
            _check_number("blas_threads", blas_threads, "a whole number ≥ 1, or None", integer=True, low=1)
        self.net, self.epochs, self.lr, self.batch_size = net, int(epochs), float(lr), int(batch_size)
        self.momentum, self.lr_decay = float(momentum), float(lr_decay)
        for name, flag in (("shuffle", shuffle), ("confusion", confusion), ("snapshots", snapshots)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ConfigError(f"{name} must be True or False; got {flag!r}.")
        self.seed, self.shuffle, self.blas_threads = check_seed(seed), bool(shuffle), blas_threads
        self.confusion, self.snapshots = bool(confusion), bool(snapshots)
        self._stop_requested = False

    def __repr__(self) -> str:
        return (f"Trainer({self.net!r}, epochs={self.epochs}, lr={self.lr}, batch_size={self.batch_size}, "
                f"momentum={self.momentum}, lr_decay={self.lr_decay}, seed={self.seed})")

    def stop(self) -> None:
        """Ask a running :meth:`run` to end after the step it is taking."""
        self._stop_requested = True

    def run(self, X, y, X_test=None, y_test=None) -> Iterator[Progress]:
        """Train, yielding a :class:`Progress` after every step.

        At each epoch's end, with a test set, the record carries the test loss and
        accuracy, and on request the confusion matrix and a copy of the weights.
        Raises :class:`~backproplab.errors.DivergenceError` when the run diverges
        (see the class), after restoring the weights of the last good step; its
        message says whether to lower the learning rate or to scale the data.
        Everything is checked when ``run`` is called, before the first step: the
        data, and the batch's memory (``min(batch_size, len(X))`` rows are held at once).
        """
        net = self.net
        X = check_images(X, net.n_features, name="X", dtype=net.dtype)
        y = as_labels(y, len(X), net.n_classes, name="y")
        if (X_test is None) != (y_test is None):
            given, missing = ("X_test", "y_test") if y_test is None else ("y_test", "X_test")
            raise InputTypeError(f"{given} was given but {missing} is None; pass both test arrays, "
                                 f"or neither to train without a test set.")
        if X_test is not None:
            X_test = check_images(X_test, net.n_features, name="X_test", dtype=net.dtype)
            y_test = as_labels(y_test, len(X_test), net.n_classes, name="y_test")
        check_batch_size(min(self.batch_size, len(X)), net.sizes)
        return self._run(X, y, X_test, y_test)

    def _run(self, X, y, X_test, y_test) -> Iterator[Progress]:
        self._stop_requested = False
        with _blas_limits(self.blas_threads):
            yield from self._loop(X, y, X_test, y_test)

    def _loop(self, X, y, X_test, y_test) -> Iterator[Progress]:
        net, n = self.net, len(X)
        B = min(self.batch_size, n)
        rng = np.random.default_rng(self.seed)
        steps_per_epoch = math.ceil(n / B)
        batches = _BatchBuffers(X, B, net.dtype)
        state = _RunState(net, self.momentum)  # every run starts at rest, with its own state
        guard = _DivergenceGuard(self, state, X)
        step, seen, elapsed = 0, 0, 0.0
        for epoch in range(1, self.epochs + 1):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            correct = epoch_seen = 0
            loss_sum = 0.0
            epoch_start = elapsed
            lr = self.lr * self.lr_decay ** (epoch - 1)  # the step size of this epoch
            for start in range(0, n, B):
                if self._stop_requested:
                    return
                t0 = time.perf_counter()
                idx = order[start:start + B]
                Xb, yb = batches.take(idx), y[idx]  # (B, n_features) floats, (B,)
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is checked below
                    records = net._forward(Xb)
                    loss, cache = net._head.fused.forward(records[-1].z, yb)
                good = guard.check(loss, epoch, step + 1)  # raises DivergenceError
                # Backpropagate −lr instead of 1: every dW_k comes out as −lr · dL/dW_k, the step itself.
                steps = net._backward(net._head.fused.backward(-lr, cache), records).dW
                state.update(steps, keep=good, step=step)
                batch_correct = int(np.count_nonzero(cache[0].argmax(axis=1) == yb))
                correct += batch_correct
                loss_sum += loss * len(idx)
                step, seen, epoch_seen = step + 1, seen + len(idx), epoch_seen + len(idx)
                elapsed += time.perf_counter() - t0
                record = Progress(epoch, step, steps_per_epoch, loss, loss_sum / epoch_seen, lr,
                                  correct / epoch_seen, batch_correct / len(idx), seen, elapsed)
                if start + B >= n:
                    record = self._epoch_end(record, elapsed - epoch_start, X_test, y_test)
                yield record

    def _epoch_end(self, record: Progress, seconds: float, X_test, y_test) -> Progress:
        extra = {"epoch_end": True, "epoch_seconds": seconds}
        if X_test is not None:
            result = evaluate(self.net, X_test, y_test)
            extra.update(test_loss=result.loss, test_accuracy=result.accuracy)
            if self.confusion:
                extra["confusion"] = result.confusion
        if self.snapshots:
            extra["weights"] = tuple(W.copy() for W in self.net.weights)
        return record._replace(**extra)


class _RunState:
    """What one run keeps between its steps: the momentum and the last good weights.

    Each run has its own, so two runs of one Trainer (an abandoned generator and a
    new one) never share momentum.
    """

    def __init__(self, net, momentum: float) -> None:
        self.net, self.momentum = net, momentum
        self.velocity = [np.zeros_like(W) for W in net.weights]
        self.last_good = [W.copy() for W in net.weights]
        self.good_step = 0  # the weights in last_good are those after this many steps

    def update(self, steps: list[np.ndarray], *, keep: bool, step: int) -> None:
        """SGD with momentum, given steps = −lr · g:  v ← μ v + step;  W ← W + v, in place.

        The weights are updated in place, so arrays taken from ``net.weights`` stay
        current. When ``keep``, they are first copied, every layer, as the last good
        state (their loss was fine), which divergence restores. An exception while
        the layers are being updated (Ctrl-C between two layers) restores that state
        too, so no layer is ever a step ahead of another.
        """
        weights = self.net.weights
        if keep:
            for W, good in zip(weights, self.last_good):
                np.copyto(good, W)
            self.good_step = step
        try:
            for W, v, dW in zip(weights, self.velocity, steps):
                if self.momentum:
                    v *= self.momentum
                    v += dW
                    W += v
                else:
                    W += dW
        except BaseException:
            self.restore()
            raise

    def restore(self) -> None:
        for W, good in zip(self.net.weights, self.last_good):
            np.copyto(W, good)


class _DivergenceGuard:
    """Decides, step by step, whether a run's loss is still fine, and explains divergence."""

    def __init__(self, trainer: Trainer, state: _RunState, X: np.ndarray) -> None:
        self.trainer, self.state, self.X = trainer, state, X
        self.floor = math.log(trainer.net.n_classes)  # the loss of a uniform guess
        self.reference: float | None = None
        self.bad = 0

    def check(self, loss: float, epoch: int, step: int) -> bool:
        """True when ``loss`` is fine; raise DivergenceError (weights restored) when the run diverged."""
        if self.reference is None and math.isfinite(loss):
            self.reference = max(loss, self.floor)
        if math.isfinite(loss) and loss <= DIVERGENCE_FACTOR * self.reference:
            self.bad = 0
            return True
        self.bad += 1
        if math.isfinite(loss) and self.bad < DIVERGENCE_PATIENCE:
            return False
        self.state.restore()
        raise self._error(loss, epoch, step)

    def _error(self, loss: float, epoch: int, step: int) -> DivergenceError:
        t, good_step = self.trainer, self.state.good_step
        scale = data_scale(self.X)
        reference = self.reference if self.reference is not None else float("nan")
        what = (f"the loss became {loss}" if not math.isfinite(loss) else
                f"the loss stayed above {DIVERGENCE_FACTOR:g} × its start ({reference:.3g}) for "
                f"{DIVERGENCE_PATIENCE} steps, reaching {loss:.3g}")
        kept = (f"the weights of step {good_step} were restored" if good_step else
                "the weights from before the run were restored")
        facts = dict(epoch=epoch, step=step, loss=loss, start_loss=reference, restored_step=good_step)
        if scale > LARGE_INPUT:
            return DivergenceError(
                f"training diverged at epoch {epoch}, step {step}: {what}; {kept}. The data is the problem: "
                f"the inputs reach |x| = {scale:.3g}, far outside the [0, 1] the network expects. Scale "
                f"them first (X / 255 for pixels, or X / np.abs(X).max()); a smaller learning rate will "
                f"not fix this.", cause="data", suggested_lr=None, **facts)
        suggested = min(t.lr / 10, SAFE_LR)  # a tenth, and never above the classic net's usual rate
        hint = (f" (the inputs reach |x| = {scale:.3g}; scaling them to [0, 1] helps too)" if scale > 10 else "")
        return DivergenceError(
            f"training diverged at epoch {epoch}, step {step}: {what}; {kept}. The learning rate is too "
            f"large: try lr={suggested:g} instead of {t.lr:g}{hint}.",
            cause="learning_rate", suggested_lr=suggested, **facts)


class _BatchBuffers:
    """Gather a batch of rows and convert it to floats in reused buffers."""

    def __init__(self, X: np.ndarray, batch_size: int, dtype) -> None:
        self.X = X
        self.raw = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
        self.out = np.empty((batch_size, X.shape[1]), dtype=dtype)

    def take(self, idx: np.ndarray) -> np.ndarray:
        raw = self.raw[:len(idx)]
        self.X.take(idx, axis=0, out=raw)  # (B, n_features)
        return pixels_to_unit(raw, self.out.dtype, out=self.out[:len(idx)])  # (B, n_features) floats


def _blas_limits(threads: int | None):
    if threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def _check_number(name: str, value, expected: str, *, integer: bool = False,
                  low: float | None = None, high: float | None = None,
                  low_open: bool = False, high_open: bool = False) -> None:
    """Raise ConfigError "<name> must be <expected>; got <value>" unless value fits."""
    kinds = (int, np.integer) if integer else (int, float, np.number)
    ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ConfigError(f"{name} must be {expected}; got {value!r}.")
