"""Each op: its backward rule against finite differences, and its materialised
Jacobian contracted with an upstream gradient against its backward rule."""

import numpy as np
import pytest

from backproplab.core import (ACTIVATIONS, Affine, CrossEntropy, Softmax, SoftmaxCrossEntropy,
                              check_vjp, get_activation, one_hot)
from backproplab.errors import ConfigError, JacobianTooLargeError

rng = np.random.default_rng(42)


def contract(upstream, J):
    """Σ over the output axes of upstream · J: what a VJP computes."""
    return np.tensordot(upstream, J, axes=upstream.ndim)


@pytest.mark.parametrize("B", [1, 3])
def test_affine_vjp_matches_finite_differences(B):
    H, W = rng.standard_normal((B, 4)), rng.standard_normal((5, 3))
    errors = check_vjp(lambda H, W: Affine.forward(H, W)[0],
                       lambda g: Affine.backward(g, Affine.forward(H, W)[1]), [H, W])
    assert len(errors) == 2 and max(errors) < 1e-8


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("B", [1, 4])
def test_activation_vjp_matches_finite_differences(name, B):
    act = get_activation(name)
    z = rng.standard_normal((B, 6))
    z[np.abs(z) < 0.05] = 0.3  # keep ReLU away from its kink
    (err,) = check_vjp(lambda z: act.forward(z)[0], lambda g: (act.backward(g, act.forward(z)[1]),), [z])
    assert err < 1e-8


def test_softmax_vjp_matches_finite_differences():
    z = rng.standard_normal((3, 5))
    (err,) = check_vjp(lambda z: Softmax.forward(z)[0], lambda g: (Softmax.backward(g, Softmax.forward(z)[1]),), [z])
    assert err < 1e-8


def test_cross_entropy_and_fused_vjps_match_finite_differences():
    y = np.array([2, 0, 4])
    y_hat = Softmax.forward(rng.standard_normal((3, 5)))[0]
    (err,) = check_vjp(lambda p: np.array(CrossEntropy.forward(p, y)[0]),
                       lambda g: (CrossEntropy.backward(float(g), CrossEntropy.forward(y_hat, y)[1]),), [y_hat])
    assert err < 1e-7
    z = rng.standard_normal((3, 5))
    (err,) = check_vjp(lambda z: np.array(SoftmaxCrossEntropy.forward(z, y)[0]),
                       lambda g: (SoftmaxCrossEntropy.backward(float(g), SoftmaxCrossEntropy.forward(z, y)[1]),), [z])
    assert err < 1e-8


def test_fused_softmax_cross_entropy_equals_composed():
    z, y = rng.standard_normal((4, 10)), np.array([0, 9, 3, 3])
    y_hat, sm_cache = Softmax.forward(z)
    loss, ce_cache = CrossEntropy.forward(y_hat, y)
    composed = Softmax.backward(CrossEntropy.backward(1.0, ce_cache), sm_cache)
    fused_loss, fused_cache = SoftmaxCrossEntropy.forward(z, y)
    fused = SoftmaxCrossEntropy.backward(1.0, fused_cache)
    assert fused_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(fused, composed, atol=1e-12)
    np.testing.assert_allclose(fused, (y_hat - one_hot(y, 10)) / 4, atol=1e-12)


@pytest.mark.parametrize("B", [1, 3])
def test_affine_jacobians_contract_to_backward(B):
    H, W = rng.standard_normal((B, 4)), rng.standard_normal((5, 3))
    z, cache = Affine.forward(H, W)
    g = rng.standard_normal(z.shape)
    dH, dW = Affine.backward(g, cache)
    g_vec = g[0] if B == 1 else g
    J_W = Affine.jacobian(cache, "weight")
    J_H = Affine.jacobian(cache, "input")
    assert J_W.shape == Affine.jacobian_info(cache, "weight").shape
    assert J_W.shape == ((3, 5, 3) if B == 1 else (B, 3, 5, 3))
    assert J_H.shape == ((3, 4) if B == 1 else (B, 3, B, 4))
    np.testing.assert_allclose(contract(g_vec, J_W), dW, atol=1e-12)
    np.testing.assert_allclose(contract(g_vec, J_H), dH[0] if B == 1 else dH, atol=1e-12)
    if B == 1:  # for one sample, ∂z/∂H is W without its bias row, transposed
        np.testing.assert_array_equal(J_H, W[1:].T)


@pytest.mark.parametrize("B", [1, 2])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_jacobian_is_diagonal_and_contracts_to_backward(name, B):
    act = get_activation(name)
    H, cache = act.forward(rng.standard_normal((B, 5)))
    g = rng.standard_normal(H.shape)
    J = act.jacobian(cache)
    info = act.jacobian_info(cache)
    assert info.structure == "diagonal" and J.shape == info.shape
    g_vec = g[0] if B == 1 else g
    np.testing.assert_allclose(contract(g_vec, J), act.backward(g, cache)[0] if B == 1 else act.backward(g, cache))
    if B == 1:
        np.testing.assert_array_equal(J, np.diag(np.diag(J)))


@pytest.mark.parametrize("B", [1, 3])
def test_softmax_jacobian_contracts_to_backward(B):
    z = rng.standard_normal((B, 4))
    y_hat, cache = Softmax.forward(z)
    g = rng.standard_normal(y_hat.shape)
    J = Softmax.jacobian(cache)
    np.testing.assert_allclose(contract(g[0] if B == 1 else g, J),
                               Softmax.backward(g, cache)[0] if B == 1 else Softmax.backward(g, cache), atol=1e-12)


