"""What the trace says must be true: its L, its texts, its facts, and a trace that never changes.

References are independent: hand-counted shapes, the network's own loss, arrays
built here with NumPy, and a network trained after the pass was recorded.
"""

import numpy as np
import pytest

import backproplab as bl
from backproplab.core import StepKind
from backproplab.exercises import check_gradient

rng = np.random.default_rng(3)


@pytest.fixture(scope="module")
def batch3():
    net = bl.MLP()
    x = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    return net, net.trace(x, [7, 1, 4])


def test_the_traces_L_is_the_networks_loss_even_with_huge_logits():
    net = bl.MLP((6, 5, 4), activation="tanh", seed=0)  # float32
    W = [w.copy() for w in net.weights]
    W[1][0] = [1000.0, -1000.0, 1000.0, -1000.0]  # the bias row of W2: logits near ±1000
    net.set_weights(W)
    x, y = rng.random((2, 6)), [1, 3]
    trace = net.trace(x, y)
    assert float(trace["L"].value) == pytest.approx(net.loss(x, y), rel=1e-6)
    assert float(trace["L"].value) > 900  # about 1000: log(tiny) capped it at 87.3 before


def test_the_batch_mean_is_in_every_text_of_delta(batch3):
    net, trace = batch3
    d = trace["dL/dz3"]
    assert d.batch_mean and d.kind == StepKind.OUTPUT_GRADIENT
    text = "(ŷ (3×10) − y (3×10)) / 3 = 3×10"
    assert d.product_text() == text
    assert f"computed as: {text}" in d.ledger()
    assert text in str(trace) and text in trace.to_markdown() and text in d.to_markdown()
    assert r"\frac{1}{B}(\hat y - y)" in d.latex
    np.testing.assert_allclose(d.value, (trace["y_hat"].value - np.eye(10)[[7, 1, 4]]) / 3, atol=1e-7)
    fb = check_gradient(d.value * 3, trace, "dL/dz3")
    assert fb.mistake == "batch-mean" and text in fb.message
    one = bl.MLP().trace(np.zeros((1, 784)), [0])["dL/dz3"]
    assert not one.batch_mean and one.product_text() == "ŷ (1×10) − y (1×10) = 1×10"


def test_the_tanh_derivative_is_parenthesised():
    trace = bl.MLP((5, 4, 3), activation="tanh").trace(np.ones((1, 5)), [0])
    d = trace["dL/dz1"]
    assert d.product_text() == "∂L/∂H1 (1×4) ⊙ (1 − H1²) (1×4) = 1×4"
    assert d.latex.endswith(r"\odot (1 - H_{1}^2)")
    sig = bl.MLP((5, 4, 3)).trace(np.ones((1, 5)), [0])["dL/dz1"]
    assert sig.product_text() == "∂L/∂H1 (1×4) ⊙ H1(1 − H1) (1×4) = 1×4"


@pytest.mark.parametrize("B", [1, 3])
def test_the_chain_rule_contracts_to_the_stated_shape(B):
    trace = bl.MLP().trace(np.random.default_rng(B).random((B, 784)), list(range(B)))
    s = trace["dL/dW3"]
    g, J = s.factors
    dz = trace["dL/dz3"].value  # (B, 10)
    g_arr = dz[0] if B == 1 else dz
    assert g.shape == g_arr.shape and J.shape == trace.jacobian("z3", "W3").shape
    contracted = np.tensordot(g_arr, trace.jacobian("z3", "W3"), axes=g_arr.ndim)
    assert contracted.shape == (11, 10)
    np.testing.assert_allclose(contracted, s.value, rtol=1e-5, atol=1e-7)
    stated = "∂L/∂z3 (10, gradient) · ∂z3/∂W3 (10×11×10, outer) = 11×10, summed over the 10 entries of z3" \
        if B == 1 else "∂L/∂z3 (3×10, gradient) · ∂z3/∂W3 (3×10×11×10, outer) = 11×10"
    assert s.chain_text().startswith(stated)


