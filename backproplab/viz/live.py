"""The dashboard's live figures, fast: no matplotlib Figure per frame.

* :class:`FilterMosaicImage` - the W1 filters as one indexed PNG (a colormap
  lookup and zlib), with a caption that says what it shows (its text alternative);
* :func:`confusion_html` - the confusion matrix as an HTML table (counts as text);
* :class:`CurvesSVG` - loss and accuracy curves as SVG whose polylines only grow:
  each update appends the new points; a rescale changes one transform.

No widgets here: each returns bytes or a string for the panel to show.
"""

from __future__ import annotations

import functools
import html
import math

import numpy as np

from backproplab.errors import ShapeError
from backproplab.viz.colormap import BAD, palette, to_indices
from backproplab.viz.filters import _check_image_shape, _check_w1, grid_shape, symmetric_limit
from backproplab.viz.png import indexed_png

__all__ = ["CurvesSVG", "FilterMosaicImage", "confusion_html"]

TRAIN_COLOR, TEST_COLOR = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion


class FilterMosaicImage:
    """Column j of W1 (785, H), bias row dropped, as tile j of a near-square mosaic PNG.

    Tile (r, c) holds unit ``r * n_cols + c``; every weight is a ``scale`` ×
    ``scale`` block; tiles are separated by one grey weight-sized line. Colours:
    ``cmap`` over (−m, m) with m = max |W1[1:]|, so white is 0.
    """

    def __init__(self, *, n_filters: int = 100, image_shape: tuple[int, int] = (28, 28),
                 scale: int = 2, cmap: str = "RdBu_r") -> None:
        self.image_shape = _check_image_shape(image_shape)
        self.n_filters = int(n_filters)
        self.n_rows, self.n_cols = grid_shape(self.n_filters)
        self.scale = int(scale)
        self.palette = palette(cmap)  # (256, 4)
        self.limit = 1.0  # m of the last render

    def render(self, W1) -> bytes:
        """The mosaic of ``W1`` (1 + h*w, n_filters) as PNG bytes."""
        arr = _check_w1(W1, self.image_shape, self.n_filters)  # (785, H), finite
        self.limit = m = symmetric_limit(arr)
        flat = np.empty(arr[1:].size + 1, np.uint8)  # (h·w·H + 1,): the weights' colours, then grey
        flat[:-1] = to_indices(arr[1:], -m, m).ravel()
        flat[-1] = BAD
        return indexed_png(flat[self._where], self.palette, level=0)  # stored: zlib costs 20-50 ms

    @functools.cached_property
    def _where(self) -> np.ndarray:
        """(height, width) of the picture: for each pixel, its weight's index in W1[1:].ravel()
        (pixel p of unit j is p·H + j), or the last index (grey) on separators and empty tiles."""
        h, w = self.image_shape
        H, R, C = self.n_filters, self.n_rows, self.n_cols
        tiles = np.full((R * C, h + 1, w + 1), h * w * H, np.int64)  # (tiles, h+1, w+1)
        tiles[:H, :h, :w] = np.arange(h * w).reshape(1, h, w) * H + np.arange(H).reshape(H, 1, 1)
        grid = tiles.reshape(R, C, h + 1, w + 1).transpose(0, 2, 1, 3).reshape(R * (h + 1), C * (w + 1))
        grid = grid[:-1, :-1]  # (R·(h+1)−1, C·(w+1)−1): no outer separator
        return np.repeat(np.repeat(grid, self.scale, axis=0), self.scale, axis=1)

    def caption_html(self, title: str, W1) -> str:
        """What the picture shows, in words (also its text alternative), with its colour scale."""
        pixels = np.asarray(W1)[1:]
        h, w = self.image_shape
        lo, hi = float(pixels.min()), float(pixels.max())
        stops = ", ".join(f"rgb({r},{g},{b})" for r, g, b, _ in self.palette[0:255:32])
        return (f'<div style="font-size:12px;line-height:1.4"><b>{html.escape(title)}</b>: '
                f"{self.n_filters} tiles of {h}×{w}, one per hidden unit (unit = row × {self.n_cols} + "
                f"column, from the top left), weights from {lo:.3g} to {hi:.3g}.<br>"
                f'<span style="display:inline-block;width:120px;height:10px;vertical-align:middle;'
                f'background:linear-gradient(to right,{stops})"></span> '
                f"blue −{self.limit:.3g} · white 0 · red +{self.limit:.3g} (bias row not shown)</div>")


