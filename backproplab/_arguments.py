"""argparse types for the command line: each refuses a bad value with a message that names the fix.

A value refused here makes ``backproplab`` exit with status 2 before any work starts.
"""

from __future__ import annotations

import argparse
import math

from .core.validation import check_sizes
from .errors import ConfigError

N_TRAIN, N_TEST = 60_000, 10_000  # MNIST's two sets


def int_in(low: int, high: int | None = None, *, what: str = "a whole number"):
    """An argparse type: a whole number in low..high (no upper bound when high is None)."""
    span = f"≥ {low}" if high is None else f"in {low}..{high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {what} {span}, got {text}")
        return value

    parse.__name__ = "int"  # argparse names the type in some messages
    return parse


positive_int = int_in(1)
non_negative_int = int_in(0)
port = int_in(1, 65535, what="a port number")
n_train = int_in(1, N_TRAIN, what="a number of training images")
n_test = int_in(1, N_TEST, what="a number of test images")


def real_in(low: float, high: float, *, low_open: bool, high_open: bool, shown: str, example: str):
    """An argparse type: a finite number in an interval, described as ``shown``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {shown} such as {example}, got {text!r}") from None
        ok = math.isfinite(value) and (value > low if low_open else value >= low) and (
            value < high if high_open else value <= high)
        if not ok:
            raise argparse.ArgumentTypeError(f"expected a {shown} such as {example}, got {text}")
        return value

    parse.__name__ = "float"
    return parse


learning_rate = real_in(0, math.inf, low_open=True, high_open=True, shown="positive number", example="0.1")
momentum = real_in(0, 1, low_open=False, high_open=True, shown="number in [0, 1)", example="0.9")
lr_decay = real_in(0, 1, low_open=True, high_open=False, shown="number in (0, 1]",
                   example="0.8 (1 keeps the rate constant)")


def hidden_sizes(text: str) -> tuple[int, ...]:
    """Hidden widths such as ``100,10``, refused when the MNIST network would be too large."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected hidden layer widths separated by commas, such as 100,10; got {text!r}")
    try:
        check_sizes((784, *sizes, 10))
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(
            str(exc).replace("e.g. (784, 100, 10, 10)", "e.g. --hidden 100,10")) from None
    return sizes
