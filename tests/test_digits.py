"""MNIST-style preprocessing of a drawing: hand-computed cases and real MNIST's own properties."""

import math

import numpy as np
import pytest

from backproplab.core.digits import area_resample_matrix, centre_of_mass, ink_box, mnist_style
from backproplab.errors import DTypeError, PixelError, ShapeError


def _box_side(image):
    top, bottom, left, right = ink_box(image)
    return bottom - top, right - left


# ------------------------------------------------------------ area averaging, by hand
def test_area_resample_shrinks_three_pixels_into_two():
    # output pixel 0 covers input [0, 1.5]: all of pixel 0 and half of pixel 1, mean weights 2/3, 1/3
    R = area_resample_matrix(3, 2 / 3)
    np.testing.assert_allclose(R, [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]], atol=1e-15)


def test_area_resample_stretches_two_pixels_into_three():
    # output pixel 1 covers input [2/3, 4/3]: a third of pixel 0 and a third of pixel 1
    R = area_resample_matrix(2, 1.5)
    np.testing.assert_allclose(R, [[1, 0], [0.5, 0.5], [0, 1]], atol=1e-15)


def test_area_resample_partial_last_pixel_is_antialiased():
    # 1 pixel × 20/3 = 6.67 pixels: six full and a seventh covering [0.9, 1.05], 0.1 of the pixel
    R = area_resample_matrix(1, 20 / 3)
    assert R.shape == (7, 1)
    np.testing.assert_allclose(R @ np.ones(1), [1, 1, 1, 1, 1, 1, 2 / 3], atol=1e-12)
    assert area_resample_matrix(3, 20 / 3).shape == (20, 3)


def test_area_resample_block_means():
    v = np.array([1.0, 3.0, 0.0, 8.0, 2.0, 2.0])
    np.testing.assert_allclose(area_resample_matrix(6, 1 / 3) @ v, [4 / 3, 4.0], atol=1e-12)


# ---------------------------------------------------------------- mnist_style, by hand
def test_one_dot_becomes_a_centred_20_by_20_square():
    ink = np.zeros((10, 10))
    ink[7, 2] = 1.0
    expected = np.zeros((28, 28))
    expected[5:25, 5:25] = 1.0  # centre of mass 14.5: half a pixel from 14 (rounding up)
    np.testing.assert_allclose(mnist_style(ink), expected, atol=1e-12)


def test_a_bar_keeps_its_aspect_ratio():
    ink = np.zeros((50, 60), dtype=np.uint8)
    ink[30:32, 10:14] = 255  # 2 × 4 → 10 × 20, centre of mass (4.5, 9.5) → rows 10..19, cols 5..24
    expected = np.zeros((28, 28))
    expected[10:20, 5:25] = 1.0
    np.testing.assert_allclose(mnist_style(ink), expected, atol=1e-12)


def test_a_short_row_gets_a_grey_antialiased_edge():
    ink = np.zeros((9, 9))
    ink[4, 3:6] = 1.0  # a box of 1 row × 3 columns; s = 20/3: 20 columns and 6.67 rows,
    # so seven rows: six full, and the seventh covers a tenth of the row: 0.1 × 20/3 = 2/3 grey
    out = mnist_style(ink)
    rows = np.flatnonzero(out.any(axis=1))
    assert len(rows) == 7
    column = out[rows, 14]
    np.testing.assert_allclose(column, [1, 1, 1, 1, 1, 1, 2 / 3], atol=1e-12)
    # centre of mass row inside the box: (0+1+...+5 + 6·2/3) / (6 + 2/3) = 2.85 → shift 11
    assert rows[0] == 11
    assert _box_side(out) == (7, 20)


def test_blank_and_bad_input():
    np.testing.assert_array_equal(mnist_style(np.zeros((5, 7))), np.zeros((28, 28)))
    with pytest.raises(ShapeError, match="2-D"):
        mnist_style(np.zeros((2, 28, 28)))
    with pytest.raises(DTypeError, match="numbers"):
        mnist_style(np.array([["a"]]))
    with pytest.raises(PixelError, match="not negative"):
        mnist_style(-np.ones((4, 4)))
    with pytest.raises(PixelError, match="finite"):
        mnist_style(np.full((4, 4), np.nan))


# ---------------------------------------------------------------------- real MNIST
@pytest.fixture(scope="module")
def test_digits(mnist_small):
    return mnist_small.x_test.reshape(-1, 28, 28)[:300]  # uint8


def test_real_mnist_digits_are_fixed_points(test_digits):
    for image in test_digits:
        np.testing.assert_allclose(mnist_style(image), image / 255.0, atol=1e-12)


@pytest.mark.parametrize("factor", [3, 4])
def test_a_digit_drawn_larger_anywhere_on_a_canvas_comes_back_as_itself(test_digits, factor):
    rng = np.random.default_rng(factor)
    for image in test_digits[:60]:
        big = np.kron(image / 255.0, np.ones((factor, factor)))  # each pixel a factor × factor block
        canvas = np.zeros((140, 150))
        top, left = rng.integers(0, 140 - big.shape[0]), rng.integers(0, 150 - big.shape[1])
        canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
        np.testing.assert_allclose(mnist_style(canvas), image / 255.0, atol=1e-12)


def test_random_scribbles_get_mnist_box_and_centre():
    rng = np.random.default_rng(0)
    for _ in range(200):
        ink = np.zeros((112, 112))
        h, w = rng.integers(4, 100, size=2)
        top, left = rng.integers(0, 112 - h), rng.integers(0, 112 - w)
        ink[top:top + h, left:left + w] = rng.random((h, w)) > 0.6
        ink[top, left] = ink[top + h - 1, left + w - 1] = 1  # the box is exactly h × w
        out = mnist_style(ink)
        rows, cols = _box_side(out)
        # the longer side becomes 20, the shorter 20·short/long, rounded up (a partial grey pixel)
        assert (rows, cols) == (math.ceil(20 * h / max(h, w) - 1e-9), math.ceil(20 * w / max(h, w) - 1e-9))
        r, c = centre_of_mass(out)
        assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5
        assert out.min() >= 0 and out.max() <= 1


def test_centre_of_mass_matches_mnist(test_digits):
    # MNIST's own centres: within half a pixel of (14, 14) (index coordinates)
    centres = np.array([centre_of_mass(im.astype(float)) for im in test_digits])
    assert np.abs(centres - 14).max() <= 0.5 + 1e-9
