"""The package's exceptions: every user mistake raises one of these.

Each message says what was expected, what came, and how to fix it. They subclass
ValueError, TypeError or OSError so that ordinary ``except ValueError`` code still works.
"""

from __future__ import annotations


class BackproplabError(Exception):
    """Base class of every error that backproplab raises on purpose."""


class ShapeError(BackproplabError, ValueError):
    """An array has the wrong number of dimensions or the wrong size."""


class DTypeError(BackproplabError, TypeError):
    """An array has a dtype the operation cannot use."""


class StepNotFoundError(BackproplabError, KeyError, IndexError, ValueError):
    """A trace has no step of that name, or no step at that position."""

    def __str__(self) -> str:  # the message as written, not KeyError's quoted repr
        return str(self.args[0]) if self.args else ""


class InputTypeError(BackproplabError, TypeError):
    """A value is not of a usable kind at all (None where arrays belong, a string for a number...)."""


class NonFiniteError(BackproplabError, ValueError):
    """An input holds NaN or infinity, or values that become infinite in the network's dtype."""


class LabelError(BackproplabError, ValueError):
    """Labels are not integers in ``0 .. n_classes - 1``."""


class ConfigError(BackproplabError, ValueError):
    """A configuration value (activation name, layer sizes, learning rate...) is invalid."""


class TooLargeError(ConfigError):
    """A size would need more memory than the package allows; the message gives both numbers."""


class JacobianTooLargeError(BackproplabError, ValueError):
    """A full Jacobian would have too many entries to materialise."""


class ModelFileError(BackproplabError, ValueError):
    """A file is not a backproplab model, or is damaged, or cannot be read."""


class DataError(BackproplabError, ValueError):
    """A data file is missing, truncated, corrupted or not what it claims to be."""


class OutputPathError(BackproplabError, OSError):
    """A file cannot be written where it was asked to go (missing or read-only folder...)."""


class MissingFolderError(OutputPathError, FileNotFoundError):
    """The folder a file should be written into does not exist (and was not to be created)."""


class DivergenceError(BackproplabError, ValueError):
    """Training diverged: a NaN or infinite loss, or a loss far above where it started.

    Raised by :meth:`~backproplab.core.training.Trainer.run` after the network's
    weights were restored to those of the last good step. Besides the message,
    which says what to change, it carries the facts a panel may show:

    ``epoch``, ``step``  where it was detected (1-based; ``step`` counts steps of the run)
    ``loss``             the batch loss that was refused (may be nan or inf)
    ``start_loss``       the reference it was compared with (the first loss, at least ln C)
    ``cause``            ``"learning_rate"`` or ``"data"`` (inputs far outside [0, 1])
    ``suggested_lr``     a learning rate to try: a tenth of the one used, at most 0.1
                         (``None`` when the data is the problem)
    ``restored_step``    the step whose weights the network now holds (0: as before the run)
    """

    def __init__(self, message: str, *, epoch: int = 0, step: int = 0, loss: float = float("nan"),
                 start_loss: float = float("nan"), cause: str = "learning_rate",
                 suggested_lr: float | None = None, restored_step: int = 0) -> None:
        super().__init__(message)
        self.epoch, self.step, self.loss, self.start_loss = epoch, step, loss, start_loss
        self.cause, self.suggested_lr, self.restored_step = cause, suggested_lr, restored_step

    def __reduce__(self):  # keep the facts when pickled (to another process, a panel's worker)
        facts = {k: getattr(self, k) for k in ("epoch", "step", "loss", "start_loss", "cause",
                                                "suggested_lr", "restored_step")}
        return _rebuild_divergence, (str(self), facts)


def _rebuild_divergence(message: str, facts: dict) -> DivergenceError:
    return DivergenceError(message, **facts)


class PixelError(BackproplabError, ValueError):
    """Pixel values an image cannot hold: negative, NaN or infinite."""
