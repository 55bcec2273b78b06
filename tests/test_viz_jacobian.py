"""Laying out a full Jacobian for reading: blocks shaped like W in a grid, not a thin strip."""

import struct

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import ShapeError
from backproplab.viz import PNG_SIGNATURE
from backproplab.viz.jacobian import GAP, SAMPLE_GAP, jacobian_layout


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


@pytest.fixture(scope="module")
def traces():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 784)).astype(np.float32), rng.integers(0, 10, 8)
    net = bl.MLP()
    return net.trace(x[:1], y[:1]), net.trace(x, y)


def test_dz2_dW2_of_one_sample_is_ten_W2_shaped_blocks_side_by_side(traces):
    J = traces[0].jacobian("z2", "W2")  # (10, 101, 10)
    layout = jacobian_layout(J, of_ndim=1, by_entry_of=True)
    assert layout.sliced_by == "of" and layout.n_blocks == 10
    assert layout.block_shape == (101, 10) and layout.grid == (1, 10)
    assert layout.image.shape == (101, 10 * 10 + 9 * GAP)
    for j in range(10):  # block j is J[j], then a bar of NaN
        left = j * (10 + GAP)
        np.testing.assert_array_equal(layout.image[:, left:left + 10], J[j])
        if j < 9:
            assert np.isnan(layout.image[:, left + 10:left + 10 + GAP]).all()
    png = layout.to_png()
    width, height = png_size(png)
    assert png.startswith(PNG_SIGNATURE) and height >= 300 and 0.5 < width / height < 2
    text = layout.describe("z2", "W2")
    assert "10 blocks, one per entry of z2 (10): block j is ∂z2[j]/∂W2, 101×10 like W2" in text
    assert "side by side in one line" in text


def test_short_blocks_wrap_into_a_grid(traces):
    J = traces[0].jacobian("z3", "W3")  # (10, 11, 10): one line would be 11×109
    layout = jacobian_layout(J, of_ndim=1, by_entry_of=True)
    assert layout.grid == (2, 5) and layout.image.shape == (2 * 11 + GAP, 5 * 10 + 4 * GAP)
    np.testing.assert_array_equal(layout.image[11 + GAP:, 0:10], J[5])  # second line starts at j = 5
    assert "5 blocks per line, j = 0, 1, … from left to right, then down" in layout.describe("z3", "W3")
    width, height = png_size(layout.to_png())
    assert height >= 100 and width / height < 4


def test_a_batch_keeps_each_samples_blocks_together(traces):
    J = traces[1].jacobian("z2", "W2")  # (8, 10, 101, 10)
    layout = jacobian_layout(J, of_ndim=2, by_entry_of=True)
    assert layout.n_blocks == 80 and layout.per_sample == 10
    lines, per_line = layout.grid
    assert lines * per_line == 80 and per_line % 10 == 0  # whole samples on a line
    # block (b, j) = J[b, j]; a wider bar before each new sample on a line
    b, j = 1, 3
    left = 10 * (10 + GAP) - GAP + SAMPLE_GAP + j * (10 + GAP)
    np.testing.assert_array_equal(layout.image[:101, left:left + 10], J[b, j])
    assert np.isnan(layout.image[:101, left - GAP:left]).all()
    text = layout.describe("z2", "W2")
    assert "block (b, j) is ∂z2[b, j]/∂W2, 101×10 like W2" in text
    assert "wider ones between samples" in text
    width, height = png_size(layout.to_png())
    assert height >= 400 and width <= 1000

    small = jacobian_layout(traces[1].jacobian("z3", "W3"), of_ndim=2, by_entry_of=True)
    assert small.grid == (8, 10) and "one sample per line" in small.describe("z3", "W3")


def test_matrices_and_square_enough_arrays_are_drawn_as_is(traces):
    J = traces[0].jacobian("H2", "z2")  # (10, 10) diagonal
    layout = jacobian_layout(J, of_ndim=1)
    assert layout.sliced_by is None and layout.grid == (1, 1)
    np.testing.assert_array_equal(layout.image, J)
    assert layout.describe("H2", "z2") == "drawn as is: one row per entry of H2, one column per entry of z2"
    J4 = traces[1].jacobian("y_hat", "z3")  # (8, 10, 8, 10) block-diagonal
    layout = jacobian_layout(J4, of_ndim=2)
    assert layout.image.shape == (80, 80) and "drawn as 80×80" in layout.describe("y_hat", "z3")


def test_a_too_thin_flattening_is_cut_along_wrt():
    J = np.arange(2 * 3 * 2 * 30, dtype=float).reshape(2, 3, 2, 30)  # flattened 6×60
    layout = jacobian_layout(J, of_ndim=2, max_aspect=8)
    assert layout.sliced_by == "wrt" and layout.n_blocks == 2 and layout.block_shape == (6, 30)
    np.testing.assert_array_equal(layout.image[:6, :30], J[:, :, 0, :].reshape(6, 30))
    assert "block k is ∂a/∂b[k]" in layout.describe("a", "b")
    assert jacobian_layout(J, of_ndim=2).sliced_by is None  # 60 / 6 is under the default 12


def test_bad_input():
    with pytest.raises(ShapeError, match="at least 2 axes"):
        jacobian_layout(np.zeros(5))
    with pytest.raises(ShapeError, match="of_ndim must be 1..2"):
        jacobian_layout(np.zeros((2, 3, 4)), of_ndim=3)
