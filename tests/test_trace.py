"""The recorded pass: names, shapes, factors, Jacobians and renderings."""

import numpy as np
import pytest

from backproplab import MLP
from backproplab.errors import ConfigError, JacobianTooLargeError

CLASSIC_ORDER = ["x", "z1", "H1", "z2", "H2", "z3", "y_hat", "L", "dL/dz3", "dL/dW3", "dL/dH2",
                 "dL/dz2", "dL/dW2", "dL/dH1", "dL/dz1", "dL/dW1"]


@pytest.fixture(scope="module")
def net():
    return MLP()


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).random((1, 784)).astype(np.float32)


@pytest.fixture(scope="module")
def trace(net, x):
    return net.trace(x, [7])


def test_steps_are_named_as_in_the_question(trace):
    assert list(trace.names) == CLASSIC_ORDER
    assert [s.phase for s in trace] == ["forward"] * 8 + ["backward"] * 8
    assert [s.index for s in trace] == list(range(1, 17))


def test_classic_shape_table_for_one_sample(trace):
    shapes = {s.name: s.shape for s in trace}
    assert shapes == {
        "x": (1, 784), "z1": (1, 100), "H1": (1, 100), "z2": (1, 10), "H2": (1, 10), "z3": (1, 10),
        "y_hat": (1, 10), "L": (), "dL/dz3": (1, 10), "dL/dW3": (11, 10), "dL/dH2": (1, 10),
        "dL/dz2": (1, 10), "dL/dW2": (101, 10), "dL/dH1": (1, 100), "dL/dz1": (1, 100),
        "dL/dW1": (785, 100)}


def test_factors_state_the_chain_rule_shapes(trace):
    dH2 = trace["dL/dH2"]
    assert [(f.name, f.shape, f.structure) for f in dH2.factors] == [
        ("∂L/∂z3", (10,), "gradient"), ("∂z3/∂H2", (10, 10), "dense")]
    assert [(f.name, f.shape) for f in dH2.operands] == [("δ3", (1, 10)), ("W3[1:]ᵀ", (10, 10))]
    assert "W3 is 11×10" in dH2.note and "no path back to H2" in dH2.note and "W3[1:] (10×10)" in dH2.note
    dz2 = trace["dL/dz2"]
    assert [(f.name, f.shape, f.structure) for f in dz2.factors][1] == ("∂H2/∂z2", (10, 10), "diagonal")
    dW2 = trace["dL/dW2"]
    assert [(f.name, f.shape, f.structure) for f in dW2.factors] == [
        ("∂L/∂z2", (10,), "gradient"), ("∂z2/∂W2", (10, 101, 10), "outer")]
    assert dW2.product_text() == "[1 H1]ᵀ (101×1) · δ2 (1×10) = 101×10 = shape of W2"
    assert "  inner dimensions 1 = 1 ✓; result 101×10" in dW2.ledger()


def test_trace_values_equal_the_training_gradients(net, x, trace):
    loss, grads = net.loss_and_gradients(x, [7])
    assert float(trace["L"].value) == pytest.approx(loss, rel=1e-6)
    for k, g in enumerate(grads, start=1):
        np.testing.assert_allclose(trace[f"dL/dW{k}"].value, g, rtol=1e-6)
    np.testing.assert_allclose(trace["y_hat"].value, net.predict_proba(x), rtol=1e-6)
    np.testing.assert_allclose(trace["dL/dz3"].value, trace["y_hat"].value - np.eye(10)[[7]], atol=1e-7)


def test_trace_is_read_only(trace):
    with pytest.raises(ValueError):
        trace["z1"].value[0, 0] = 1.0
    with pytest.raises(AttributeError):
        trace["z1"].name = "other"


