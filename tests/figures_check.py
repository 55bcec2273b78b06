"""Independent readers of the dashboard's figures: decode what is shown, compare with the numbers.

The filters PNG is decoded with Pillow and each tile compared with matplotlib's
own RdBu_r colormap applied to W1; the confusion table's counts are read back
from its HTML. Neither uses the code that drew them.
"""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np
from PIL import Image


def decode_rgb(png: bytes) -> np.ndarray:
    """(height, width, 3) floats in [0, 1]."""
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGB"), np.float64) / 255.0


def mosaic_shows(png: bytes, W1: np.ndarray, *, image_side: int = 28, scale: int = 2,
                 atol: float = 0.0045) -> bool:
    """True if the mosaic PNG shows W1: unit j in tile (j // cols, j % cols), colour RdBu_r(t).

    t = (w/m + 1)/2 with m = max |W1[1:]| (white is 0), rounded to the nearest of
    the 255 colours the picture promises (t = k/254); tiles are image_side²
    weights of scale² pixels, with a one-weight separator; cols = ceil(sqrt(H)).
    atol covers the 8-bit rounding of a colour (±0.5/255).
    """
    rgb = decode_rgb(png)
    pixels = np.asarray(W1, np.float64)[1:]  # (784, H)
    H = pixels.shape[1]
    cols = int(np.ceil(np.sqrt(H)))
    m = np.abs(pixels).max() or 1.0
    t = (pixels / m + 1) / 2 * 254  # (784, H), in colour steps
    near, other = np.rint(t), np.floor(t) + np.ceil(t) - np.rint(t)
    tie = np.abs(t - np.floor(t) - 0.5) < 1e-3  # float32 arithmetic may round either way here
    cmap = matplotlib.colormaps["RdBu_r"]
    expected, alternative = cmap(near / 254)[..., :3], cmap(other / 254)[..., :3]  # (784, H, 3)
    step = (image_side + 1) * scale
    for j in range(H):
        r, c = divmod(j, cols)
        tile = rgb[r * step: r * step + image_side * scale: scale,
                   c * step: c * step + image_side * scale: scale]  # (28, 28, 3)
        want = expected[:, j].reshape(image_side, image_side, 3)
        if tile.shape != want.shape:
            return False
        ok = np.all(np.abs(tile - want) <= atol, axis=-1)
        alt = np.all(np.abs(tile - alternative[:, j].reshape(want.shape)) <= atol, axis=-1)
        if not np.all(ok | (alt & tie[:, j].reshape(ok.shape))):
            return False
    return True


def confusion_counts(markup: str) -> np.ndarray:
    """The counts of the confusion table's cells, row by row, as a square int array."""
    counts = [int(n) for n in re.findall(r">(\d+)</td>", markup)]
    n = int(round(len(counts) ** 0.5))
    assert n * n == len(counts), f"{len(counts)} cells is not a square table"
    return np.array(counts).reshape(n, n)
