"""Draw a materialised Jacobian so that it can be read: one heatmap, or a grid of slices.

A Jacobian ∂of/∂wrt has shape ``of.shape + wrt.shape`` (see
``backproplab.core.jacobian``). Flattened to one matrix (a row per entry of
``of``, a column per entry of ``wrt``) it can be absurdly thin: ∂z2/∂W2 of one
sample is 10×1,010, a strip ten pixels high. :func:`jacobian_layout` cuts such
a Jacobian into slices and lays them out as a grid of blocks with grey bars
between them:

* ``by_entry_of=True`` (for ∂z/∂W, the "outer" Jacobians): one block per entry
  of ``of``, shaped like ``wrt`` (W's (n_in + 1)×n_out): block j is ∂z[j]/∂W;
  for a batch, block (b, j) is ∂z[b, j]/∂W, and the blocks of a sample stay
  together on a line, with wider bars between samples;
* otherwise, a flattened matrix more than ``max_aspect`` times wider than tall
  is cut along the first axis of ``wrt`` (taller than wide: of ``of``);
* anything else is drawn as the flattened matrix itself.

The grid's number of columns is chosen for a picture about 1.5 times wider than
tall. Display only: it slices and reshapes, and computes no derivative.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import log, prod

import matplotlib
import numpy as np

from backproplab.errors import ShapeError
from backproplab.viz.render import array_to_png

__all__ = ["JacobianLayout", "jacobian_layout"]

#: Bars between blocks, in entries: between blocks, and between the samples on one line.
GAP, SAMPLE_GAP = 1, 3
#: The colour of the bars (the colormap's "bad" colour: the bars are NaN).
BAR_COLOUR = "#bdbdbd"
_TARGET_ASPECT = 1.5  # width / height of the grid
_MAX_WIDTH, _MAX_HEIGHT = 480, 320  # pixels the picture aims at (before the minimum scale)


@dataclass(frozen=True)
class JacobianLayout:
    """How a Jacobian is drawn: the picture (NaN in the bars) and what its blocks are.

    ``grid`` is (lines, blocks per line); (1, 1) with ``sliced_by`` None is the
    flattened matrix itself. ``sliced_by`` is "of" (one block per entry of
    ``of``) or "wrt" / "of-axis" (cut along the first axis of ``wrt`` / ``of``).
    """

    image: np.ndarray  # (rows, cols) float, NaN in the bars
    shape: tuple[int, ...]  # the Jacobian's
    of_ndim: int
    sliced_by: str | None
    n_blocks: int
    block_shape: tuple[int, int]
    grid: tuple[int, int]
    per_sample: int  # blocks of one sample on a line (by_entry_of with a batch); else 0

    @property
    def of_shape(self) -> tuple[int, ...]:
        return self.shape[:self.of_ndim]

    @property
    def wrt_shape(self) -> tuple[int, ...]:
        return self.shape[self.of_ndim:]

    def scale(self) -> int:
        """Pixels per entry: as large as fits about 480×320 px, and at least 2 for a grid of blocks."""
        rows, cols = self.image.shape
        fit = min(24, _MAX_WIDTH // cols, _MAX_HEIGHT // rows)
        return max(2 if self.sliced_by else 1, fit)

    def to_png(self, *, scale: int | None = None) -> bytes:
        """The picture as PNG: blue < 0 (white) < red, symmetric about 0; grey bars."""
        cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad=BAR_COLOUR)
        return array_to_png(self.image, cmap=cmap, symmetric=True,
                            scale=self.scale() if scale is None else scale)

    def describe(self, of: str = "of", wrt: str = "wrt") -> str:
        """One or two sentences saying how the picture is drawn (plain text)."""
        of_shape, wrt_shape = _text_shape(self.of_shape), _text_shape(self.wrt_shape)
        rows, cols = self.block_shape
        if self.sliced_by is None:
            if len(self.shape) == 2:
                return f"drawn as is: one row per entry of {of}, one column per entry of {wrt}"
            return (f"a {len(self.shape)}-D array, drawn as {rows}×{cols}: one row per entry of {of} "
                    f"({of_shape}), one column per entry of {wrt} ({wrt_shape}, flattened row by row)")
        lines, per_line = self.grid
        where = (f"{per_line} blocks per line" if lines > 1 else "side by side in one line")
        bars = "grey bars between blocks"
        if self.sliced_by == "of":
            if self.of_ndim == 1:
                which = f"block j is ∂{of}[j]/∂{wrt}, {rows}×{cols} like {wrt}"
                order = "j = 0, 1, … from left to right" + (", then down" if lines > 1 else "")
            else:
                which = (f"block (b, j) is ∂{of}[b, j]/∂{wrt}, {rows}×{cols} like {wrt}, for sample b "
                         f"and unit j")
                samples = per_line // self.per_sample
                order = ("one sample per line" if samples == 1 else
                         f"{samples} samples per line") + ", j from left to right"
                bars += " (wider ones between samples)" if samples > 1 else ""
            return (f"a {len(self.shape)}-D array, drawn as {self.n_blocks} blocks, one per entry of "
                    f"{of} ({of_shape}): {which}; {where}, {order}; {bars}")
        if self.sliced_by == "wrt":
            which = (f"block k is ∂{of}/∂{wrt}[k], {rows}×{cols}: one row per entry of {of} "
                     f"({of_shape}), one column per entry of {wrt}[k]")
        else:
            which = (f"block k is ∂{of}[k]/∂{wrt}, {rows}×{cols}: one row per entry of {of}[k], "
                     f"one column per entry of {wrt} ({wrt_shape})")
        flat = f"{prod(self.of_shape)}×{prod(self.wrt_shape)}"
        return (f"a {len(self.shape)}-D array, too thin to read flattened ({flat}), drawn as "
                f"{self.n_blocks} blocks: {which}; {where}, k = 0, 1, … from left to right"
                f"{', then down' if lines > 1 else ''}; {bars}")


def jacobian_layout(J: np.ndarray, *, of_ndim: int = 1, by_entry_of: bool = False,
                    max_aspect: float = 12.0) -> JacobianLayout:
    """Lay out the Jacobian ``J`` (shape ``of.shape + wrt.shape``) as a readable picture.

    Parameters
    ----------
    J : array, at least 2-D
    of_ndim : how many leading axes of J are ``of``'s (1 for one sample, 2 for a batch)
    by_entry_of : one block per entry of ``of``, shaped like ``wrt`` (for ∂z/∂W)
    max_aspect : a flattened matrix further from square than this is cut into blocks
    """
    J = np.asarray(J)
    if J.ndim < 2:
        raise ShapeError(f"a Jacobian has at least 2 axes (those of 'of', then those of 'wrt'); "
                         f"got shape {J.shape}.")
    if isinstance(of_ndim, bool) or not isinstance(of_ndim, (int, np.integer)) or not 0 < of_ndim < J.ndim:
        raise ShapeError(f"of_ndim must be 1..{J.ndim - 1} for a Jacobian of shape {J.shape} (how many "
                         f"leading axes belong to 'of'); got {of_ndim!r}.")
    of_shape, wrt_shape = J.shape[:of_ndim], J.shape[of_ndim:]
    n_of, n_wrt = prod(of_shape), prod(wrt_shape)
    per_sample = 0
    if by_entry_of and n_of > 1:
        sliced_by = "of"
        blocks = J.reshape(n_of, *_as_matrix(wrt_shape))  # block i: ∂of[i]/∂wrt, wrt-shaped
        per_sample = of_shape[-1] if of_ndim >= 2 else 0
    elif n_wrt > max_aspect * n_of and len(wrt_shape) >= 2:
        sliced_by = "wrt"
        blocks = np.moveaxis(J.reshape(n_of, wrt_shape[0], -1), 1, 0)  # block k: ∂of/∂wrt[k]
    elif n_of > max_aspect * n_wrt and len(of_shape) >= 2:
        sliced_by = "of-axis"
        blocks = J.reshape(of_shape[0], -1, n_wrt)  # block k: ∂of[k]/∂wrt
    else:
        flat = J.reshape(n_of, n_wrt)  # display only
        return JacobianLayout(image=flat.astype(np.float64), shape=J.shape, of_ndim=of_ndim,
                              sliced_by=None, n_blocks=1, block_shape=flat.shape, grid=(1, 1),
                              per_sample=0)
    n, (rows, cols) = len(blocks), blocks.shape[1:]
    per_line = _blocks_per_line(n, rows, cols, per_sample)
    image = _tile(blocks, per_line, per_sample)
    return JacobianLayout(image=image, shape=J.shape, of_ndim=of_ndim, sliced_by=sliced_by,
                          n_blocks=n, block_shape=(rows, cols), grid=(-(-n // per_line), per_line),
                          per_sample=per_sample)


def _as_matrix(shape: tuple[int, ...]) -> tuple[int, int]:
    """A block's shape: a matrix as is, a vector as one row, more axes with the leading ones flattened."""
    if len(shape) == 1:
        return (1, shape[0])
    return (prod(shape[:-1]), shape[-1])