def confusion_html(cm, title: str) -> str:
    """The confusion matrix as an HTML table: rows true class, columns predicted, counts as text.

    Cells are shaded by count (light to dark blue; white text on dark cells); the
    title line gives the accuracy, trace / total.
    """
    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or not np.issubdtype(counts.dtype, np.integer):
        raise ShapeError(f"the confusion matrix must be a square array of integer counts; got "
                         f"{counts.dtype} {counts.shape}.")
    n = len(counts)
    blues = palette("Blues")  # (256, 4)
    vmax = max(int(counts.max()), 1)
    idx = np.rint(counts * (254 / vmax)).astype(int)  # (n, n)
    rgb = blues[idx, :3]  # (n, n, 3)
    dark = rgb @ np.array([0.2126, 0.7152, 0.0722]) < 128  # (n, n), Rec. 709 luminance
    total, correct = int(counts.sum()), int(np.trace(counts))
    summary = (f"accuracy {100 * correct / total:.2f} % ({correct:,} / {total:,})" if total
               else "no predictions")
    cell = "width:30px;height:22px;text-align:center;font-size:11px;"
    head = "".join(f'<th style="font-weight:normal;color:#424242">{p}</th>' for p in range(n))
    rows = []
    for t in range(n):
        tds = "".join(
            f'<td style="{cell}background:rgb({r},{g},{b});color:{"#fff" if dark[t, p] else "#000"}'
            f'{";outline:2px solid #37474f;outline-offset:-2px" if t == p else ""}">{int(counts[t, p])}</td>'
            for p, (r, g, b) in enumerate(rgb[t]))
        rows.append(f'<tr><th style="font-weight:normal;color:#424242;padding-right:4px">{t}</th>{tds}</tr>')
    return (f'<div style="font-family:sans-serif"><div style="font-size:13px;margin-bottom:3px">'
            f"<b>{html.escape(title)}</b>: {summary}</div>"
            '<table style="border-collapse:collapse;font-family:monospace" '
            f'aria-label="confusion matrix, {html.escape(title)}: rows true class, columns predicted">'
            f'<tr><td style="font-size:11px;color:#616161">true ↓ / predicted →</td>{head}</tr>'
            f'{"".join(rows)}</table></div>')


_ROUND = (1, 2, 2.5, 5, 10)  # axis ranges and tick steps
_FINE = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)  # the loss axis: little empty room above the curve


