"""PNG rendering: figures to bytes, atomic saves, and a fast array-to-PNG path.

Panels show plots as PNG bytes in an ``ipywidgets.Image`` (this module never
imports ipywidgets). Two paths:

* :func:`figure_to_png` draws a matplotlib ``Figure`` with the Agg canvas
  (about 20-30 ms for the figures in this package);
* :func:`array_to_png` colour-maps a small array and upscales it by pixel
  repetition, with no Figure at all (about 2 ms): for x as a 28x28 image and for
  vectors and matrices as heatmaps in the step-through panel.

Nothing here touches ``pyplot`` or ``matplotlib.use``: no global state, no
backend switch in the user's notebook.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Union

import matplotlib
import matplotlib.image
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from backproplab._files import atomic_write
from backproplab.errors import ConfigError, DTypeError, ShapeError
from backproplab.viz.png import PNG_SIGNATURE  # one definition, re-exported here

__all__ = ["PNG_SIGNATURE", "PngFigure", "array_to_png", "figure_to_png", "save_png"]

PathLike = Union[str, "os.PathLike[str]"]

# zlib level 1 instead of Pillow's default 6: encodes a 480x520 figure in about
# 15 ms instead of 35 ms, for files about 5 % larger. Panels redraw often and
# send PNGs over a local websocket, so speed matters more than size.
_FAST_PNG = {"compress_level": 1}


def figure_to_png(fig: Figure, *, dpi: float | None = None) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg renderer.

    The image is ``fig.get_size_inches() * dpi`` pixels (``dpi`` defaults to
    ``fig.dpi``). Unlike ``fig.savefig``, the fast path ignores the user's
    ``savefig.*`` rcParams (``bbox_inches="tight"`` would change the size from
    frame to frame).
    """
    if not isinstance(fig, Figure):
        raise TypeError(
            f"figure_to_png expects a matplotlib.figure.Figure; got {type(fig).__name__}. "
            "For a backproplab figure object, call its .to_png() or pass its .figure."
        )
    if dpi is not None and not (isinstance(dpi, (int, float)) and dpi > 0):
        raise ConfigError(f"dpi must be a positive number or None; got {dpi!r}.")
    buf = io.BytesIO()
    canvas = fig.canvas
    if isinstance(canvas, FigureCanvasAgg) and (dpi is None or dpi == fig.dpi):
        # draw + encode, no savefig bookkeeping
        canvas.print_png(buf, pil_kwargs=_FAST_PNG)
    else:
        # Another canvas (e.g. ipympl's) or another dpi: savefig switches to Agg
        # for the call and restores the figure afterwards.
        fig.savefig(buf, format="png", dpi=fig.dpi if dpi is None else dpi, pil_kwargs=_FAST_PNG)
    return buf.getvalue()


def save_png(fig_or_bytes: Figure | bytes | PngFigure, path: PathLike) -> Path:
    """Write a PNG to ``path`` atomically and return the path.

    ``fig_or_bytes`` is a ``Figure``, a backproplab figure object (anything with
    ``to_png()``) or PNG bytes. The bytes go to a temporary file in the same
    folder, which then replaces ``path`` with ``os.replace``: readers see either
    the old file or the complete new one, never half a PNG. On any error the
    temporary file is removed and an existing file at ``path`` is left untouched.
    """
    if isinstance(fig_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(fig_or_bytes)
    elif isinstance(fig_or_bytes, Figure):
        data = figure_to_png(fig_or_bytes)
    elif callable(getattr(fig_or_bytes, "to_png", None)):
        data = fig_or_bytes.to_png()
    else:
        raise TypeError(
            "save_png expects a matplotlib Figure, a backproplab figure (with .to_png()) "
            f"or PNG bytes; got {type(fig_or_bytes).__name__}."
        )
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError(
            "save_png was given bytes that are not a PNG (they do not start with the "
            "PNG signature b'\\x89PNG\\r\\n\\x1a\\n'). Render with figure_to_png or "
            "array_to_png first."
        )
    target = Path(os.fspath(path))
    with atomic_write(target) as f:
        f.write(data)
    return target


def _as_2d_float(a: object, *, name: str = "a") -> np.ndarray:
    """Return ``a`` as a 2-D float array; 1-D becomes one row ``(1, n)``."""
    arr = np.asarray(a)
    if arr.dtype == bool:
        arr = arr.astype(np.float64)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DTypeError(
            f"{name} must hold real numbers; got dtype {arr.dtype}. "
            "Convert it first, e.g. np.asarray(a, dtype=float)."
        )
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]  # (1, n)
    if arr.ndim != 2 or arr.size == 0:
        raise ShapeError(
            f"{name} must be a non-empty 1-D or 2-D array (a vector or a matrix); got shape "
            f"{arr.shape}. Reshape it, e.g. an image vector x.reshape(28, 28)."
        )
    return arr.astype(np.float64, copy=False)


