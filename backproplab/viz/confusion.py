"""The confusion matrix as an annotated heatmap, updated in place."""

from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
from matplotlib.image import AxesImage
from matplotlib.text import Text

from backproplab.errors import ConfigError, DTypeError, ShapeError
from backproplab.viz.render import PngFigure

__all__ = ["ConfusionFigure"]

# Sequential, single hue, light to dark: ordered by lightness alone, so it reads
# the same with any colour-vision deficiency and in greyscale.
DEFAULT_CMAP = "Blues"


def _check_counts(cm: object, n_classes: int) -> np.ndarray:
    """Return ``cm`` as an int64 array of shape (n_classes, n_classes), or raise."""
    arr = np.asarray(cm)
    expected = f"({n_classes}, {n_classes})"
    if not np.issubdtype(arr.dtype, np.integer):
        raise DTypeError(
            f"the confusion matrix must hold integer counts; got dtype {arr.dtype}. "
            "Count predictions with integers (or convert whole-number floats: cm.astype(int))."
        )
    if arr.shape != (n_classes, n_classes):
        raise ShapeError(
            f"the confusion matrix must have shape {expected} (rows = true class, "
            f"columns = predicted class); got shape {arr.shape}."
        )
    if np.any(arr < 0):
        raise ValueError(
            f"the confusion matrix holds counts, which cannot be negative; got a minimum of "
            f"{int(arr.min())}."
        )
    return arr.astype(np.int64, copy=False)


def _text_colors(cmap: matplotlib.colors.Colormap, fractions: np.ndarray) -> np.ndarray:
    """'white' on dark cells, 'black' on light ones, by the cell colour's luminance."""
    rgb = cmap(fractions)[..., :3]  # (n, n, 3)
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])  # (n, n), Rec. 709 weights
    return np.where(luminance < 0.5, "white", "black")


class ConfusionFigure(PngFigure):
    """Counts of (true class, predicted class) pairs, each cell annotated.

    Keyword-only configuration:
        n_classes: size of the square matrix (10 for MNIST digits).
        labels: tick labels, one per class (default "0" .. "9").
        cmap: a sequential colormap.
        title: the title's prefix; the accuracy is appended on every update.
        figsize, dpi: figure size (default 5 x 5 in at 80 dpi: 400 x 400 px).

    Rows are the true class, columns the predicted class; the diagonal holds the
    correct predictions, so accuracy = trace / total.
    """

    def __init__(
        self,
        *,
        n_classes: int = 10,
        labels: Sequence[str] | None = None,
        cmap: str = DEFAULT_CMAP,
        title: str = "confusion matrix",
        figsize: tuple[float, float] = (5.0, 5.0),
        dpi: float = 80,
    ) -> None:
        if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
            raise ConfigError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
        n = int(n_classes)
        if labels is None:
            labels = [str(i) for i in range(n)]
        labels = [str(label) for label in labels]
        if len(labels) != n:
            raise ConfigError(f"labels must name each of the {n} classes; got {len(labels)} labels.")
        try:
            self._cmap = matplotlib.colormaps[cmap]
        except KeyError:
            raise ConfigError(f"unknown colormap {cmap!r}; try 'Blues' or 'viridis'.") from None
        self._n = n
        self._title = str(title)
        self._counts = np.zeros((n, n), dtype=np.int64)

        fig = self._new_figure(figsize, dpi)
        ax = fig.add_subplot()
        self._image: AxesImage = ax.imshow(
            self._counts, cmap=self._cmap, vmin=0, vmax=1, interpolation="nearest"
        )
        ax.set_xticks(range(n), labels)
        ax.set_yticks(range(n), labels)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.xaxis.set_label_position("top")
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        fontsize = max(4.0, min(9.0, 95.0 / n))
        self._texts: list[list[Text]] = [
            [
                ax.text(c, r, "0", ha="center", va="center", fontsize=fontsize, color="black")
                for c in range(n)
            ]
            for r in range(n)
        ]
        self._title_text = ax.set_title(f"{self._title} (no predictions yet)", fontsize=11)
        self._ax = ax
        self._figure = fig
        self._freeze_layout()

    @property
    def image(self) -> AxesImage:
        """The ``AxesImage`` holding the counts."""
        return self._image

    @property
    def texts(self) -> list[list[Text]]:
        """The cell annotations, ``texts[true][predicted]``."""
        return self._texts

    def update(self, cm: object, *, title: str | None = None) -> None:
        """Show new counts in place.

        cm : int array, shape (n_classes, n_classes), rows = true, cols = predicted.
        title : replaces the title's prefix for this frame; the accuracy follows it.
        """
        counts = _check_counts(cm, self._n)  # (n, n)
        vmax = max(int(counts.max()), 1)
        self._image.set_data(counts)
        self._image.set_clim(0, vmax)
        colors = _text_colors(self._cmap, counts / vmax)
        for r in range(self._n):
            for c in range(self._n):
                text = self._texts[r][c]
                text.set_text(str(counts[r, c]))
                text.set_color(colors[r, c])
        total = int(counts.sum())
        correct = int(np.trace(counts))
        prefix = self._title if title is None else str(title)
        if total:
            summary = f"accuracy {correct / total:.2%} ({correct:,} / {total:,})"
        else:
            summary = "accuracy n/a (no predictions)"
        self._title_text.set_text(f"{prefix}: {summary}")
        self._counts = counts.copy()

    def __repr__(self) -> str:
        return f"ConfusionFigure({self._n}x{self._n} classes)"