def test_labels_and_the_one_hot_y_are_named_apart(batch3):
    net, trace = batch3
    L, d = trace["L"], trace["dL/dz3"]
    assert [(f.name, f.shape) for f in L.operands] == [("ŷ", (3, 10)), ("labels", (3,))]
    assert [(f.name, f.shape) for f in d.operands] == [("ŷ", (3, 10)), ("y", (3, 10))]
    assert "labels (3) are the integer classes; y (3×10, one-hot)" in L.note
    np.testing.assert_array_equal(trace.labels, [7, 1, 4])


def test_a_trace_does_not_change_when_the_network_trains_afterwards():
    net = bl.MLP((20, 8, 6, 4), seed=0)
    x = np.random.default_rng(0).random((3, 20))
    x32 = x.astype(np.float32)
    trace = net.trace(x32, [0, 1, 2])
    values = {s.name: s.value.copy() for s in trace}
    jacobians = {pair: trace.jacobian(*pair).copy() for pair in trace.jacobian_pairs}
    infos = {pair: trace.jacobian_info(*pair) for pair in trace.jacobian_pairs}
    for _ in bl.Trainer(net, epochs=3, batch_size=2, lr=0.5, seed=0).run(x, np.array([0, 1, 2])):
        pass
    for W in net.weights:  # and in place, as a careless panel might
        W *= 2.0
    x32 *= 0.5
    assert not np.array_equal(net.trace(x, [0, 1, 2])["dL/dW2"].value, values["dL/dW2"])
    for s in trace:
        np.testing.assert_array_equal(s.value, values[s.name])
    for pair, J in jacobians.items():
        np.testing.assert_array_equal(trace.jacobian(*pair), J, err_msg=str(pair))
        assert trace.jacobian_info(*pair) == infos[pair]
    with pytest.raises(ValueError):
        trace.weights[0][0, 0] = 1.0


def test_steps_carry_facts(batch3):
    net, trace = batch3
    kinds = [s.kind for s in trace]
    assert all(isinstance(k, StepKind) for k in kinds)
    assert [k.value for k in kinds] == [
        "input", "pre-activation", "activation", "pre-activation", "activation", "pre-activation",
        "output", "loss", "output gradient", "parameter gradient", "input gradient", "gradient",
        "parameter gradient", "input gradient", "gradient", "parameter gradient"]
    assert trace["dL/dH2"].kind == "input gradient" and str(trace["dL/dH2"].kind) == "input gradient"
    assert [s.name for s in trace if s.drops_bias_row] == ["dL/dH2", "dL/dH1"]
    assert [(s.name, s.weight) for s in trace if s.drops_bias_row] == [("dL/dH2", "W3"), ("dL/dH1", "W2")]
    assert [s.name for s in trace if s.batch_mean] == ["L", "dL/dz3"]
    assert [(s.name, s.activation) for s in trace if s.activation] == [
        ("H1", "sigmoid"), ("H2", "sigmoid"), ("dL/dz2", "sigmoid"), ("dL/dz1", "sigmoid")]
    assert [(s.name, s.source) for s in trace if s.kind == "parameter gradient"] == [
        ("dL/dW3", "H2"), ("dL/dW2", "H1"), ("dL/dW1", "x")]
    assert all(s.batch_size == 3 for s in trace)
    assert [s.sums_over_batch for s in trace if s.target] == [True, True, True]
    # the "[bias row dropped]" tag follows the fact, not the note
    assert str(trace).count("[bias row dropped]") == 2


def test_rounding_error_is_what_float32_owes():
    net = bl.MLP((6, 5, 3), seed=0)
    x = rng.random((2, 6)).astype(np.float32)  # the pass's own input, exactly
    t32, t64 = net.trace(x, [0, 2]), net.copy(dtype=np.float64).trace(x, [0, 2])
    for s in t32:
        err = t32.rounding_error(s.name)
        np.testing.assert_array_equal(err, np.abs(s.value.astype(np.float64) - t64[s.name].value))
        assert np.all(t64.rounding_error(s.name) == 0)
