"""The recorded pass of the no-bias and quadratic-cost networks: every value
against a forward pass written out here and float64 central differences of the
loss, every local Jacobian against central differences of its op."""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.exercises import check_gradient
from test_network_variants import numeric_jacobian, reference_loss, sigmoid

rng = np.random.default_rng(11)
VARIANTS = [dict(), dict(bias=False), dict(loss="quadratic"), dict(loss="quadratic", bias=False)]
ACT = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}


def make(kw, activation="tanh", B=3, sizes=(5, 4, 3, 3)):
    net = MLP(sizes, activation=activation, dtype=np.float64, seed=2, **kw)
    for W in net.weights:
        W += rng.standard_normal(W.shape) * 0.3
    X, y = rng.random((B, sizes[0])), rng.integers(0, sizes[-1], size=B)
    return net, X, y


def layer(W, A, bias):
    return (W[0] + A @ W[1:]) if bias else A @ W


def rest_loss(net, X, y, k, A_k, *, from_z=False):
    """L as a function of z_k (from_z) or of H_k, from layer k on (k = 1..n), written out."""
    f, n, ws = ACT[net.activation], net.n_layers, net.weights
    A = A_k if not from_z else (f(A_k) if k < n else A_k)
    if from_z and k == n:
        return _head_loss(net, A, y)
    for j in range(k, n):
        z = layer(ws[j], A, net.bias)
        A = f(z) if j < n - 1 else z
    return _head_loss(net, A, y)


def _head_loss(net, z, y):
    Y = np.eye(z.shape[1])[y]
    if net.loss_name == "quadratic":
        return float(np.sum((sigmoid(z) - Y) ** 2) / (2 * len(z)))
    P = np.exp(z - z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(z)), y])))


@pytest.mark.parametrize("kw", VARIANTS)
@pytest.mark.parametrize("B", [1, 3])
def test_every_value_matches_the_written_out_pass_and_central_differences(kw, B):
    net, X, y = make(kw, B=B)
    t = net.trace(X, y)
    f = ACT[net.activation]
    A, zs, Hs = X, [], []
    for k, W in enumerate(net.weights, start=1):
        z = layer(W, A, net.bias)
        zs.append(z)
        np.testing.assert_allclose(t[f"z{k}"].value, z, rtol=1e-12, atol=1e-14)
        if k < net.n_layers:
            A = f(z)
            Hs.append(A)
            np.testing.assert_allclose(t[f"H{k}"].value, A, rtol=1e-12, atol=1e-14)
    quad = net.loss_name == "quadratic"
    y_hat = sigmoid(zs[-1]) if quad else np.exp(zs[-1]) / np.exp(zs[-1]).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(t["y_hat"].value, y_hat, rtol=1e-12)
    ref = reference_loss(net.weights, X, y, activation=net.activation, loss=net.loss_name, bias=net.bias)
    assert float(t["L"].value) == pytest.approx(ref, rel=1e-12)
    assert float(t["L"].value) == pytest.approx(net.loss(X, y), rel=1e-14)
    n = net.n_layers
    for k in range(1, n + 1):
        num = numeric_jacobian(lambda z: rest_loss(net, X, y, k, z, from_z=True), zs[k - 1])
        np.testing.assert_allclose(t[f"dL/dz{k}"].value, num, atol=1e-8)
        ws = [W.copy() for W in net.weights]
        num_w = numeric_jacobian(lambda w: reference_loss(ws[:k - 1] + [w] + ws[k:], X, y,
                                                          activation=net.activation, loss=net.loss_name,
                                                          bias=net.bias), ws[k - 1])
        np.testing.assert_allclose(t[f"dL/dW{k}"].value, num_w, atol=1e-8)
        if k < n:
            num_h = numeric_jacobian(lambda h: rest_loss(net, X, y, k, h), Hs[k - 1])
            np.testing.assert_allclose(t[f"dL/dH{k}"].value, num_h, atol=1e-8)
    if quad:
        Y = np.eye(y_hat.shape[1])[y]
        num = numeric_jacobian(lambda p: float(np.sum((p - Y) ** 2) / (2 * B)), y_hat)
        np.testing.assert_allclose(t["dL/dy_hat"].value, num, atol=1e-9)
        assert t.names.index("dL/dy_hat") == t.names.index("L") + 1
    else:
        assert "dL/dy_hat" not in t.names
    assert (t.loss, t.bias) == (net.loss_name, net.bias)


