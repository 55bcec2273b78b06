"""One place where the panels read a step's kind: the core's :class:`StepKind`.

Everything else a panel needs to know about a step is a fact on it
(``drops_bias_row``, ``batch_mean``, ``activation``, ``weight``); kinds are
compared only through :func:`kind_is`.
"""

from __future__ import annotations

from ..core.trace import StepKind

__all__ = ["kind_is", "kind_name"]

INPUT = StepKind.INPUT
LOSS = StepKind.LOSS
INPUT_GRADIENT = StepKind.INPUT_GRADIENT
PARAMETER_GRADIENT = StepKind.PARAMETER_GRADIENT


def kind_name(step) -> str:
    """The step's kind as plain text, e.g. "parameter gradient"."""
    return StepKind(step.kind).value


def kind_is(step, *kinds: StepKind) -> bool:
    """True if ``step``'s kind is one of ``kinds``."""
    return StepKind(step.kind) in kinds