def _color_limits(
    arr: np.ndarray, vmin: float | None, vmax: float | None, symmetric: bool
) -> tuple[float, float]:
    """Colour limits: given ones, else the finite min / max (symmetric: +-max|.|)."""
    finite = arr[np.isfinite(arr)]
    lo = float(finite.min()) if vmin is None and finite.size else vmin
    hi = float(finite.max()) if vmax is None and finite.size else vmax
    lo = 0.0 if lo is None else float(lo)
    hi = 0.0 if hi is None else float(hi)
    if symmetric:
        m = max(abs(lo), abs(hi))
        lo, hi = -m, m
    if lo > hi:
        raise ConfigError(f"vmin must not exceed vmax; got vmin={lo}, vmax={hi}.")
    if lo == hi:  # a constant array: show it at the middle of the colormap
        lo, hi = lo - 1.0, hi + 1.0
    return lo, hi


def array_to_png(
    a: object,
    *,
    cmap: str | Colormap = "RdBu_r",
    vmin: float | None = None,
    vmax: float | None = None,
    symmetric: bool = False,
    scale: int = 1,
) -> bytes:
    """Colour-map a small array and encode it as PNG bytes, without a Figure.

    Parameters
    ----------
    a : array, shape (rows, cols) or (n,)
        A 1-D array is drawn as one row, shape (1, n).
    cmap : colormap name or ``Colormap``
        ``"RdBu_r"`` (default) for signed values such as weights and gradients;
        ``"gray_r"`` suits pixel intensities in [0, 1].
    vmin, vmax : float, optional
        Colour limits; default to the finite min / max of ``a``.
    symmetric : bool
        Use limits ``(-m, m)`` with ``m = max(|vmin|, |vmax|)`` so that zero sits
        at the centre of a diverging colormap.
    scale : int
        Every array entry becomes a ``scale x scale`` block of pixels.

    Returns
    -------
    bytes
        An RGBA PNG of ``rows * scale`` by ``cols * scale`` pixels. NaN entries
        use the colormap's "bad" colour (transparent by default).
    """
    arr = _as_2d_float(a)  # (rows, cols)
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ConfigError(f"scale must be a positive integer; got {scale!r}.")
    if isinstance(cmap, str):
        try:
            cmap = matplotlib.colormaps[cmap]
        except KeyError:
            raise ConfigError(
                f"unknown colormap {cmap!r}; use a matplotlib colormap name such as "
                "'RdBu_r', 'gray_r' or 'viridis'."
            ) from None
    lo, hi = _color_limits(arr, vmin, vmax, symmetric)
    rgba = cmap((arr - lo) / (hi - lo), bytes=True)  # (rows, cols, 4) uint8
    if scale > 1:
        rgba = np.repeat(np.repeat(rgba, scale, axis=0), scale, axis=1)
    buf = io.BytesIO()
    matplotlib.image.imsave(buf, rgba, format="png")
    return buf.getvalue()


class PngFigure:
    """Base of the figure classes: a Figure built once, rendered to PNG on demand.

    Subclasses create ``self._figure`` (with an Agg canvas) in ``__init__`` and
    change only artists' data in ``update``.
    """

    _figure: Figure

    @staticmethod
    def _new_figure(
        figsize: tuple[float, float], dpi: float, *, layout: str | None = "constrained"
    ) -> Figure:
        """A Figure with its own Agg canvas (no pyplot, no global figure manager)."""
        fig = Figure(figsize=figsize, dpi=dpi, layout=layout)
        FigureCanvasAgg(fig)
        return fig

    def _freeze_layout(self) -> None:
        """Run the layout engine once, then keep the axes where it put them.

        Constrained layout re-measures every text on every draw (about 50 ms for
        the filters figure); artists that ``update`` changes keep their size, so
        one layout at construction is enough.
        """
        self._figure.draw_without_rendering()
        self._figure.set_layout_engine("none")

    @property
    def figure(self) -> Figure:
        """The underlying ``matplotlib.figure.Figure``."""
        return self._figure

    def to_png(self, *, dpi: float | None = None) -> bytes:
        """The figure as PNG bytes (``dpi`` defaults to the figure's)."""
        return figure_to_png(self._figure, dpi=dpi)

    def save(self, path: PathLike) -> Path:
        """Write the figure to ``path`` as a PNG, atomically; returns the path."""
        return save_png(self.to_png(), path)

    def _repr_png_(self) -> bytes:
        """PNG for Jupyter's rich display."""
        return self.to_png()
