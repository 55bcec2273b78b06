"""Colour maps as lookup tables: values to palette indices with NumPy alone.

:func:`palette` samples a matplotlib colormap once into 255 colours plus one
"bad" colour (index 255, for NaN: separators, empty tiles); :func:`to_indices`
maps an array onto them. Together with :func:`backproplab.viz.png.indexed_png`
a heatmap is a table lookup and a zlib call.
"""

from __future__ import annotations

import matplotlib
import matplotlib.colors
import numpy as np

from backproplab.errors import ConfigError

__all__ = ["BAD", "N_COLORS", "palette", "to_indices"]

N_COLORS = 255  # colours of the map; index 255 is the bad colour
BAD = 255


def palette(name: str, *, bad: str = "0.55") -> np.ndarray:
    """(256, 4) uint8: ``name`` sampled at 255 evenly spaced points, then ``bad`` (for NaN)."""
    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise ConfigError(f"unknown colormap {name!r}; use a matplotlib colormap name such as "
                          "'RdBu_r', 'Blues' or 'viridis'.") from None
    colors = cmap(np.linspace(0.0, 1.0, N_COLORS), bytes=True)  # (255, 4) uint8
    bad_rgba = np.array(matplotlib.colors.to_rgba_array(bad)[0] * 255 + 0.5, np.uint8)  # (4,)
    return np.vstack([colors, bad_rgba[None, :]])  # (256, 4)


def to_indices(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Palette indices (uint8, a's shape): lo → 0, hi → 254, linear between, NaN → 255.

    Values outside [lo, hi] take the end colours. Entry k of the palette is the
    colormap at k / 254, so a value v gets the colour at (v − lo) / (hi − lo),
    rounded to the nearest of the 255 samples.
    """
    if not hi > lo:
        raise ConfigError(f"the colour range needs lo < hi; got lo={lo}, hi={hi}.")
    scaled = (np.asarray(a, np.float32) - np.float32(lo)) * np.float32((N_COLORS - 1) / (hi - lo))
    bad = np.isnan(scaled)
    scaled[bad] = 0.0
    np.clip(scaled, 0, N_COLORS - 1, out=scaled)
    out = np.rint(scaled).astype(np.uint8)
    out[bad] = BAD
    return out