@pytest.mark.parametrize("kw", VARIANTS)
@pytest.mark.parametrize("B", [1, 2])
def test_every_local_jacobian_matches_central_differences_and_chains_to_the_gradients(kw, B):
    net, X, y = make(kw, B=B, activation="sigmoid")
    t = net.trace(X, y)
    vec = lambda name: t[name].value[0] if B == 1 and not name.startswith("dL/dW") else t[name].value  # noqa: E731
    for of, wrt in t.jacobian_pairs:
        J = t.jacobian(of, wrt)
        assert J.shape == t.jacobian_info(of, wrt).shape, (of, wrt)
        # rebuild "of" from "wrt" with everything else fixed, by the definitions
        if wrt.startswith("W"):
            k = int(wrt[1:])
            src = X if k == 1 else t[f"H{k - 1}"].value
            fn, a = (lambda w, src=src: layer(w, src, net.bias)), net.weights[k - 1]
        elif of.startswith("z"):
            k = int(of[1:])
            fn, a = (lambda h, k=k: layer(net.weights[k - 1], h, net.bias)), t[wrt].value
        elif of.startswith("H"):
            fn, a = sigmoid, t[wrt].value
        elif of == "y_hat":
            fn = sigmoid if net.loss_name == "quadratic" else (
                lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
            a = t[wrt].value
        elif wrt == "y_hat":
            Y = np.eye(net.n_classes)[y]
            fn = (lambda p: np.sum((p - Y) ** 2) / (2 * B)) if net.loss_name == "quadratic" else (
                lambda p: -np.mean(np.log(p[np.arange(B), y])))
            a = t["y_hat"].value
        else:  # L from z_n
            fn, a = (lambda z: _head_loss(net, z, y)), t[wrt].value
        num = numeric_jacobian(fn, a)
        assert num.size == J.size  # for one sample the (1, n) rows are read as vectors (n,)
        np.testing.assert_allclose(J, num.reshape(J.shape), atol=1e-8, err_msg=f"∂{of}/∂{wrt}")
        # the chain rule: dL/d(of) contracted with ∂of/∂wrt is dL/d(wrt) where both are recorded
        up, down = f"dL/d{of}", f"dL/d{wrt}"
        if of != "L" and up in t.names and down in t.names:
            g = vec(up)
            got = np.tensordot(g, J, axes=g.ndim)
            np.testing.assert_allclose(got, vec(down), atol=1e-12, err_msg=f"{up} · ∂{of}/∂{wrt}")


@pytest.mark.parametrize("kw", VARIANTS[1:])
def test_texts_and_checks_work_for_the_new_networks(kw):
    net, X, y = make(kw, B=2, activation="relu")
    t = net.trace(X, y)
    for s in t:
        s.ledger(), s.to_markdown(), s.to_latex()
    text = str(t)
    assert ("[1 " in text) == net.bias and ("[bias row dropped]" in text) == net.bias
    assert ("quadratic cost" in text) == (net.loss_name == "quadratic")
    for k in (1, 2, 3):
        assert check_gradient(t[f"dL/dW{k}"].value, t, f"dL/dW{k}").correct
        assert not check_gradient(t[f"dL/dW{k}"].value.T, t, f"dL/dW{k}").correct
    wrong = t["dL/dW2"].value.copy()
    wrong[0] += 1.0
    fb = check_gradient(wrong, t, "dL/dW2")
    assert not fb.correct and (fb.mistake == "bias-row-wrong") == net.bias
    if not net.bias:
        assert "bias" not in fb.message
    # a missing activation derivative at layer 1, computed by hand in the network's own form
    x1 = np.hstack([np.ones((len(X), 1)), X]) if net.bias else X
    fb = check_gradient(x1.T @ t["dL/dH1"].value, t, "dL/dW1")
    assert fb.mistake == "missing-derivative", fb.message
    twin = MLP(net.sizes, activation="relu", loss=net.loss_name, bias=net.bias, dtype=np.float32, seed=2)
    twin.set_weights(net.weights)
    t32 = twin.trace(X, y)
    assert t32.rounding_error("dL/dW1").max() < 1e-5


@pytest.mark.parametrize("bias", [True, False])
def test_a_missing_output_sigmoid_derivative_is_named_for_the_quadratic_cost(bias):
    net, X, y = make(dict(loss="quadratic", bias=bias), B=3, activation="sigmoid")
    t = net.trace(X, y)
    Y = np.eye(3)[y]
    no_prime = (sigmoid(t["z3"].value) - Y) / 3  # δ3 written as (ŷ − y)/B, without ⊙ σ′(z3)
    fb = check_gradient(no_prime, t, "dL/dz3")
    assert fb.mistake == "missing-derivative" and "∂ŷ/∂z3" in fb.message
    H2 = np.hstack([np.ones((3, 1)), t["H2"].value]) if bias else t["H2"].value
    assert check_gradient(H2.T @ no_prime, t, "dL/dW3").mistake == "missing-derivative"
    assert check_gradient(H2.T @ t["dL/dz3"].value, t, "dL/dW3").correct
