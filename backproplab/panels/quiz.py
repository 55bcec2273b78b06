""""Predict the shape": read a learner's answer and grade it against a step.

Pure Python (no widgets, no ``eval``): :func:`parse_shape` reads "101x10",
"(101, 10)", "101 × 10", "101,10", "[101 10]", "101 by 10", "scalar" or "()"
with regular expressions; :func:`grade` compares the answer with the step's
shape and explains, from the step's own chain rule (its operands, operator and
target), why the shape is what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.jacobian import format_shape
from ..errors import BackproplabError
from .kinds import INPUT, kind_is

__all__ = ["AnswerError", "Grade", "ShapeParseError", "grade", "hint_for", "parse_shape"]

#: Words that mean "a single number, no axes".
SCALAR_WORDS = frozenset({"scalar", "a scalar", "number", "a number", "0-d", "0d", "none"})
_OPEN_CLOSE = {"(": ")", "[": "]", "{": "}"}
# Separators between sizes: x, ×, *, comma, semicolon, "by", or plain spaces.
_SEPARATOR = re.compile(r"\s*(?:[x×✕⨯*,;]|by)\s*|\s+")
_WHOLE = re.compile(r"[0-9]{1,9}")
_MAX_LENGTH = 80
_EXAMPLES = "e.g. 101x10, (101, 10), 101 × 10 or [101 10]; scalar or () for a single number"
# How an operator reads in a hint ("H2 = σ(z2)").
_SYMBOLS = {"sigmoid": "σ"}


class ShapeParseError(ValueError):
    """The learner's answer is not a shape at all (no point is lost for it)."""


class AnswerError(BackproplabError, TypeError):
    """An answer given from code is not text (None, a number): refused, never graded."""


def parse_shape(text: str) -> tuple[int, ...]:
    """Read a shape the way a learner types it; ``()`` for a scalar.

    >>> parse_shape("(101, 10)"), parse_shape("101 × 10"), parse_shape("scalar")
    ((101, 10), (101, 10), ())

    Raises :class:`ShapeParseError` with a friendly message for anything else.
    """
    if not isinstance(text, str):
        raise ShapeParseError(f"type the shape as text, {_EXAMPLES}.")
    s = text.strip().lower()
    if not s:
        raise ShapeParseError(f"type a shape first, {_EXAMPLES}.")
    if len(s) > _MAX_LENGTH:
        raise ShapeParseError(f"that answer is too long to be a shape; {_EXAMPLES}.")
    if s in SCALAR_WORDS:
        return ()
    if s[0] in _OPEN_CLOSE:
        if s[-1] != _OPEN_CLOSE[s[0]]:
            raise ShapeParseError(f"the bracket in {text.strip()!r} is not closed; {_EXAMPLES}.")
        s = s[1:-1].strip()
        if not s:
            return ()
    s = s.rstrip(",").strip()  # "(10,)" is Python's one-axis tuple
    parts = _SEPARATOR.split(s)
    bad = [p for p in parts if not _WHOLE.fullmatch(p)]
    if bad:
        what = "an empty size" if bad[0] == "" else f"{bad[0]!r} is not a whole number of rows or columns"
        raise ShapeParseError(f"I could not read {text.strip()!r} as a shape ({what}). "
                              f"Write the sizes separated by x, × or commas, {_EXAMPLES}.")
    return tuple(int(p) for p in parts)


@dataclass(frozen=True)
class Grade:
    """The outcome of one answer: ``status`` is "right", "wrong", "invalid" or "revealed"."""

    status: str
    message: str
    answer: tuple[int, ...] | None = None

    @property
    def counts(self) -> bool:
        """Whether the answer counts as an attempt (malformed answers do not)."""
        return self.status != "invalid"


def grade(text: str, step, trace=None) -> Grade:
    """Grade the learner's ``text`` against ``step.shape``.

    ``trace`` (optional) lets the hint name the shape of the quantity a
    gradient is taken with respect to (``dL/dH2`` has the shape of ``H2``).
    """
    try:
        answer = parse_shape(text)
    except ShapeParseError as exc:
        return Grade("invalid", f"{exc} (No point lost.)")
    expected = tuple(step.shape)
    hint = hint_for(step, trace)
    if answer == expected:
        return Grade("right", f"Right: {step.name} is {format_shape(expected)}. {hint}", answer)
    return Grade("wrong", f"Not quite: you wrote {format_shape(answer)}. "
                          f"{_diagnose(answer, expected, step.name)}Hint: {hint}", answer)


def _diagnose(answer: tuple[int, ...], expected: tuple[int, ...], name: str) -> str:
    """A sentence on the kind of mistake, when it is a recognisable one."""
    if len(expected) > 1 and answer == expected[::-1]:
        return "That is the transpose: rows and columns are swapped. "
    if not expected:
        return f"{name} has no axes at all. "
    if len(answer) != len(expected):
        if len(answer) == 1:
            return "Here every vector is a row: it keeps both axes, one row per sample. "
        return f"You gave {len(answer)} axes; {name} has {len(expected)}. "
    return ""


def hint_for(step, trace=None) -> str:
    """Why ``step`` has its shape, built from its chain rule (no numbers computed)."""
    fs = format_shape
    ops, op = step.operands, step.operator
    if step.shape == ():
        return (f"{step.name} is a single number (the loss, averaged over the batch): it has no "
                "axes, so answer scalar or ().")
    if step.target and op == "·" and len(ops) == 2:
        a, b = ops
        how = ("a column times a row, an outer product" if a.shape[-1] == 1
               else f"the inner dimension {a.shape[-1]} (the batch) is summed away")
        return (f"{step.name} always has the shape of {step.target} ({fs(step.shape)}): "
                f"{a.name} is {fs(a.shape)} and {b.name} is {fs(b.shape)}, {how}.")
    wrt = step.wrt
    if wrt and trace is not None and wrt in trace.names:
        text = f"{step.name} always has the shape of {wrt} ({fs(trace[wrt].shape)})"
        text += f": {_product_reason(ops, op)}." if ops else "."
        if step.drops_bias_row and step.note:
            text += f" Mind the bias row: {step.note}."
        return text
    if len(ops) == 1 and op not in ("·", "⊙", "−"):
        src = ops[0]
        acts = "normalises each row and keeps its length" if op == "softmax" else "acts on each entry"
        return (f"{step.name} = {_SYMBOLS.get(op, op)}({src.name}) has the shape of {src.name} "
                f"({fs(src.shape)}): {op} {acts}.")
    if ops and op in ("·", "⊙", "−"):
        return f"{step.name} = {_product_reason(ops, op)}."
    if kind_is(step, INPUT) and len(step.shape) == 2:
        return (f"{step.name} has one row per sample ({step.shape[0]} here) and one column per "
                f"input feature ({step.shape[1]}).")
    return step.note or step.product_text() or f"{step.name} is {fs(step.shape)}."


def _product_reason(ops, op: str) -> str:
    fs = format_shape
    if op == "·" and len(ops) == 2:
        a, b = ops
        return (f"{a.name} ({fs(a.shape)}) · {b.name} ({fs(b.shape)}); a matrix product keeps the "
                "rows of the first factor and the columns of the second")
    names = f" {op} ".join(f"{f.name} ({fs(f.shape)})" for f in ops)
    return f"{names}; an elementwise operation keeps the shape"
