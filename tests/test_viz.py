"""Tests of backproplab.viz: mosaics, in-place updates, PNG output, atomic saves."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from backproplab.errors import ConfigError, DTypeError, NonFiniteError, ShapeError
from backproplab.viz import (
    PNG_SIGNATURE,
    ConfusionFigure,
    CurvesFigure,
    FiltersFigure,
    array_to_png,
    figure_to_png,
    filter_mosaic,
    grid_shape,
    save_png,
)
from backproplab.viz import render

REPO = Path(__file__).resolve().parents[1]


def decode(png: bytes) -> np.ndarray:
    """PNG bytes -> (height, width, channels) float array."""
    assert png.startswith(PNG_SIGNATURE)
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def numbered_w1(n_hidden: int, image_shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """W1 whose column j holds j * 10_000 + pixel index, with a huge bias row."""
    n_pixels = image_shape[0] * image_shape[1]
    w1 = np.empty((1 + n_pixels, n_hidden))  # (1 + h*w, H)
    w1[0] = 1e9  # bias row: must never show up in the mosaic
    w1[1:] = np.arange(n_hidden)[None, :] * 10_000 + np.arange(n_pixels)[:, None]
    return w1


# --- grid and mosaic -------------------------------------------------------


def test_grid_shape_is_10_by_10_for_100_filters() -> None:
    assert grid_shape(100) == (10, 10)
    assert grid_shape(64) == (8, 8)
    assert grid_shape(30) == (5, 6)


@pytest.mark.parametrize("n", range(1, 130))
def test_grid_shape_is_near_square_without_empty_rows(n: int) -> None:
    rows, cols = grid_shape(n)
    assert rows * cols >= n
    assert 0 <= cols - rows <= 1
    assert rows * cols - n < cols  # no entirely empty last row


def test_grid_shape_honours_a_given_side_and_rejects_too_small_grids() -> None:
    assert grid_shape(100, n_cols=20) == (5, 20)
    assert grid_shape(100, n_rows=4) == (4, 25)
    with pytest.raises(ConfigError, match="holds 12"):
        grid_shape(13, n_rows=3, n_cols=4)


@pytest.mark.parametrize(("n_hidden", "image_shape"), [(100, (28, 28)), (7, (28, 28)), (5, (3, 4))])
def test_filter_mosaic_puts_filter_j_in_tile_j(n_hidden: int, image_shape: tuple[int, int]) -> None:
    h, w = image_shape
    w1 = numbered_w1(n_hidden, image_shape)
    mosaic = filter_mosaic(w1, image_shape=image_shape)
    rows, cols = grid_shape(n_hidden)
    assert mosaic.shape == (rows * (h + 1) - 1, cols * (w + 1) - 1)
    covered = np.zeros(mosaic.shape, dtype=bool)
    for j in range(rows * cols):
        r, c = divmod(j, cols)
        tile = mosaic[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w]
        covered[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = True
        if j < n_hidden:
            np.testing.assert_array_equal(tile, w1[1:, j].reshape(h, w))
        else:
            assert np.isnan(tile).all(), f"empty tile {j} should be blank (NaN)"
    assert np.isnan(mosaic[~covered]).all(), "separators should be NaN"
    assert np.nanmax(mosaic) < 1e9, "the bias row must not be drawn"


def test_filter_mosaic_with_explicit_columns() -> None:
    w1 = numbered_w1(6)
    mosaic = filter_mosaic(w1, n_cols=6)
    assert mosaic.shape == (28, 6 * 29 - 1)
    np.testing.assert_array_equal(mosaic[:, 5 * 29 :], w1[1:, 5].reshape(28, 28))


def test_filter_mosaic_rejects_a_w1_without_bias_row() -> None:
    with pytest.raises(ShapeError, match=r"W1 must be \(785, n_hidden\) with the bias row first") as info:
        filter_mosaic(np.zeros((784, 100)))
    assert "(784, 100)" in str(info.value)
    assert "no bias row" in str(info.value)


def test_filter_mosaic_rejects_a_transposed_w1() -> None:
    with pytest.raises(ShapeError, match=r"W1\.T"):
        filter_mosaic(np.zeros((100, 785)))


def test_filter_mosaic_rejects_other_dimensions() -> None:
    with pytest.raises(ShapeError, match="bias row first"):
        filter_mosaic(np.zeros(785))


# --- FiltersFigure -----------------------------------------------------------


def test_filters_figure_colour_limits_are_symmetric_over_pixel_rows() -> None:
    fig = FiltersFigure(n_filters=4)
    w1 = np.zeros((785, 4))
    w1[0] = 50.0  # bias row is not part of the colour range
    w1[10, 1] = 0.3
    w1[20, 2] = -0.1
    fig.update(w1)
    assert fig.image.get_clim() == (-0.3, 0.3)
    w1[20, 2] = -0.7
    fig.update(w1)
    assert fig.image.get_clim() == (-0.7, 0.7)


def test_filters_figure_all_zero_weights_give_finite_limits() -> None:
    fig = FiltersFigure(n_filters=4)
    fig.update(np.zeros((785, 4)))
    lo, hi = fig.image.get_clim()
    assert np.isfinite([lo, hi]).all() and lo < 0 < hi and lo == -hi
    assert decode(fig.to_png()).shape[:2] == (432, 480)


def test_filters_figure_updates_the_same_image_in_place() -> None:
    rng = np.random.default_rng(0)
    fig = FiltersFigure()
    axes_before = list(fig.figure.axes)
    image = fig.image
    w1_a = rng.normal(size=(785, 100)) * 0.1
    w1_b = rng.normal(size=(785, 100)) * 0.1
    fig.update(w1_a)
    data_a = np.array(image.get_array())
    png_a = fig.to_png()
    fig.update(w1_b, title="epoch 2")
    assert fig.image is image
    assert fig.figure.axes == axes_before
    assert len(axes_before[0].images) == 1, "one imshow for all filters"
    data_b = np.array(image.get_array())
    assert not np.array_equal(data_a, data_b, equal_nan=True)
    np.testing.assert_array_equal(data_b, filter_mosaic(w1_b))
    assert axes_before[0].get_title() == "epoch 2"
    png_b = fig.to_png()
    assert png_a != png_b
    width, height = fig.figure.get_size_inches() * fig.figure.dpi
    assert decode(png_b).shape[:2] == (round(height), round(width))


def test_filters_figure_has_a_colorbar() -> None:
    fig = FiltersFigure()
    assert len(fig.figure.axes) == 2  # the mosaic and its colorbar
    assert fig.figure.axes[1].get_label() == "<colorbar>"


def test_filters_figure_rejects_wrong_shapes_and_values() -> None:
    fig = FiltersFigure()
    with pytest.raises(ShapeError, match=r"\(785, n_hidden\) with the bias row first"):
        fig.update(np.zeros((784, 100)))
    with pytest.raises(ShapeError, match=r"n_hidden = 100.*FiltersFigure\(n_filters=64\)"):
        fig.update(np.zeros((785, 64)))
    bad = np.zeros((785, 100))
    bad[3, 3] = np.nan
    with pytest.raises(NonFiniteError):
        fig.update(bad)


def test_filters_figure_other_image_shape() -> None:
    fig = FiltersFigure(n_filters=3, image_shape=(2, 3))
    fig.update(numbered_w1(3, (2, 3)))
    # 3 filters -> a 2 x 2 grid of 2x3 tiles with 1-pixel separators
    assert fig.image.get_array().shape == (2 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(fig.image.get_array()[3:5, 0:3], [[20_000, 20_001, 20_002], [20_003, 20_004, 20_005]])
    with pytest.raises(ShapeError, match=r"W1 must be \(7, n_hidden\)"):
        fig.update(np.zeros((785, 3)))


# --- ConfusionFigure ---------------------------------------------------------


def plausible_confusion(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cm = rng.integers(0, 12, size=(10, 10))
    np.fill_diagonal(cm, rng.integers(900, 1100, size=10))
    return cm


def test_confusion_annotations_equal_the_counts() -> None:
    fig = ConfusionFigure()
    texts_before = fig.texts
    image = fig.image
    cm = plausible_confusion()
    fig.update(cm)
    assert fig.image is image and fig.texts is texts_before
    shown = np.array([[int(t.get_text()) for t in row] for row in fig.texts])
    np.testing.assert_array_equal(shown, cm)
    np.testing.assert_array_equal(image.get_array(), cm)
    # each annotation sits on its cell: texts[true][predicted] at (x=predicted, y=true)
    assert fig.texts[3][7].get_position() == (7, 3)


def test_confusion_title_states_the_accuracy() -> None:
    fig = ConfusionFigure()
    cm = np.zeros((10, 10), dtype=int)
    np.fill_diagonal(cm, 9)
    cm[0, 1] = 10  # 90 correct of 100
    fig.update(cm, title="test set")
    title = fig.figure.axes[0].get_title()
    assert title.startswith("test set")
    assert "90.00%" in title and "90 / 100" in title


def test_confusion_text_colour_contrasts_with_the_cell() -> None:
    fig = ConfusionFigure()
    cm = plausible_confusion()
    fig.update(cm)
    assert fig.texts[0][0].get_color() == "white"  # darkest cells: the diagonal
    assert fig.texts[0][1].get_color() == "black"  # near-empty cells are light


def test_confusion_empty_matrix_reports_no_predictions() -> None:
    fig = ConfusionFigure()
    fig.update(np.zeros((10, 10), dtype=np.int64))
    assert "n/a" in fig.figure.axes[0].get_title()
    assert decode(fig.to_png()).shape[:2] == (400, 400)


def test_confusion_rejects_bad_input() -> None:
    fig = ConfusionFigure()
    with pytest.raises(ShapeError, match=r"\(10, 10\).*got shape \(10, 9\)"):
        fig.update(np.zeros((10, 9), dtype=int))
    with pytest.raises(ShapeError, match=r"\(10, 10\)"):
        fig.update(np.zeros(100, dtype=int))
    with pytest.raises(DTypeError, match="integer counts"):
        fig.update(np.zeros((10, 10)))
    negative = np.zeros((10, 10), dtype=int)
    negative[1, 2] = -1
    with pytest.raises(ValueError, match="negative"):
        fig.update(negative)


def test_confusion_labels_and_size() -> None:
    fig = ConfusionFigure(n_classes=3, labels=["cat", "dog", "eel"])
    assert [t.get_text() for t in fig.figure.axes[0].get_xticklabels()] == ["cat", "dog", "eel"]
    with pytest.raises(ConfigError, match="3 classes; got 2 labels"):
        ConfusionFigure(n_classes=3, labels=["a", "b"])


# --- CurvesFigure ------------------------------------------------------------


def test_curves_update_sets_line_data_and_rescales() -> None:
    fig = CurvesFigure()
    lines = fig.lines
    steps = [0.0, 0.5, 1.0, 1.5]
    loss = [2.3, 0.9, 0.5, 0.4]
    acc = [0.1, 0.7, 0.85, 0.9]
    fig.update(steps=steps, train_loss=loss, train_acc=acc, test_steps=[1.0], test_acc=[0.88])
    assert fig.lines == lines
    np.testing.assert_array_equal(lines["train_loss"].get_xdata(), steps)
    np.testing.assert_array_equal(lines["train_loss"].get_ydata(), loss)
    np.testing.assert_array_equal(lines["train_acc"].get_ydata(), acc)
    np.testing.assert_array_equal(lines["test_acc"].get_xdata(), [1.0])
    np.testing.assert_array_equal(lines["test_acc"].get_ydata(), [0.88])
    loss_ax, acc_ax = fig.figure.axes
    lo, hi = loss_ax.get_ylim()
    assert lo <= 0.4 and hi >= 2.3
    assert loss_ax.get_xlim()[1] >= 1.5
    assert "0.4" in loss_ax.get_title()
    assert "88.00%" in acc_ax.get_title()
    # more data later: the same lines grow and the limits follow
    fig.update(steps=steps + [10.0], train_loss=loss + [0.1])
    assert lines["train_loss"].get_xdata()[-1] == 10.0
    assert loss_ax.get_xlim()[1] >= 10.0
    assert len(lines["train_acc"].get_xdata()) == 0  # train_acc not given this time
    assert decode(fig.to_png()).shape[:2] == (256, 640)


def test_curves_reject_inconsistent_input() -> None:
    fig = CurvesFigure()
    with pytest.raises(ShapeError, match="steps has 3 entries, train_loss has 2"):
        fig.update(steps=[0, 1, 2], train_loss=[1.0, 0.5])
    with pytest.raises(ShapeError, match="go together"):
        fig.update(steps=[0], train_loss=[1.0], test_acc=[0.9])
    with pytest.raises(ValueError, match="divide them by 100"):
        fig.update(steps=[0], train_loss=[1.0], train_acc=[93.0])


# --- rendering and saving ----------------------------------------------------


def test_figure_to_png_size_follows_dpi_and_works_without_agg_canvas() -> None:
    fig = Figure(figsize=(2, 1), dpi=50)  # FigureCanvasBase, no pyplot
    fig.add_subplot().plot([0, 1], [1, 0])
    assert decode(figure_to_png(fig)).shape[:2] == (50, 100)
    assert decode(figure_to_png(fig, dpi=100)).shape[:2] == (100, 200)
    assert fig.dpi == 50, "rendering must not change the figure"
    with pytest.raises(TypeError, match="to_png"):
        figure_to_png(ConfusionFigure())  # type: ignore[arg-type]


def test_save_png_writes_a_complete_png_and_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "filters.png"
    fig = FiltersFigure(n_filters=4)
    fig.update(np.random.default_rng(1).normal(size=(785, 4)))
    assert fig.save(target) == target
    assert target.read_bytes() == fig.to_png()
    assert decode(target.read_bytes()).shape[:2] == (432, 480)
    save_png(fig.figure, tmp_path / "from_figure.png")
    save_png(fig, tmp_path / "from_object.png")
    save_png(array_to_png(np.eye(3)), tmp_path / "from_bytes.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "filters.png",
        "from_bytes.png",
        "from_figure.png",
        "from_object.png",
    ]


def test_save_png_respects_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = save_png(array_to_png(np.eye(2)), tmp_path / "a.png")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_save_png_failing_replace_leaves_the_old_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "plot.png"
    target.write_bytes(b"old content")

    def failing_replace(src, dst) -> None:
        raise PermissionError("simulated")

    monkeypatch.setattr(render.os, "replace", failing_replace)
    with pytest.raises(PermissionError):
        save_png(array_to_png(np.eye(4)), target)
    assert target.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_save_png_rejects_non_png_bytes_and_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        save_png(b"GIF89a...", tmp_path / "x.png")
    with pytest.raises(FileNotFoundError, match="mkdir"):
        save_png(array_to_png(np.eye(2)), tmp_path / "missing" / "x.png")
    assert list(tmp_path.iterdir()) == []


# --- array_to_png ------------------------------------------------------------


@pytest.mark.parametrize(("shape", "scale"), [((28, 28), 1), ((28, 28), 8), ((10, 3), 5), ((1, 100), 4)])
def test_array_to_png_size_is_shape_times_scale(shape: tuple[int, int], scale: int) -> None:
    a = np.random.default_rng(2).normal(size=shape)
    image = decode(array_to_png(a, scale=scale))
    assert image.shape == (shape[0] * scale, shape[1] * scale, 4)


def test_array_to_png_treats_a_vector_as_one_row_of_blocks() -> None:
    v = np.array([-1.0, 0.0, 2.0])
    image = decode(array_to_png(v, symmetric=True, scale=3))  # (3, 9, 4)
    assert image.shape == (3, 9, 4)
    cmap = matplotlib.colormaps["RdBu_r"]
    for k, value in enumerate(v):
        block = image[:, 3 * k : 3 * k + 3]
        expected = np.array(cmap((value + 2.0) / 4.0, bytes=True)) / 255
        np.testing.assert_allclose(block, np.broadcast_to(expected, block.shape), atol=1 / 255)


def test_array_to_png_colour_limits() -> None:
    a = np.array([[0.0, 0.5, 1.0]])
    gray = decode(array_to_png(a, cmap="gray", vmin=0, vmax=1))[0, :, 0]  # red channel
    np.testing.assert_allclose(gray, [0.0, 0.5, 1.0], atol=1 / 255)
    clipped = decode(array_to_png(a, cmap="gray", vmin=0, vmax=0.5))[0, :, 0]
    np.testing.assert_allclose(clipped, [0.0, 1.0, 1.0], atol=1 / 255)
    constant = decode(array_to_png(np.full((2, 2), 3.0)))
    assert np.isfinite(constant).all()


def test_array_to_png_rejects_bad_input() -> None:
    with pytest.raises(ShapeError, match="1-D or 2-D"):
        array_to_png(np.zeros((2, 2, 2)))
    with pytest.raises(ShapeError):
        array_to_png(np.zeros((0, 3)))
    with pytest.raises(ConfigError, match="scale"):
        array_to_png(np.zeros((2, 2)), scale=0)
    with pytest.raises(ConfigError, match="vmin must not exceed vmax"):
        array_to_png(np.zeros((2, 2)), vmin=1, vmax=0)
    with pytest.raises(ConfigError, match="unknown colormap"):
        array_to_png(np.zeros((2, 2)), cmap="no-such-map")
    with pytest.raises(DTypeError):
        array_to_png(np.array([["a"]]))


# --- display and package boundary --------------------------------------------


def test_reprs_are_short_and_deterministic() -> None:
    assert repr(FiltersFigure()) == "FiltersFigure(100 filters of 28x28)"
    assert repr(FiltersFigure(n_filters=30, image_shape=(8, 8))) == "FiltersFigure(30 filters of 8x8)"
    assert repr(ConfusionFigure()) == "ConfusionFigure(10x10 classes)"
    assert repr(CurvesFigure()) == "CurvesFigure(loss | accuracy)"


@pytest.mark.parametrize("make", [FiltersFigure, ConfusionFigure, CurvesFigure])
def test_figures_display_as_png_in_notebooks(make) -> None:
    fig = make()
    png = fig._repr_png_()
    assert png.startswith(PNG_SIGNATURE)
    assert decode(png).ndim == 3
    assert isinstance(fig.figure, Figure)


def test_importing_viz_loads_neither_ipywidgets_nor_pyplot() -> None:
    code = (
        "import sys, backproplab.viz\n"
        "bad = [m for m in ('ipywidgets', 'matplotlib.pyplot') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"backproplab.viz imported {out.stdout.strip()}"