def _line_width(k: int, cols: int, per_sample: int) -> int:
    """The width, in entries, of k blocks side by side with their bars."""
    if k == 0:
        return 0
    wide = (k - 1) // per_sample if per_sample else 0  # bars between samples
    return k * cols + (k - 1 - wide) * GAP + wide * SAMPLE_GAP


def _blocks_per_line(n: int, rows: int, cols: int, per_sample: int) -> int:
    """Blocks per line for a grid about 1.5 times wider than tall.

    Whole lines only (a divisor of n); with samples, a line holds whole samples
    or a part of one sample that divides it.
    """
    choices = [k for k in range(1, n + 1) if n % k == 0
               and (not per_sample or k % per_sample == 0 or per_sample % k == 0)]

    def misfit(k: int) -> float:
        lines = n // k
        height, width = lines * rows + (lines - 1) * GAP, _line_width(k, cols, per_sample)
        return abs(log(width / height / _TARGET_ASPECT))

    return min(choices, key=lambda k: (misfit(k), -k))


def _tile(blocks: np.ndarray, per_line: int, per_sample: int) -> np.ndarray:
    """The blocks in lines of ``per_line``, NaN bars between them."""
    n, rows, cols = blocks.shape
    lines = -(-n // per_line)
    height = lines * rows + (lines - 1) * GAP
    width = _line_width(per_line, cols, per_sample)
    image = np.full((height, width), np.nan)
    for i in range(n):
        line, k = divmod(i, per_line)
        top = line * (rows + GAP)
        left = _line_width(k, cols, per_sample) + (_bar_before(k, per_sample) if k else 0)
        image[top:top + rows, left:left + cols] = blocks[i]
    return image


def _bar_before(k: int, per_sample: int) -> int:
    """The width of the bar before the k-th block (k ≥ 1) of a line."""
    return SAMPLE_GAP if per_sample and k % per_sample == 0 else GAP


def _text_shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "scalar"
