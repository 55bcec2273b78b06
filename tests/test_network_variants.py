"""Networks without biases and with a sigmoid output + quadratic cost (Nielsen's network.py).

Every op against float64 central differences and its Jacobian against its VJP;
the networks' loss against a forward pass written out here, their gradients
against central differences of that loss; files, training and the trace.
"""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.core import check_gradients, check_vjp, evaluate
from backproplab.core.heads import HEADS, get_head
from backproplab.core.linear import Linear
from backproplab.core.quadratic import Quadratic, SigmoidQuadratic
from backproplab.core.training import Trainer
from backproplab.errors import ConfigError, ShapeError

rng = np.random.default_rng(7)
VARIANTS = [dict(bias=False), dict(loss="quadratic"), dict(loss="quadratic", bias=False)]


def contract(upstream, J):
    return np.tensordot(upstream, J, axes=upstream.ndim)


def numeric_jacobian(f, a, eps=1e-6):
    """d f(a) / d a by float64 central differences: shape f(a).shape + a.shape."""
    a = np.array(a, dtype=np.float64)
    out = np.asarray(f(a))
    J = np.empty(out.shape + a.shape)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = np.asarray(f(a))
        a[idx] = old - eps
        down = np.asarray(f(a))
        a[idx] = old
        J[(...,) + idx] = (up - down) / (2 * eps)
    return J


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_loss(weights, X, y, *, activation, loss, bias):
    """The network's loss written out from its definition (float64), not through the package."""
    f = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    A = X
    for k, W in enumerate(weights):
        z = (W[0] + A @ W[1:]) if bias else A @ W
        A = f(z) if k < len(weights) - 1 else z
    Y = np.eye(A.shape[1])[y]
    if loss == "quadratic":
        return float(np.sum((sigmoid(A) - Y) ** 2) / (2 * len(X)))
    P = np.exp(A - A.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(P[np.arange(len(X)), y])))


# ----------------------------------------------------------------- the ops
@pytest.mark.parametrize("B", [1, 3])
def test_linear_vjp_and_jacobians_match_finite_differences(B):
    H, W = rng.standard_normal((B, 4)), rng.standard_normal((4, 3))
    errors = check_vjp(lambda H, W: Linear.forward(H, W)[0],
                       lambda g: Linear.backward(g, Linear.forward(H, W)[1]), [H, W])
    assert len(errors) == 2 and max(errors) < 1e-8
    cache = Linear.forward(H, W)[1]
    g = rng.standard_normal((B, 3))
    dH, dW = Linear.backward(g, cache)
    J_in, J_w = Linear.jacobian(cache, "input"), Linear.jacobian(cache, "weight")
    up = g[0] if B == 1 else g
    np.testing.assert_allclose(contract(up, J_in), dH[0] if B == 1 else dH, atol=1e-12)
    np.testing.assert_allclose(contract(up, J_w), dW, atol=1e-12)
    num_in = numeric_jacobian(lambda h: Linear.forward(h, W)[0], H)  # (B, 3, B, 4)
    num_w = numeric_jacobian(lambda w: Linear.forward(H, w)[0], W)  # (B, 3, 4, 3)
    np.testing.assert_allclose(J_in, num_in[0, :, 0, :] if B == 1 else num_in, atol=1e-8)
    np.testing.assert_allclose(J_w, num_w[0] if B == 1 else num_w, atol=1e-8)
    assert Linear.jacobian_info(cache, "input").shape == J_in.shape
    assert Linear.jacobian_info(cache, "weight").shape == J_w.shape


