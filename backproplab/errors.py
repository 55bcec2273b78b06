"""The package's exceptions: every user mistake raises one of these.

Each message says what was expected, what came, and how to fix it. They subclass
ValueError or TypeError so that ordinary ``except ValueError`` code still works.
"""

from __future__ import annotations


class BackproplabError(Exception):
    """Base class of every error that backproplab raises on purpose."""


class ShapeError(BackproplabError, ValueError):
    """An array has the wrong number of dimensions or the wrong size."""


class DTypeError(BackproplabError, TypeError):
    """An array has a dtype the operation cannot use."""


class NonFiniteError(BackproplabError, ValueError):
    """An input holds NaN or infinity."""


class LabelError(BackproplabError, ValueError):
    """Labels are not integers in ``0 .. n_classes - 1``."""


class ConfigError(BackproplabError, ValueError):
    """A configuration value (activation name, layer sizes, learning rate...) is invalid."""


class JacobianTooLargeError(BackproplabError, ValueError):
    """A full Jacobian would have too many entries to materialise."""


class ModelFileError(BackproplabError, ValueError):
    """A file is not a backproplab model, or is damaged."""


class DataError(BackproplabError, ValueError):
    """A data file is missing, truncated, corrupted or not what it claims to be."""


class DivergenceError(BackproplabError, ValueError):
    """Training produced a NaN or infinite loss."""


class PixelError(BackproplabError, ValueError):
    """Pixel values an image cannot hold: negative, NaN or infinite."""