def _nice_top(value: float, factors=_ROUND) -> float:
    """The smallest of ``factors`` × 10^k at or above ``value`` (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    return next(f * exp for f in factors if f * exp >= value * (1 - 1e-9))


class CurvesSVG:
    """Train loss (left) and train / test accuracy (right) as one SVG that grows point by point.

    ``update(...)`` takes the whole series each time (a run's history only
    grows) and formats only the points it has not seen; ``reset()`` starts over.
    """

    W, H = 330, 210  # each plot, in pixels
    LEFT, RIGHT, TOP, BOTTOM = 44, 10, 26, 30

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._points = {"loss": [], "acc": []}  # "x,y" strings in data units, appended
        self._seen = 0
        self._loss_top = 0.0

    def update(self, *, steps, train_loss, train_acc, test_steps, test_acc, x_max: float) -> str:
        """The SVG for the series so far; x in epochs, the axis growing with the run up to ``x_max``."""
        steps, loss, acc = list(steps), list(train_loss), list(train_acc)
        if not len(steps) == len(loss) == len(acc):
            raise ShapeError(f"steps, train_loss and train_acc need one value each per point; got "
                             f"{len(steps)}, {len(loss)} and {len(acc)}.")
        if len(steps) < self._seen:  # a new run: the series start again
            self.reset()
        for x, l_, a in zip(steps[self._seen:], loss[self._seen:], acc[self._seen:]):
            if math.isfinite(l_):
                self._points["loss"].append(f"{x:.4f},{l_:.4g}")
                self._loss_top = max(self._loss_top, l_)
            self._points["acc"].append(f"{x:.4f},{a:.4f}")
        self._seen = len(steps)
        # the x axis grows with the run (a long run's first epochs are not squeezed to its left edge)
        last_x = steps[-1] if steps else 0.0
        x_max = max(min(float(x_max), _nice_top(1.05 * last_x)), last_x, 1.0)
        loss_top = _nice_top(self._loss_top, _FINE)
        last_loss = f" (last {loss[-1]:.4g})" if loss else ""
        last = [f"train {100 * acc[-1]:.1f} %"] if acc else []
        # the test accuracy of the last epoch's end, which may be older than the status line's
        last += [f"test {100 * test_acc[-1]:.1f} % at epoch {float(list(test_steps)[-1]):.3g}"] if len(test_acc) else []
        acc_title = f"accuracy: {', '.join(last)}" if last else "accuracy"
        left = self._plot(0, f"train loss{last_loss}", x_max, loss_top,
                          [(self._points["loss"], TRAIN_COLOR, "")], [], percent=False)
        right = self._plot(self.W, acc_title, x_max, 1.0,
                           [(self._points["acc"], TRAIN_COLOR, "")],
                           list(zip(test_steps, test_acc)), percent=True)
        label = (f"Training curves up to epoch {steps[-1]:.2f}: {acc_title}; "
                 f"train loss{last_loss}." if steps else "Training curves: no steps yet.")
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * self.W}" height="{self.H}" '
                f'role="img" aria-label="{html.escape(label)}" style="font-family:sans-serif;'
                f'font-size:11px;background:#fff"><title>{html.escape(label)}</title>{left}{right}</svg>')

    def _plot(self, x0: float, title: str, x_max: float, y_max: float, lines, dots, *,
              percent: bool) -> str:
        L, R, T, B = self.LEFT, self.RIGHT, self.TOP, self.BOTTOM
        w, h = self.W - L - R, self.H - T - B
        ox, oy = x0 + L, T + h  # the plot's origin, in pixels
        parts = [f'<text x="{x0 + L}" y="16" font-size="12" font-weight="bold">{html.escape(title)}</text>',
                 f'<rect x="{ox}" y="{T}" width="{w}" height="{h}" fill="none" stroke="#9e9e9e"/>']
        for k in range(5):  # y grid and labels
            v = y_max * k / 4
            y = oy - h * k / 4
            text = f"{100 * v:.0f}%" if percent else f"{v:.3g}"
            parts.append(f'<line x1="{ox}" x2="{ox + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                         f'<text x="{ox - 4}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
        step = _nice_top(x_max / 6)
        for k in range(int(x_max / step + 1e-9) + 1):  # x labels, in epochs
            x = ox + w * k * step / x_max
            parts.append(f'<text x="{x:.1f}" y="{oy + 14}" text-anchor="middle">{k * step:g}</text>')
        parts.append(f'<text x="{ox + w / 2}" y="{oy + 27}" text-anchor="middle">epoch</text>')
        # data units → pixels in one transform: the points' text never changes, it only grows
        scale = f"translate({ox},{oy}) scale({w / x_max:.6g},{-h / y_max:.6g})"
        for points, color, dash in lines:
            if points:
                parts.append(f'<polyline transform="{scale}" fill="none" stroke="{color}" stroke-width="1.5" '
                             f'vector-effect="non-scaling-stroke" points="{" ".join(points)}"/>')
        if percent:
            pts = [(ox + w * x / x_max, oy - h * y) for x, y in dots]
            if len(pts) > 1:
                parts.append(f'<polyline fill="none" stroke="{TEST_COLOR}" stroke-width="1.5" '
                             f'stroke-dasharray="5,3" points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}"/>')
            parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{TEST_COLOR}"/>' for a, b in pts]
            parts.append(f'<g transform="translate({ox + w - 110},{oy - 34})">'
                         f'<line x1="0" x2="18" y1="0" y2="0" stroke="{TRAIN_COLOR}" stroke-width="2"/>'
                         '<text x="22" y="4">train</text>'
                         f'<line x1="0" x2="18" y1="16" y2="16" stroke="{TEST_COLOR}" stroke-width="2" '
                         f'stroke-dasharray="5,3"/><circle cx="9" cy="16" r="3" fill="{TEST_COLOR}"/>'
                         '<text x="22" y="20">test (each epoch)</text></g>')
        return "".join(parts)