def test_linear_uses_every_row_of_w_on_the_way_back():
    H, W = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 2.0], [3.0, 1.0, 0.0]])  # z = H W
    dH, dW = Linear.backward(np.array([[1.0, 1.0, 1.0]]), Linear.forward(H, W)[1])
    np.testing.assert_array_equal(dH, [[3.0, 4.0]])  # the row sums of W, by hand
    np.testing.assert_array_equal(dW, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def test_quadratic_cost_by_hand():
    y_hat = np.array([[0.5, 0.25], [1.0, 0.0]])
    y = np.array([0, 0])  # one-hot rows [1, 0], [1, 0]
    # ½(0.25 + 0.0625) + ½(0 + 0) = 0.15625, mean over B = 2
    assert Quadratic.forward(y_hat, y)[0] == pytest.approx(0.078125, abs=1e-15)


@pytest.mark.parametrize("B", [1, 4])
def test_quadratic_and_fused_match_finite_differences_and_their_jacobians(B):
    y = rng.integers(0, 5, size=B)
    y_hat = rng.random((B, 5))
    z = rng.standard_normal((B, 5))
    for op, a in ((Quadratic, y_hat), (SigmoidQuadratic, z)):
        num = numeric_jacobian(lambda v: op.forward(v, y)[0], a)  # (B, 5)
        cache = op.forward(a, y)[1]
        np.testing.assert_allclose(op.backward(1.0, cache), num, atol=1e-9)
        np.testing.assert_allclose(op.backward(2.5, cache), 2.5 * num, atol=1e-9)
        J = op.jacobian(cache)
        np.testing.assert_allclose(J, num[0] if B == 1 else num, atol=1e-9)
        assert op.jacobian_info(cache).shape == J.shape


def test_fused_sigmoid_quadratic_equals_composed():
    z, y = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    head = get_head("quadratic")
    y_hat, s_cache = head.output.forward(z)
    loss, q_cache = Quadratic.forward(y_hat, y)
    composed = head.output._act.backward(Quadratic.backward(1.0, q_cache), s_cache)
    fused_loss, fused_cache = SigmoidQuadratic.forward(z, y)
    assert fused_loss == pytest.approx(loss, rel=1e-14)
    np.testing.assert_allclose(SigmoidQuadratic.backward(1.0, fused_cache), composed, rtol=1e-13)
    # the sigmoid output's Jacobian is diagonal: against central differences
    J = head.output.jacobian((y_hat[:1], z[:1]))
    np.testing.assert_allclose(J, numeric_jacobian(lambda v: sigmoid(v), z[0]), atol=1e-9)


def test_unknown_loss_and_bias_are_refused_with_the_fix():
    with pytest.raises(ConfigError, match="quadratic"):
        MLP((4, 3), loss="mse")
    with pytest.raises(ConfigError, match="True"):
        MLP((4, 3), bias="no")
    assert sorted(HEADS) == ["cross_entropy", "quadratic"]


# ------------------------------------------------------------ the networks
@pytest.mark.parametrize("kw", VARIANTS)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_loss_and_gradients_match_the_definition_and_central_differences(kw, activation):
    net = MLP((5, 4, 3, 3), activation=activation, dtype=np.float64, seed=3, **kw)
    bias = kw.get("bias", True)
    assert net.weight_shapes == ([(6, 4), (5, 3), (4, 3)] if bias else [(5, 4), (4, 3), (3, 3)])
    assert [W.shape for W in net.weights] == net.weight_shapes
    for W in net.weights:
        W += rng.standard_normal(W.shape) * 0.3  # non-zero biases too
    X, y = rng.random((4, 5)), np.array([0, 2, 1, 2])
    ref = lambda ws: reference_loss(ws, X, y, activation=activation, loss=net.loss_name, bias=bias)  # noqa: E731
    weights = [W.copy() for W in net.weights]
    loss, grads = net.loss_and_gradients(X, y)
    assert loss == pytest.approx(ref(weights), rel=1e-12)
    assert net.loss(X, y) == pytest.approx(ref(weights), rel=1e-12)
    for k, g in enumerate(grads):
        num = numeric_jacobian(lambda w: ref(weights[:k] + [w] + weights[k + 1:]), weights[k])
        np.testing.assert_allclose(g, num, atol=1e-7)
    assert max(check_gradients(net, X, y).values()) < 1e-6


def test_quadratic_outputs_are_sigmoids_and_predict_takes_the_largest():
    net = MLP((3, 4), loss="quadratic", dtype=np.float64)
    X = rng.random((2, 3))
    P = net.predict_proba(X)
    np.testing.assert_allclose(P, sigmoid(net.weights[0][0] + X @ net.weights[0][1:]), rtol=1e-13)
    np.testing.assert_array_equal(net.predict(X), P.argmax(axis=1))


@pytest.mark.parametrize("kw", VARIANTS)
def test_save_load_and_copy_keep_the_loss_and_the_bias(kw, tmp_path):
    net = MLP((6, 4, 3), seed=1, **kw)
    back = MLP.load(net.save(tmp_path / "m.npz"))
    for other in (back, net.copy(), net.copy(dtype=np.float64)):
        assert (other.loss_name, other.bias) == (net.loss_name, net.bias)
        assert repr(other).replace("float64", "float32") == repr(net)
    for W, V in zip(back.weights, net.weights):
        np.testing.assert_array_equal(W, V)
    with pytest.raises(ShapeError, match=r"\(6, 4\)" if not net.bias else r"\(7, 4\)"):
        net.set_weights([np.zeros((5, 4)), np.zeros((4, 3))])


def test_a_file_saved_before_loss_and_bias_loads_as_the_classic_kind(tmp_path):
    net = MLP((6, 4, 3), seed=1)
    path = tmp_path / "old.npz"
    np.savez(path, format=np.array("backproplab-mlp-1"), sizes=np.array(net.sizes),
             activation=np.array("sigmoid"), W1=net.weights[0], W2=net.weights[1])
    back = MLP.load(path)
    assert (back.loss_name, back.bias) == ("cross_entropy", True)


def test_repr_names_only_what_differs_from_the_classic_network():
    assert repr(MLP((4, 3))) == "MLP(4 → 3, sigmoid, float32)"
    assert repr(MLP((4, 3), bias=False)) == "MLP(4 → 3, sigmoid, no bias, float32)"
    assert repr(MLP((4, 3), loss="quadratic")) == "MLP(4 → 3, sigmoid, sigmoid output, quadratic cost, float32)"


@pytest.mark.parametrize("kw", VARIANTS)
def test_training_lowers_the_loss_and_evaluate_agrees_with_loss(kw):
    data = np.random.default_rng(0)
    X = data.random((200, 6)).astype(np.float32)
    y = (X[:, 0] > X[:, 1]).astype(np.int64) + 2 * (X[:, 2] > 0.5)  # 4 classes
    net = MLP((6, 8, 4), seed=0, **kw)
    before = net.loss(X, y)
    lr = 2.0 if net.loss_name == "quadratic" else 0.5
    for _ in Trainer(net, epochs=15, lr=lr, batch_size=10, lr_decay=1.0).run(X, y):
        pass
    assert net.loss(X, y) < 0.8 * before
    ev = evaluate(net, X, y, chunk=64)  # several chunks
    assert ev.loss == pytest.approx(net.loss(X, y), rel=1e-5)
