"""A fast PNG encoder for heatmaps: colour indices and a palette, straight from NumPy.

A heatmap has at most 256 colours, so it is stored as an indexed PNG (colour
type 3): one byte per pixel, a PLTE chunk with the colours, zlib at level 1.
No matplotlib Figure, no Pillow: a 578×578 filter mosaic encodes in about a
millisecond, where a matplotlib figure takes 50-70 ms to draw.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from backproplab.errors import ConfigError, DTypeError, ShapeError

__all__ = ["PNG_SIGNATURE", "indexed_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def indexed_png(indices: np.ndarray, palette: np.ndarray, *, level: int = 1) -> bytes:
    """Encode an image of palette indices as PNG bytes.

    Parameters
    ----------
    indices : uint8 array, shape (height, width)
        Each pixel's entry in ``palette``.
    palette : uint8 array, shape (n, 3) or (n, 4), n <= 256
        RGB colours; a fourth column is alpha (written as a tRNS chunk).
    level : zlib compression level (1 is fast; 9 is small).
    """
    idx = np.asarray(indices)
    pal = np.asarray(palette)
    if idx.dtype != np.uint8:
        raise DTypeError(f"indices must be uint8 palette indices; got dtype {idx.dtype}. "
                         "Map values to 0..255 first, e.g. with backproplab.viz.colormap.to_indices.")
    if idx.ndim != 2 or idx.size == 0:
        raise ShapeError(f"indices must be a non-empty 2-D array (height, width); got shape {idx.shape}.")
    if pal.dtype != np.uint8 or pal.ndim != 2 or pal.shape[1] not in (3, 4) or not 1 <= len(pal) <= 256:
        raise ShapeError(f"palette must be uint8 of shape (n, 3) or (n, 4) with n <= 256; got "
                         f"{pal.dtype} {pal.shape}.")
    if int(idx.max()) >= len(pal):
        raise ConfigError(f"an index ({int(idx.max())}) points past the palette's {len(pal)} colours.")
    h, w = idx.shape
    raw = np.empty((h, w + 1), np.uint8)  # (h, 1 + w): filter byte 0 ("none") before each row
    raw[:, 0] = 0
    raw[:, 1:] = idx
    header = struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)  # 8-bit, indexed colour
    parts = [PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"PLTE", pal[:, :3].tobytes())]
    if pal.shape[1] == 4 and np.any(pal[:, 3] < 255):
        parts.append(_chunk(b"tRNS", pal[:, 3].tobytes()))
    parts += [_chunk(b"IDAT", zlib.compress(raw.tobytes(), level)), _chunk(b"IEND", b"")]
    return b"".join(parts)
