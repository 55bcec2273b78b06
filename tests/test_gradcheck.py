"""Gradient checks that must fail on wrong gradients and must not fail on right ones.

References: float64 central differences (computed here, independently of the
package's check), hand-built networks whose pre-activations sit exactly on a ReLU kink.
"""

import numpy as np
import pytest

from backproplab import MLP, check_gradients, check_parameter
from backproplab.core.gradcheck import BUG

rng = np.random.default_rng(7)


def classic_batch(n=4, seed=0):
    r = np.random.default_rng(seed)
    return r.random((n, 784)), r.integers(0, 10, n)


class NegatedGradients(MLP):
    """A learner's subclass whose backprop has the wrong sign."""

    def loss_and_gradients(self, X, y):
        loss, grads = super().loss_and_gradients(X, y)
        return loss, [-g for g in grads]


def test_the_learners_own_subclass_is_checked():
    net = NegatedGradients((6, 5, 3), seed=1, dtype=np.float64)
    X, y = rng.random((3, 6)), np.array([0, 2, 1])
    errors = check_gradients(net, X, y)
    assert all(e > 0.5 for e in errors.values()), errors  # −g against g: relative error 1
    assert type(net) is NegatedGradients and net.weights[0].dtype == np.float64


def test_a_doubled_bias_row_of_dW1_is_caught_for_every_seed(monkeypatch):
    real = MLP._loss_and_gradients

    def doubled_bias(self, X, y):
        loss, grads = real(self, X, y)
        g = grads[0].copy()
        g[0] *= 2  # the bias row of dL/dW1, twice too large
        return loss, [g] + grads[1:]

    X, y = classic_batch()
    monkeypatch.setattr(MLP, "_loss_and_gradients", doubled_bias)
    for seed in range(4):
        check = check_parameter(MLP(seed=seed), X, y, param="W1", entries=20, seed=seed)
        assert check.relative_error > BUG, seed


def test_a_single_corrupted_entry_is_caught(monkeypatch):
    real = MLP._loss_and_gradients
    where = {}

    def corrupted(self, X, y):
        loss, grads = real(self, X, y)
        g = grads[1].copy()
        g[where["entry"]] += 0.5 * np.abs(g).max()  # one wrong number in dL/dW2
        return loss, [grads[0], g, grads[2]]

    X, y = classic_batch()
    monkeypatch.setattr(MLP, "_loss_and_gradients", corrupted)
    r = np.random.default_rng(0)
    for trial in range(4):
        where["entry"] = (int(r.integers(1, 101)), int(r.integers(0, 10)))
        assert check_gradients(MLP(seed=trial), X, y, seed=trial)["W2"] > BUG, where
    # and every entry when asked for all of them (a corrupted entry that stays small)
    monkeypatch.setattr(MLP, "_loss_and_gradients", real)
    net = MLP((5, 4, 3), seed=0, dtype=np.float64)
    X5, y5 = rng.random((2, 5)), np.array([0, 2])
    ok = check_parameter(net, X5, y5, param="W1", entries="all")
    assert len(ok.entries) == 6 * 4 and ok.relative_error < 1e-7

    def tiny_error(self, X, y):
        loss, grads = real(self, X, y)
        g = grads[0].copy()
        g[3, 2] += 1e-3 * np.abs(g).max()
        return loss, [g] + grads[1:]

    monkeypatch.setattr(MLP, "_loss_and_gradients", tiny_error)
    assert check_parameter(net, X5, y5, param="W1", entries="all").relative_error > BUG


def test_right_gradients_agree_with_independent_central_differences():
    net = MLP((5, 4, 3), activation="tanh", seed=3, dtype=np.float64)
    X, y = rng.random((3, 5)), np.array([2, 0, 1])
    check = check_parameter(net, X, y, param="W2", entries="all")
    W = net.weights[1]
    for (i, j), a in zip(check.entries, check.analytic):  # an independent difference, step 1e-6
        Wp, Wm = [w.copy() for w in net.weights], [w.copy() for w in net.weights]
        Wp[1][i, j] += 1e-6
        Wm[1][i, j] -= 1e-6
        up, down = MLP((5, 4, 3), activation="tanh"), MLP((5, 4, 3), activation="tanh")
        up.set_weights(Wp)
        down.set_weights(Wm)
        up.dtype = down.dtype = np.float64
        up.weights, down.weights = Wp, Wm
        assert a == pytest.approx((up.loss(X, y) - down.loss(X, y)) / 2e-6, rel=1e-6, abs=1e-9)
    assert W is net.weights[1] and check.verdict == "backprop agrees with finite differences"


def test_a_relu_kink_is_named_not_called_a_bug():
    net = MLP((3, 4, 3), activation="relu", seed=0, dtype=np.float64)
    X, y = np.zeros((1, 3)), np.array([1])  # z1 = the bias row of W1 = 0 exactly: every unit on its kink
    check = check_parameter(net, X, y, param="W1", entries=[(0, 0), (0, 1), (1, 0)])
    assert check.kinks == (True, True, False)
    # the analytic slope relu'(0) = 0 and the two-sided difference disagree, but that is no bug
    assert check.analytic[0] == 0 and check.numeric[0] != 0
    assert "bug in the gradient" not in check.verdict.split("(")[0]
    assert "straddles a ReLU kink" in check.verdict and "not a bug" in check.verdict
    # away from the kink a wrong gradient is still a bug
    X1 = np.array([[1.0, 2.0, 3.0]])
    assert check_parameter(net, X1, y, param="W1", entries="all").n_kinks == 0
