"""The fast live figures: checked by decoding them (Pillow), by matplotlib's colormaps, by hand."""

import io
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image

from backproplab.errors import ConfigError, DTypeError, NonFiniteError, ShapeError
from backproplab.viz.colormap import palette, to_indices
from backproplab.viz.live import CurvesSVG, FilterMosaicImage, confusion_html
from backproplab.viz.png import PNG_SIGNATURE, indexed_png
from figures_check import confusion_counts, decode_rgb, mosaic_shows


def decode_rgba(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_indexed_png_decodes_to_the_palette_colours():
    indices = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)  # (2, 3)
    pal = np.array([[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 128]], np.uint8)
    for level in (0, 1, 9):
        png = indexed_png(indices, pal, level=level)
        assert png.startswith(PNG_SIGNATURE)
        rgba = decode_rgba(png)  # (2, 3, 4)
        assert rgba.shape == (2, 3, 4)
        np.testing.assert_array_equal(rgba, pal[indices])  # alpha too (tRNS)


def test_indexed_png_refuses_what_it_cannot_encode():
    pal = np.zeros((2, 3), np.uint8)
    with pytest.raises(DTypeError, match="uint8"):
        indexed_png(np.zeros((2, 2), np.int64), pal)
    with pytest.raises(ShapeError, match="2-D"):
        indexed_png(np.zeros(4, np.uint8), pal)
    with pytest.raises(ConfigError, match="past the palette"):
        indexed_png(np.full((2, 2), 5, np.uint8), pal)
    with pytest.raises(ShapeError, match="palette"):
        indexed_png(np.zeros((2, 2), np.uint8), np.zeros((300, 3), np.uint8))


def test_palette_samples_the_matplotlib_colormap_and_ends_with_the_bad_colour():
    pal = palette("RdBu_r")
    assert pal.shape == (256, 4) and pal.dtype == np.uint8
    cmap = matplotlib.colormaps["RdBu_r"]
    for k in (0, 1, 127, 200, 254):  # entry k is the colormap at k / 254
        np.testing.assert_allclose(pal[k, :3] / 255, cmap(k / 254)[:3], atol=1 / 255)  # bytes truncate
    np.testing.assert_allclose(pal[255, :3] / 255, [0.55] * 3, atol=1 / 255)
    with pytest.raises(ConfigError, match="unknown colormap"):
        palette("not-a-map")


def test_to_indices_by_hand():
    a = np.array([[-1.0, 0.0, 1.0], [0.5, np.nan, 7.0]])
    np.testing.assert_array_equal(to_indices(a, -1.0, 1.0), [[0, 127, 254], [190, 255, 254]])
    with pytest.raises(ConfigError, match="lo < hi"):
        to_indices(a, 1.0, 1.0)


def test_filter_mosaic_shows_each_unit_in_its_tile():
    rng = np.random.default_rng(1)
    W1 = rng.normal(0, 0.1, (785, 100)).astype(np.float32)
    W1[1:, 37] = 0.0  # unit 37 is blank: tile (3, 7) must be white
    png = FilterMosaicImage().render(W1)
    rgb = decode_rgb(png)
    assert rgb.shape == ((10 * 29 - 1) * 2, (10 * 29 - 1) * 2, 3)
    assert mosaic_shows(png, W1)
    tile = rgb[3 * 58: 3 * 58 + 56, 7 * 58: 7 * 58 + 56]
    np.testing.assert_allclose(tile, np.broadcast_to(matplotlib.colormaps["RdBu_r"](0.5)[:3], tile.shape),
                               atol=2 / 255)
    np.testing.assert_allclose(rgb[56:58, :56], 0.55, atol=1 / 255)  # the grey separator line
    other = W1.copy()
    other[1:, [5, 6]] = other[1:, [6, 5]]  # two units swapped: a different picture
    assert not mosaic_shows(png, other)


def test_filter_mosaic_rejects_bad_weights_and_says_what_it_shows():
    mosaic = FilterMosaicImage(n_filters=4)
    with pytest.raises(ShapeError, match="transposed"):
        mosaic.render(np.zeros((4, 785)))
    bad = np.zeros((785, 4))
    bad[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="diverged"):
        mosaic.render(bad)
    W1 = np.zeros((785, 4))
    W1[1, 0], W1[2, 3] = -0.41, 0.44
    mosaic.render(W1)
    caption = mosaic.caption_html("W1 filters at step 734", W1)
    assert "4 tiles of 28×28" in caption and "from -0.41 to 0.44" in caption
    assert "+0.44" in caption  # the colour scale is ±max |w|