def central_gradient(f, a, eps=1e-6):
    """∂f/∂a by float64 central differences, entry by entry."""
    a = np.array(a, dtype=np.float64)
    out = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        up, down = a.copy(), a.copy()
        up[idx] += eps
        down[idx] -= eps
        out[idx] = (f(up) - f(down)) / (2 * eps)
    return out


@pytest.mark.parametrize("B", [1, 3])
def test_loss_jacobians_are_their_closed_forms_and_central_differences(B):
    z, y = rng.standard_normal((B, 4)), np.array([2, 0, 3][:B])
    y_hat = Softmax.forward(z)[0]
    Y = np.zeros((B, 4))
    Y[np.arange(B), y] = 1  # one-hot, by hand
    J = CrossEntropy.jacobian(CrossEntropy.forward(y_hat, y)[1])
    closed = -Y / (B * y_hat)  # ∂/∂ŷ of −(1/B) Σ log ŷ[b, y_b]
    numeric = central_gradient(lambda p: -np.log(p[np.arange(B), y]).mean(), y_hat)
    for expected in (closed, numeric):
        np.testing.assert_allclose(J, expected[0] if B == 1 else expected, rtol=1e-6, atol=1e-9)
    J = SoftmaxCrossEntropy.jacobian(SoftmaxCrossEntropy.forward(z, y)[1])
    closed = (y_hat - Y) / B
    numeric = central_gradient(lambda v: SoftmaxCrossEntropy.forward(v, y)[0], z)
    for expected in (closed, numeric):
        np.testing.assert_allclose(J, expected[0] if B == 1 else expected, rtol=1e-6, atol=1e-9)


def test_outer_product_structure_of_dz_dW():
    H, W = rng.standard_normal((1, 4)), rng.standard_normal((5, 3))
    z, cache = Affine.forward(H, W)
    J = Affine.jacobian(cache, "weight")  # (3, 5, 3)
    A = np.concatenate([[1.0], H[0]])
    for j in range(3):  # ∂z_j/∂W[:, k] is [1 H] when k == j, else zero
        np.testing.assert_array_equal(J[j][:, j], A)
        assert np.count_nonzero(np.delete(J[j], j, axis=1)) == 0


def test_size_guard_refuses_and_names_the_efficient_form():
    H, W = rng.standard_normal((8, 784)), rng.standard_normal((785, 100))
    _, cache = Affine.forward(H, W)
    with pytest.raises(JacobianTooLargeError, match=r"62,800,000 entries.*outer product"):
        Affine.jacobian(cache, "weight")
    assert Affine.jacobian(Affine.forward(H[:1], W)[1], "weight").shape == (100, 785, 100)
    with pytest.raises(JacobianTooLargeError):
        Affine.jacobian(cache, "weight", max_entries=1000)


def test_unknown_activation_lists_the_supported_ones():
    with pytest.raises(ConfigError, match="unknown activation 'softplus'; supported: relu, sigmoid, tanh"):
        get_activation("softplus")
    assert isinstance(ConfigError("x"), ValueError)


def test_sigmoid_is_stable_for_huge_inputs():
    act = get_activation("sigmoid")
    with np.errstate(all="raise"):
        H = act.apply(np.array([[-1e4, 0.0, 1e4]], dtype=np.float32))
    np.testing.assert_allclose(H, [[0.0, 0.5, 1.0]])


def exact_logistic(z: float) -> float:
    """σ(z) to 40 digits with decimal arithmetic: an independent reference."""
    from decimal import Decimal, getcontext

    getcontext().prec = 40
    return float(1 / (1 + (-Decimal(float(z))).exp()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_accurate_for_every_z(dtype):
    act = get_activation("sigmoid")
    info = np.finfo(dtype)
    z = np.concatenate([np.linspace(-120 if dtype == np.float32 else -800, 40, 2001),
                        [-19.3, -15.0, -20.0, -40.0, 0.0]]).astype(dtype)
    with np.errstate(all="raise"):
        H = act.apply(z[None, :])[0]
    ref = np.array([exact_logistic(v) for v in z])
    normal = ref >= info.tiny
    ulps = np.abs(H[normal] - ref[normal]) / (np.spacing(ref[normal].astype(dtype)).astype(np.float64))
    assert ulps.max() <= 4, ulps.max()
    # below the normal range the result is within one subnormal step, never a wrong 0 up to it
    sub = ~normal
    assert np.all(np.abs(H[sub] - ref[sub]) <= np.spacing(dtype(0)) * 2)
    # the audit's numbers
    one = lambda v: float(act.apply(np.array([[v]], dtype=dtype))[0, 0])  # noqa: E731
    assert one(-20.0) == pytest.approx(2.0611536224385579e-09, rel=1e-6)
    if dtype == np.float64:
        assert one(-40.0) == pytest.approx(4.248354255291589e-18, rel=1e-14)


def test_sigmoid_derivative_is_accurate_where_H_is_small():
    act = get_activation("sigmoid")
    z = np.array([[-30.0, -19.3, -15.0, -5.0]], dtype=np.float32)
    H, cache = act.forward(z)
    d = act.backward(np.ones_like(z), cache)  # σ′(z) = H(1 − H)
    ref = [exact_logistic(v) * (1 - exact_logistic(v)) for v in z[0]]
    np.testing.assert_allclose(d[0], ref, rtol=1e-6)