def test_materialised_jacobians(trace):
    assert trace.jacobian("z3", "W3").shape == (10, 11, 10)
    assert trace.jacobian_info("z1", "W1").entries == 7_850_000
    assert trace.jacobian_info("z1", "W1").efficient_entries == 78_500
    assert trace.jacobian("H2", "z2").shape == (10, 10)
    np.testing.assert_allclose(trace.jacobian("H2", "z2"),
                               np.diag((trace["H2"].value * (1 - trace["H2"].value))[0]), rtol=1e-6)
    # contracting dL/dz2 with ∂z2/∂W2 gives dL/dW2: the 3-D tensor collapses to the outer product
    np.testing.assert_allclose(np.tensordot(trace["dL/dz2"].value[0], trace.jacobian("z2", "W2"), axes=1),
                               trace["dL/dW2"].value, rtol=1e-5, atol=1e-8)
    with pytest.raises(JacobianTooLargeError, match="7,850,000 entries"):
        trace.jacobian("z1", "W1", max_entries=1_000_000)
    with pytest.raises(ConfigError, match="no local Jacobian ∂z3/∂W1"):
        trace.jacobian("z3", "W1")
    with pytest.raises(KeyError, match="steps are: x, z1"):
        trace["dL/dW9"]


def test_batch_adds_rows_to_activations_but_not_to_parameter_gradients(net):
    X = np.random.default_rng(1).random((5, 784)).astype(np.float32)
    batch = net.trace(X, [0, 1, 2, 3, 4])
    one = net.trace(X[:1], [0])
    for s in batch:
        if s.kind == "parameter gradient":
            assert s.shape == one[s.name].shape
            assert "the sum over the batch happens in this product" in s.note
        elif s.name != "L":
            assert s.shape == (5,) + one[s.name].shape[1:]
    assert batch.jacobian_info("z3", "W3").shape == (5, 10, 11, 10)
    assert batch.batch_size == 5


def test_deeper_network_follows_the_same_pattern():
    net = MLP((20, 16, 12, 8, 4), activation="relu")
    t = net.trace(np.ones((1, 20)), [3])
    assert list(t.names) == ["x", "z1", "H1", "z2", "H2", "z3", "H3", "z4", "y_hat", "L", "dL/dz4",
                             "dL/dW4", "dL/dH3", "dL/dz3", "dL/dW3", "dL/dH2", "dL/dz2", "dL/dW2",
                             "dL/dH1", "dL/dz1", "dL/dW1"]
    assert t["dL/dW3"].shape == (13, 8)  # [1 H2] is 13 wide
    assert t["dL/dz3"].operands[1].name == "1[z3 > 0]"


def test_summary_is_a_deterministic_table(net, x, trace):
    text = str(trace)
    assert text == str(net.trace(x, [7]))
    lines = text.splitlines()
    assert lines[0] == "MLP(784 → 100 → 10 → 10, sigmoid, float32), batch of 1, label 7"
    assert len(lines) == 2 + 16
    assert "dL/dW2  101×10   [1 H1]ᵀ (101×1) · δ2 (1×10) = 101×10 = shape of W2" in text
    assert "dL/dH2  1×10     δ3 (1×10) · W3[1:]ᵀ (10×10) = 1×10  [bias row dropped]" in text
    assert repr(trace) == "<Trace of MLP(784 → 100 → 10 → 10, sigmoid, float32), batch of 1, label 7: 16 steps>"


def test_markdown_and_latex_exports(trace):
    md = trace.to_markdown()
    assert md.count("\n| ") == 17 and "| 13 | backward | dL/dW2 | 101×10 |" in md
    tex = trace.to_latex()
    assert tex.startswith("\\begin{align*}") and tex.rstrip().endswith("\\end{align*}")
    assert r"\frac{\partial L}{\partial W_{2}} &= [1\;H_{1}]^\top \delta_{2} && 101\times10" in tex
    step_md = trace["dL/dW2"].to_markdown()
    assert "**dL/dW2** (backward, shape 101×10)" in step_md and "- computed as:" in step_md
    assert trace["dL/dW2"].to_latex().endswith(r"\qquad (101\times10) \]")


def test_jacobian_axes_split_into_of_and_wrt(net, x, trace):
    info = trace.jacobian_info("z3", "W3")
    assert (info.of_shape, info.wrt_shape) == ((10,), (11, 10))
    assert trace.jacobian_info("L", "z3").of_shape == () and trace.jacobian_info("L", "z3").wrt_shape == (10,)
    batch = net.trace(np.vstack([x, x]), [1, 2]).jacobian_info("H1", "z1")
    assert (batch.of_shape, batch.wrt_shape) == ((2, 100), (2, 100))
    assert trace["dL/dH2"].wrt == "H2" and trace["dL/dW1"].wrt == "W1" and trace["z1"].wrt == ""