def test_confusion_table_by_hand():
    cm = np.array([[5, 1, 0], [2, 7, 0], [0, 0, 9]])
    markup = confusion_html(cm, "test set, epoch 2")
    np.testing.assert_array_equal(confusion_counts(markup), cm)
    assert "accuracy 87.50 % (21 / 24)" in markup  # (5 + 7 + 9) / 24, counted by hand
    assert "test set, epoch 2" in markup
    # each cell is shaded Blues(count / max count), read back from its style
    cells = re.findall(r'background:rgb\((\d+),(\d+),(\d+)\)[^>]*>(\d+)</td>', markup)
    assert len(cells) == 9
    for (r, g, b, count), want in zip(cells, cm.ravel()):
        assert int(count) == want
        np.testing.assert_allclose(np.array([r, g, b], float) / 255,
                                   matplotlib.colormaps["Blues"](round(want / 9 * 254) / 254)[:3],
                                   atol=1 / 255)
    # the darkest cell (the largest count) has white text, the empty ones black
    assert re.search(r'color:#fff[^>]*>9</td>', markup) and re.search(r'color:#000[^>]*>0</td>', markup)
    with pytest.raises(ShapeError, match="square"):
        confusion_html(np.zeros((2, 3), int), "x")


def _polyline_points(svg: str) -> list[list[tuple[float, float]]]:
    out = []
    for match in re.finditer(r'<polyline transform="[^"]*"[^>]* points="([^"]*)"', svg):
        out.append([tuple(float(v) for v in p.split(",")) for p in match.group(1).split()])
    return out


def test_curves_append_points_and_keep_what_they_drew():
    curves = CurvesSVG()
    svg1 = curves.update(steps=[0.5, 1.0], train_loss=[2.0, 1.0], train_acc=[0.25, 0.5],
                         test_steps=[1.0], test_acc=[0.6], x_max=4)
    loss1, acc1 = _polyline_points(svg1)
    assert loss1 == [(0.5, 2.0), (1.0, 1.0)] and acc1 == [(0.5, 0.25), (1.0, 0.5)]
    svg2 = curves.update(steps=[0.5, 1.0, 1.5], train_loss=[2.0, 1.0, 0.5], train_acc=[0.25, 0.5, 0.75],
                         test_steps=[1.0], test_acc=[0.6], x_max=4)
    loss2, acc2 = _polyline_points(svg2)
    assert loss2 == loss1 + [(1.5, 0.5)] and acc2 == acc1 + [(1.5, 0.75)]
    assert "last 0.5" in svg2 and "train 75.0 %" in svg2 and "test 60.0 % at epoch 1" in svg2  # which moment the test point is
    assert svg2.startswith("<svg") and 'role="img"' in svg2 and "<title>" in svg2
    # the x axis has grown to 2 epochs (the first nice number above 1.5 × 1.05; the run has 4):
    # the test point sits at epoch 1 of 2, 60 % up the accuracy plot (pixels, by hand)
    w, h = CurvesSVG.W - CurvesSVG.LEFT - CurvesSVG.RIGHT, CurvesSVG.H - CurvesSVG.TOP - CurvesSVG.BOTTOM
    cx = CurvesSVG.W + CurvesSVG.LEFT + w * 1 / 2
    cy = CurvesSVG.TOP + h - h * 0.6
    assert f'<circle cx="{cx:.1f}" cy="{cy:.1f}"' in svg2
    # a new run starts over
    loss3, _ = _polyline_points(curves.update(steps=[0.1], train_loss=[3.0], train_acc=[0.1],
                                              test_steps=[], test_acc=[], x_max=4))
    assert loss3 == [(0.1, 3.0)]
    with pytest.raises(ShapeError, match="one value each"):
        curves.update(steps=[1, 2], train_loss=[1], train_acc=[1, 2], test_steps=[], test_acc=[], x_max=2)
