"""What a local Jacobian looks like, and the guard that refuses absurd sizes.

Convention: a Jacobian d(out)/d(in) has shape ``out.shape + in.shape``. For one
sample the row vectors (1, n) are read as vectors (n,), as a textbook does, so
dz3/dW3 of the classic network is (10, 11, 10); for a batch of B it keeps the
batch axes: (B, 10, 11, 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from ..errors import ConfigError, JacobianTooLargeError

#: The default refusal threshold: the full dz1/dW1 of the classic network for one
#: sample (100 x 785 x 100 = 7.85 M numbers) still fits; a batch of it does not.
MAX_JACOBIAN_ENTRIES = 10_000_000

#: Names of the structures a local Jacobian can have.
STRUCTURES = {
    "dense": "every entry can be non-zero",
    "diagonal": "non-zero only on the diagonal: an elementwise product",
    "outer": "a 3-D tensor, mostly zeros, that contracts to an outer product",
    "gradient": "the gradient of a scalar: a plain vector",
    "block-diagonal": "one dense block per sample, zeros between samples",
    "identity": "the identity for each sample: the gradient passes through unchanged",
}


def format_shape(shape: tuple[int, ...]) -> str:
    """``(101, 10)`` -> ``"101×10"``; ``()`` -> ``"scalar"``."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


@dataclass(frozen=True)
class JacobianInfo:
    """The description of one local Jacobian, without materialising it.

    ``efficient`` says how training avoids building it and ``efficient_entries``
    how many numbers that form holds.
    """

    of: str
    wrt: str
    shape: tuple[int, ...]
    structure: str
    efficient: str
    efficient_entries: int
    note: str = ""
    of_ndim: int = 1  # how many leading axes of ``shape`` belong to ``of``

    @property
    def of_shape(self) -> tuple[int, ...]:
        """The axes of the differentiated quantity, e.g. (10,) for ∂z3/∂W3 of one sample."""
        return self.shape[:self.of_ndim]

    @property
    def wrt_shape(self) -> tuple[int, ...]:
        """The axes of the variable, e.g. (11, 10) for ∂z3/∂W3."""
        return self.shape[self.of_ndim:]

    @property
    def entries(self) -> int:
        """The number of entries of the full Jacobian."""
        return prod(self.shape)

    def __str__(self) -> str:
        return (
            f"∂{self.of}/∂{self.wrt}: {format_shape(self.shape)} {self.structure} "
            f"({self.entries:,} entries; training uses {self.efficient}, "
            f"{self.efficient_entries:,} entries)"
        )


def guard_size(info: JacobianInfo, max_entries: int) -> None:
    """Raise :class:`JacobianTooLargeError` if ``info`` is too big to build.

    ``max_entries`` must be a whole number >= 1 (ConfigError otherwise).
    """
    if isinstance(max_entries, bool) or not isinstance(max_entries, (int, np.integer)) or max_entries < 1:
        raise ConfigError(
            f"max_entries must be a whole number >= 1, the most entries a Jacobian may have; got "
            f"{max_entries!r}. Leave it out for the default ({MAX_JACOBIAN_ENTRIES:,}), or pass "
            f"max_entries={info.entries} to build this {format_shape(info.shape)} one."
        )
    if info.entries > max_entries:
        raise JacobianTooLargeError(
            f"the full Jacobian ∂{info.of}/∂{info.wrt} would be "
            f"{format_shape(info.shape)} = {info.entries:,} entries, more than the "
            f"limit of {max_entries:,}. Use one sample or a smaller batch, or pass "
            f"max_entries={info.entries} if you really want it. Training never "
            f"builds it: it uses {info.efficient} ({info.efficient_entries:,} entries)."
        )
