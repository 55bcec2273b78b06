"""Training curves: loss on the left axes, accuracy on the right, updated in place."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from backproplab.errors import ShapeError
from backproplab.viz.render import PngFigure

__all__ = ["CurvesFigure"]

# Okabe-Ito colours (distinguishable with colour-vision deficiencies); train and
# test also differ in line style and markers, so colour is never the only cue.
TRAIN_COLOR = "#0072B2"  # blue
TEST_COLOR = "#D55E00"  # vermillion
_LOSS_TITLE = "train loss (cross-entropy)"


def _as_series(values: object, name: str) -> np.ndarray:
    """``values`` as a 1-D float array, or a ShapeError naming ``name``."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ShapeError(f"{name} must be a 1-D sequence of numbers; got shape {arr.shape}.")
    return arr


def _check_fractions(arr: np.ndarray, name: str) -> None:
    """Accuracies are fractions in [0, 1]; percentages are a common slip."""
    finite = arr[np.isfinite(arr)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ValueError(
            f"{name} must be fractions in [0, 1]; got values from {finite.min():g} to "
            f"{finite.max():g}. If these are percentages, divide them by 100."
        )


def _same_length(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    if len(x) != len(y):
        raise ShapeError(
            f"{y_name} needs one value per entry of {x_name}: {x_name} has {len(x)} "
            f"entries, {y_name} has {len(y)}."
        )


class CurvesFigure(PngFigure):
    """Train loss (left axes); train and test accuracy (right axes).

    Keyword-only configuration:
        x_label: the x axis, e.g. "epoch" (fractional epochs are fine) or "step".
        figsize, dpi: figure size (default 8 x 3.2 in at 80 dpi: 640 x 256 px).
    """

    def __init__(
        self,
        *,
        x_label: str = "epoch",
        figsize: tuple[float, float] = (8.0, 3.2),
        dpi: float = 80,
    ) -> None:
        # A fixed layout, not constrained layout: tick labels change width as the
        # data grows, and re-measuring them every frame would double the render
        # time. The margins leave room for 6-character tick labels; the y-axis
        # names live in the titles, so no rotated label needs room at the left.
        fig = self._new_figure(figsize, dpi, layout=None)
        fig.subplots_adjust(left=0.08, right=0.975, bottom=0.16, top=0.89, wspace=0.2)
        loss_ax, acc_ax = fig.subplots(1, 2)
        (self._loss_line,) = loss_ax.plot([], [], color=TRAIN_COLOR, lw=1.5, label="train loss")
        (self._train_acc_line,) = acc_ax.plot([], [], color=TRAIN_COLOR, lw=1.5, label="train")
        (self._test_acc_line,) = acc_ax.plot(
            [], [], color=TEST_COLOR, lw=1.5, ls="--", marker="o", ms=4, label="test"
        )
        acc_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
        # Fixed legend corners: loc="best" re-scans every data point on each draw.
        # Loss falls and accuracy rises, so these corners stay mostly clear.
        for ax, corner in ((loss_ax, "upper right"), (acc_ax, "lower right")):
            ax.set_xlabel(x_label)
            ax.grid(True, alpha=0.3)
            ax.legend(loc=corner, fontsize=9, frameon=False)
            ax.set_xlim(0, 1, auto=None)  # until data comes; auto=None keeps autoscaling on
            ax.set_ylim(0, 1, auto=None)
        self._loss_title = loss_ax.set_title(_LOSS_TITLE, fontsize=10)
        self._acc_title = acc_ax.set_title("accuracy", fontsize=10)
        self._loss_ax, self._acc_ax = loss_ax, acc_ax
        self._figure = fig

    @property
    def lines(self) -> dict[str, Line2D]:
        """The three lines, keyed "train_loss", "train_acc", "test_acc"."""
        return {
            "train_loss": self._loss_line,
            "train_acc": self._train_acc_line,
            "test_acc": self._test_acc_line,
        }

    def update(
        self,
        *,
        steps: Sequence[float],
        train_loss: Sequence[float],
        train_acc: Sequence[float] | None = None,
        test_steps: Sequence[float] | None = None,
        test_acc: Sequence[float] | None = None,
    ) -> None:
        """Replace the curves' data in place.

        steps : (n,) x values (epochs, possibly fractional, or step numbers).
        train_loss : (n,) loss at each of ``steps``.
        train_acc : (n,) training accuracy in [0, 1] at each of ``steps``, optional.
        test_steps, test_acc : (m,) x values and test accuracies, given together.
        """
        x = _as_series(steps, "steps")
        loss = _as_series(train_loss, "train_loss")
        _same_length(x, loss, "steps", "train_loss")
        acc = np.array([]) if train_acc is None else _as_series(train_acc, "train_acc")
        if train_acc is not None:
            _same_length(x, acc, "steps", "train_acc")
            _check_fractions(acc, "train_acc")
        if (test_steps is None) != (test_acc is None):
            raise ShapeError(
                "test_steps and test_acc go together: pass both (one x value per test "
                "accuracy) or neither."
            )
        tx = np.array([]) if test_steps is None else _as_series(test_steps, "test_steps")
        tacc = np.array([]) if test_acc is None else _as_series(test_acc, "test_acc")
        _same_length(tx, tacc, "test_steps", "test_acc")
        _check_fractions(tacc, "test_acc")

        self._loss_line.set_data(x, loss)
        self._train_acc_line.set_data(x if train_acc is not None else [], acc)
        self._test_acc_line.set_data(tx, tacc)
        for ax, has_data in ((self._loss_ax, len(x) > 0), (self._acc_ax, len(acc) + len(tacc) > 0)):
            if has_data:  # with no data, keep the previous limits rather than +-0.05
                ax.relim()
                ax.autoscale_view()

        self._loss_title.set_text(f"{_LOSS_TITLE} (last {loss[-1]:.4g})" if len(loss) else _LOSS_TITLE)
        parts = []
        if len(acc):
            parts.append(f"train {acc[-1]:.2%}")
        if len(tacc):
            parts.append(f"test {tacc[-1]:.2%}")
        self._acc_title.set_text(f"accuracy (last: {', '.join(parts)})" if parts else "accuracy")

    def __repr__(self) -> str:
        return "CurvesFigure(loss | accuracy)"
