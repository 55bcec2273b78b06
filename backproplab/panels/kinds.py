"""One place where the panels read a step's kind.

A step's kind is a string today ("input gradient", ...); the core is turning it
into a ``str`` Enum with the same values. Every panel module compares kinds
through :func:`kind_is`, so that change touches only this file.
"""

from __future__ import annotations

__all__ = ["kind_is", "kind_name"]

INPUT = "input"
LOSS = "loss"
INPUT_GRADIENT = "input gradient"
PARAMETER_GRADIENT = "parameter gradient"


def kind_name(step) -> str:
    """The step's kind as plain text ("parameter gradient"), whether a str or a str Enum."""
    kind = step.kind
    return str(getattr(kind, "value", kind))


def kind_is(step, *kinds: str) -> bool:
    """True if ``step``'s kind is one of ``kinds`` (given by value, e.g. "input gradient")."""
    return kind_name(step) in kinds
