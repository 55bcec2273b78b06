"""Saturation statistics agree with the recorded pass and show the shrinking δ."""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.core.diagnostics import saturation


def test_saturation_matches_the_trace():
    rng = np.random.default_rng(0)
    X, y = rng.random((16, 784)).astype(np.float32), rng.integers(0, 10, 16)
    net = MLP()
    stats = saturation(net, X, y)
    trace = net.trace(X, y)
    assert [s.layer for s in stats] == [1, 2, 3]
    for s in stats:  # δ of the summed loss: B times the mean loss's δ
        dz = trace[f"dL/dz{s.layer}"].value * len(X)
        assert s.delta_norm == pytest.approx(np.linalg.norm(dz, axis=1).mean(), rel=1e-5)
    H1 = trace["H1"].value
    assert stats[0].slope_mean == pytest.approx((H1 * (1 - H1)).mean(), rel=1e-5)
    assert all(0 < s.slope_mean <= 0.25 for s in stats[:2])  # a sigmoid's slope is at most 1/4
    assert stats[2].slope_mean is None and stats[2].saturated_fraction is None
    assert stats[0].delta_norm < stats[2].delta_norm  # δ shrinks on its way back


def test_saturated_units_are_counted():
    net = MLP((3, 4, 2), dtype=np.float64)
    net.weights[0][1:] = 100.0  # huge weights: every hidden unit saturates
    stats = saturation(net, np.ones((5, 3)), np.zeros(5, int))
    assert stats[0].saturated_fraction == 1.0 and stats[0].slope_mean < 1e-10
