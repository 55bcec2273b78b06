"""The first-layer weights W1 as one mosaic of filters.

Column j of W1 (shape (785, H): row 0 is the bias row, rows 1..784 the pixel
weights) is what hidden unit j "looks for" in the image: reshaped to 28x28 it is
unit j's filter. All H filters are drawn as ONE image (a single ``imshow``), not
H subplots: about 3x faster to redraw (see notes/jupyter-testing.md).
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
from matplotlib.image import AxesImage
from matplotlib.ticker import ScalarFormatter

from backproplab.errors import ConfigError, DTypeError, NonFiniteError, ShapeError
from backproplab.viz.render import PngFigure

__all__ = ["FiltersFigure", "filter_mosaic", "grid_shape"]

# ColorBrewer's RdBu is a diverging map designed to stay readable for the common
# colour-vision deficiencies (red-green): its two arms differ in lightness and in
# the blue-orange direction, not only in red vs green. Reversed: red = positive.
DEFAULT_CMAP = "RdBu_r"
# Separators and empty tiles are NaN, drawn in this "bad" colour: a mid grey that
# is neither a weight colour nor the near-white of weights close to zero.
SEPARATOR_COLOR = "0.55"

_W1_HINT = "W1 must be ({rows}, n_hidden) with the bias row first"


def grid_shape(n: int, *, n_rows: int | None = None, n_cols: int | None = None) -> tuple[int, int]:
    """Rows and columns of a near-square grid holding ``n`` tiles.

    With neither given: ``n_cols = ceil(sqrt(n))``, ``n_rows = ceil(n / n_cols)``
    (100 -> (10, 10), 64 -> (8, 8), 30 -> (5, 6)). Give one to fix it and derive
    the other, or both (they must hold ``n`` tiles).
    """
    for name, value in (("n", n), ("n_rows", n_rows), ("n_cols", n_cols)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ConfigError(f"{name} must be a positive integer; got {value!r}.")
    if n_rows is None and n_cols is None:
        n_cols = math.ceil(math.sqrt(n))
    if n_rows is None:
        n_rows = math.ceil(n / n_cols)
    elif n_cols is None:
        n_cols = math.ceil(n / n_rows)
    if n_rows * n_cols < n:
        raise ConfigError(
            f"a {n_rows} x {n_cols} grid holds {n_rows * n_cols} filters, fewer than the "
            f"{n} to show. Leave n_rows / n_cols as None to choose a grid automatically."
        )
    return int(n_rows), int(n_cols)


def _check_image_shape(image_shape: tuple[int, int]) -> tuple[int, int]:
    """Validate ``image_shape`` as (height, width) of positive integers."""
    try:
        h, w = (int(s) for s in image_shape)
    except (TypeError, ValueError):
        raise ConfigError(f"image_shape must be (height, width), e.g. (28, 28); got {image_shape!r}.") from None
    if h < 1 or w < 1:
        raise ConfigError(f"image_shape must hold positive sizes, e.g. (28, 28); got {image_shape!r}.")
    return h, w


def _check_w1(W1: object, image_shape: tuple[int, int], n_filters: int | None = None) -> np.ndarray:
    """Return W1 as a float array of shape (1 + h*w, H), or raise a clear error."""
    h, w = image_shape
    rows = 1 + h * w
    hint = _W1_HINT.format(rows=rows)
    arr = np.asarray(W1)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DTypeError(f"W1 must hold real numbers; got dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ShapeError(f"{hint}; got a {arr.ndim}-D array of shape {arr.shape}.")
    if arr.shape[0] != rows:
        if arr.shape[1] == rows:
            fix = "It looks transposed: pass W1.T."
        elif arr.shape[0] == h * w:
            fix = (
                "It has no bias row: prepend one, e.g. "
                "np.vstack([np.zeros((1, W1.shape[1])), W1])."
            )
        else:
            fix = f"For images other than {h}x{w}, pass image_shape=(height, width)."
        raise ShapeError(f"{hint} (1 bias row + {h}*{w} pixel rows); got shape {arr.shape}. {fix}")
    if n_filters is not None and arr.shape[1] != n_filters:
        raise ShapeError(
            f"{hint} with n_hidden = {n_filters} (this figure's size); got shape {arr.shape}. "
            f"Build a new FiltersFigure(n_filters={arr.shape[1]}) for this network."
        )
    if arr.shape[1] == 0:
        raise ShapeError(f"{hint} with at least one hidden unit; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(
            "W1 holds NaN or infinite weights; training probably diverged. "
            "Lower the learning rate and train again."
        )
    return arr.astype(np.float64, copy=False)


def _mosaic(pixels: np.ndarray, image_shape: tuple[int, int], n_rows: int, n_cols: int) -> np.ndarray:
    """Tile the columns of ``pixels`` (h*w, H) into (n_rows*(h+1)-1, n_cols*(w+1)-1)."""
    h, w = image_shape
    n = pixels.shape[1]
    tiles = np.full((n_rows * n_cols, h + 1, w + 1), np.nan)  # (tiles, h+1, w+1); NaN = separator
    tiles[:n, :h, :w] = pixels.T.reshape(n, h, w)  # filter j = column j, row-major pixels
    grid = tiles.reshape(n_rows, n_cols, h + 1, w + 1).transpose(0, 2, 1, 3)  # (R, h+1, C, w+1)
    return grid.reshape(n_rows * (h + 1), n_cols * (w + 1))[:-1, :-1]  # drop the outer separator


def filter_mosaic(
    W1: object,
    *,
    image_shape: tuple[int, int] = (28, 28),
    n_rows: int | None = None,
    n_cols: int | None = None,
) -> np.ndarray:
    """Arrange the filters of W1 in one 2-D array, a grid of tiles.

    Parameters
    ----------
    W1 : array, shape (1 + h*w, H)
        First-layer weights; row 0 is the bias row (not drawn), rows 1.. are the
        pixel weights; column j is hidden unit j's filter.
    image_shape : (h, w)
        Image size, (28, 28) for MNIST.
    n_rows, n_cols : int, optional
        Grid size; by default near-square (see :func:`grid_shape`).

    Returns
    -------
    mosaic : array, shape (n_rows * (h + 1) - 1, n_cols * (w + 1) - 1)
        Filter j sits in tile ``(j // n_cols, j % n_cols)``, i.e. at
        ``mosaic[r*(h+1) : r*(h+1)+h, c*(w+1) : c*(w+1)+w]``, equal to
        ``W1[1:, j].reshape(h, w)``. Separators (1 pixel) and empty tiles are NaN.
    """
    image_shape = _check_image_shape(image_shape)
    arr = _check_w1(W1, image_shape)
    rows, cols = grid_shape(arr.shape[1], n_rows=n_rows, n_cols=n_cols)
    return _mosaic(arr[1:], image_shape, rows, cols)


def symmetric_limit(W1: np.ndarray) -> float:
    """``m = max |w|`` over the pixel rows W1[1:] (1.0 when all are zero)."""
    m = float(np.max(np.abs(W1[1:])))
    return m if m > 0 else 1.0


class FiltersFigure(PngFigure):
    """All first-layer filters as one mosaic image, updated in place.

    Keyword-only configuration:
        n_filters: number of hidden units H (columns of W1); 100 gives a 10x10 grid.
        n_rows, n_cols: grid size; default near-square from ``n_filters``.
        image_shape: (h, w) of one filter; W1 must then have 1 + h*w rows.
        cmap: a diverging colormap; colours are symmetric around zero.
        title: the default title.
        figsize, dpi: figure size (default 6 x 5.4 in at 80 dpi: 480 x 432 px).

    ``update(W1)`` puts new weights into the same ``AxesImage``; the colour range
    is ``(-m, m)`` with ``m = max |W1[1:]|`` so that white means zero weight.
    """

    def __init__(
        self,
        *,
        n_filters: int = 100,
        n_rows: int | None = None,
        n_cols: int | None = None,
        image_shape: tuple[int, int] = (28, 28),
        cmap: str = DEFAULT_CMAP,
        title: str = "first-layer filters: columns of W1",
        figsize: tuple[float, float] = (6.0, 5.4),
        dpi: float = 80,
    ) -> None:
        self._image_shape = _check_image_shape(image_shape)
        self._n_rows, self._n_cols = grid_shape(n_filters, n_rows=n_rows, n_cols=n_cols)
        self._n_filters = int(n_filters)
        self._title = str(title)
        try:
            colormap = matplotlib.colormaps[cmap].with_extremes(bad=SEPARATOR_COLOR)
        except KeyError:
            raise ConfigError(f"unknown colormap {cmap!r}; try 'RdBu_r' or 'PuOr_r'.") from None

        h, w = self._image_shape
        fig = self._new_figure(figsize, dpi)
        ax = fig.add_subplot()
        blank = np.full((self._n_rows * (h + 1) - 1, self._n_cols * (w + 1) - 1), np.nan)
        self._image = ax.imshow(blank, cmap=colormap, vmin=-1.0, vmax=1.0, interpolation="nearest")
        # Ticks at tile centres: unit j = (row label) + (column label).
        ax.set_xticks(np.arange(self._n_cols) * (w + 1) + (w - 1) / 2, [str(c) for c in range(self._n_cols)])
        ax.set_yticks(
            np.arange(self._n_rows) * (h + 1) + (h - 1) / 2,
            [str(r * self._n_cols) for r in range(self._n_rows)],
        )
        ax.tick_params(length=0, labelsize=8)
        ax.set_xlabel("hidden unit j = row label + column label", fontsize=9)
        for spine in ax.spines.values():
            spine.set_visible(False)
        self._title_text = ax.set_title(f"{self._title} (no weights yet)", fontsize=11)
        self._colorbar = fig.colorbar(self._image, ax=ax, shrink=0.8, pad=0.02)
        self._colorbar.set_label("weight (0 = white; bias row not shown)", fontsize=9)
        self._colorbar.ax.tick_params(labelsize=8)
        # Short tick labels for any weight scale (0.0004 -> "4" with "1e-4" on top),
        # so the layout computed once below still fits after any update.
        formatter = ScalarFormatter()
        formatter.set_powerlimits((-3, 3))
        self._colorbar.formatter = formatter
        self._colorbar.update_ticks()
        self._ax = ax
        self._figure = fig
        self._freeze_layout()

    @property
    def image(self) -> AxesImage:
        """The single ``AxesImage`` holding the mosaic."""
        return self._image

    def update(self, W1: object, *, title: str | None = None) -> None:
        """Show new weights in place.

        W1 : array, shape (1 + h*w, n_filters), bias row first.
        title : replaces the default title for this frame (e.g. "epoch 3").
        """
        arr = _check_w1(W1, self._image_shape, self._n_filters)  # (785, H)
        m = symmetric_limit(arr)
        self._image.set_data(_mosaic(arr[1:], self._image_shape, self._n_rows, self._n_cols))
        self._image.set_clim(-m, m)  # the colorbar follows its mappable
        self._title_text.set_text(self._title if title is None else str(title))

    def __repr__(self) -> str:
        h, w = self._image_shape
        return f"FiltersFigure({self._n_filters} filters of {h}x{w})"
