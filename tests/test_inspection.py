"""Look-ups for the dashboard: confusion-matrix cells and per-unit gradient norms."""

import numpy as np
import pytest

from backproplab.core import MLP, confusion_matrix
from backproplab.core.inspection import cell_indices, top_units, unit_gradient_norms
from backproplab.errors import ConfigError, ShapeError


def test_cell_indices_match_the_confusion_matrix():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    cm = confusion_matrix(y, p)
    for t in range(10):
        for q in range(10):
            idx = cell_indices(y, p, t, q)
            assert len(idx) == cm[t, q]
            assert np.all(y[idx] == t) and np.all(p[idx] == q)
            assert np.all(np.diff(idx) > 0)
    assert list(cell_indices(y, p, 3, 5, limit=2)) == list(cell_indices(y, p, 3, 5)[:2])
    assert cell_indices(y, p, 3, 5).dtype == np.int64


def test_cell_indices_errors():
    with pytest.raises(ShapeError, match="same length"):
        cell_indices(np.zeros(3), np.zeros(4), 0, 0)
    with pytest.raises(ConfigError, match="limit"):
        cell_indices(np.zeros(3), np.zeros(3), 0, 0, limit=-1)


def test_unit_gradient_norms_leave_out_the_bias_row():
    dW1 = np.zeros((785, 4), np.float32)
    dW1[0] = 100.0  # bias row: not part of the filter
    dW1[1:, 2] = 1.0
    dW1[5, 1] = -3.0
    assert np.allclose(unit_gradient_norms(dW1), [0.0, 3.0, 28.0, 0.0])
    assert list(top_units(dW1, 3)) == [2, 1, 0]  # ties: lower index first


def test_top_units_of_a_real_trace():
    net = MLP()
    x = np.random.default_rng(1).random((1, 784)).astype(np.float32)
    dW1 = net.trace(x, [3])["dL/dW1"].value
    top = top_units(dW1, 5)
    norms = np.linalg.norm(dW1[1:], axis=0)
    assert np.allclose(norms[top], np.sort(norms)[::-1][:5])


def test_shape_and_k_errors():
    with pytest.raises(ShapeError, match="bias row"):
        unit_gradient_norms(np.zeros(5))
    with pytest.raises(ConfigError, match="k must"):
        top_units(np.zeros((785, 3)), 0)
