"""'Write the gradient yourself': the checker recognises right answers and the classic mistakes.

The answers below are written the way a learner writes them, from the trace's own
values and the network's weights.
"""

import subprocess
import sys

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import ConfigError
from backproplab.exercises import Feedback, check_gradient

BACKWARD = ["dL/dz3", "dL/dW3", "dL/dH2", "dL/dz2", "dL/dW2", "dL/dH1", "dL/dz1", "dL/dW1"]


def _setup(batch: int):
    net = bl.MLP()
    rng = np.random.default_rng(batch)
    x, y = rng.random((batch, 784)).astype(np.float32), rng.integers(0, 10, batch)
    return net, net.trace(x, y)


@pytest.fixture(scope="module", params=[1, 4], ids=["one sample", "batch of 4"])
def case(request):
    return _setup(request.param)


@pytest.fixture(scope="module")
def one():
    return _setup(1)


def ones(a):
    """[1 a]: a column of ones in front, as a learner writes it."""
    return np.hstack([np.ones((len(a), 1)), a])


def learner_dW2(trace):
    return ones(trace["H1"].value).T @ trace["dL/dz2"].value


@pytest.mark.parametrize("name", BACKWARD + ["z1", "y_hat", "L"])
def test_the_recorded_value_itself_is_right(case, name):
    net, trace = case
    value = trace[name].value
    for answer in (value, value.astype(np.float64), value.tolist()):
        fb = check_gradient(answer, trace, name)
        assert fb.correct and fb.mistake is None, fb.message
        assert fb.message.startswith(f"✓ Right: {name} is ")


def test_a_learners_correct_answers(case):
    net, trace = case
    W2, W3 = net.weights[1], net.weights[2]
    dH2 = trace["dL/dz3"].value @ W3[1:].T
    assert check_gradient(dH2, trace, "dL/dH2").correct
    assert check_gradient(ones(trace["H2"].value).T @ trace["dL/dz3"].value, trace, "dL/dW3").correct
    assert check_gradient(learner_dW2(trace), trace, "dL/dW2").correct
    assert check_gradient(trace["dL/dz2"].value @ W2[1:].T, trace, "dL/dH1").correct
    fb = check_gradient(learner_dW2(trace), trace)  # dL/dW2 is the default
    assert fb.correct and "[1 H1]ᵀ" in fb.message and "= 101×10 = shape of W2" in fb.message


def test_float32_rounding_is_accepted_but_a_real_difference_is_not(one):
    net, trace = one
    value = trace["dL/dW2"].value.astype(np.float64)
    assert check_gradient(value * (1 + 1e-6), trace).correct
    off = value.copy()
    off[5, 3] += 0.01 * np.abs(value).max()
    fb = check_gradient(off, trace)
    assert not fb.correct and fb.mistake == "wrong-values"
    assert "1 of 1,010 values differ" in fb.message


def test_transposed_weight_gradient_is_the_wrong_outer_product_order(case):
    net, trace = case
    answer = trace["dL/dz2"].value.T @ ones(trace["H1"].value)  # δ2ᵀ · [1 H1]
    fb = check_gradient(answer, trace, "dL/dW2")
    assert (fb.correct, fb.mistake) == (False, "transposed")
    assert fb.answer_shape == (10, 101) and fb.expected_shape == (101, 10)
    assert "the outer product in the wrong order, δ2ᵀ · [1 H1]" in fb.message
    assert "the inputs come first" in fb.message


def test_a_column_instead_of_a_row(one):
    net, trace = one
    answer = net.weights[2][1:] @ trace["dL/dz3"].value.T  # W3[1:] · δ3ᵀ: 10×1
    fb = check_gradient(answer, trace, "dL/dH2")
    assert fb.mistake == "transposed" and "a column where the package keeps a row" in fb.message


def test_the_questions_101x1_answer_is_explained_by_the_bias_row_of_W3(case):
    net, trace = case
    B = trace.batch_size
    dH2_with_bias = trace["dL/dz3"].value @ net.weights[2].T  # B×11: the bias row kept
    answer = ones(trace["H1"].value).T @ dH2_with_bias.sum(axis=1, keepdims=True)  # 101×1
    fb = check_gradient(answer, trace, "dL/dW2")
    assert fb.mistake == "one-column" and fb.answer_shape == (101, 1)
    assert "cannot tell its 10 units apart" in fb.message
    assert "W3 is 11×10, but its bias row (row 0) multiplies the constant 1, not H2" in fb.message
    assert f"δ3 · W3ᵀ = {B}×11" in fb.message
    assert f"dL/dH2 = δ3 ({B}×10) · W3[1:]ᵀ (10×10) = {B}×10" in fb.message
    # the last layer has no layer above it: no bias-row story, just the columns
    fb3 = check_gradient(np.zeros((11, 1)), trace, "dL/dW3")
    assert fb3.mistake == "one-column" and "trap" not in fb3.message


def test_bias_row_kept_on_the_way_back(case):
    net, trace = case
    B = trace.batch_size
    for name, k in (("dL/dH2", 3), ("dL/dH1", 2)):
        answer = trace[f"dL/dz{k}"].value @ net.weights[k - 1].T  # all rows of W_k
        fb = check_gradient(answer, trace, name)
        assert fb.mistake == "bias-row-kept", (name, fb.message)
        assert "without its column 0 your answer is right" in fb.message
        assert f"W{k}[1:]" in fb.message and fb.answer_shape[1] == trace[name].shape[1] + 1
        assert fb.answer_shape[0] == B


def test_bias_row_missing_or_wrong_in_a_weight_gradient(case):
    net, trace = case
    H1, delta2 = trace["H1"].value, trace["dL/dz2"].value
    fb = check_gradient(H1.T @ delta2, trace, "dL/dW2")  # forgot the ones: 100×10
    assert fb.mistake == "bias-row-missing" and "put the column of ones in front" in fb.message
    assert "[1 H1]." in fb.message
    zero_bias = learner_dW2(trace)
    zero_bias[0] = 0  # [0 H1] instead of [1 H1]
    fb = check_gradient(zero_bias, trace, "dL/dW2")
    assert fb.mistake == "bias-row-wrong" and "meets the constant 1 in [1 H1]" in fb.message


def test_one_outer_product_per_sample(case):
    net, trace = case
    B = trace.batch_size
    H1_1, delta2 = ones(trace["H1"].value), trace["dL/dz2"].value
    per_sample = H1_1[:, :, None] * delta2[:, None, :]  # (B, 101, 10): elementwise, no sum
    fb = check_gradient(per_sample, trace, "dL/dW2")
    assert fb.mistake == "not-summed-over-batch" and f"{B}×101×10" in fb.message
    assert "their sum over axis 0 is right" in fb.message
    if B > 1:  # per-sample δ without the 1/B: their mean is right
        fb = check_gradient(per_sample * B, trace, "dL/dW2")
        assert fb.mistake == "not-summed-over-batch" and "their mean over axis 0 is right" in fb.message


def test_elementwise_product_where_a_matrix_product_belongs(one):
    net, trace = one  # with one sample `*` broadcasts instead of failing
    W3, W2 = net.weights[2], net.weights[1]
    fb = check_gradient(trace["dL/dz3"].value * W3[1:].T, trace, "dL/dH2")  # 10×10
    assert fb.mistake == "elementwise-product" and "δ3 (1×10) and W3[1:]ᵀ (10×10)" in fb.message
    fb = check_gradient(trace["dL/dz2"].value * W2[1:], trace, "dL/dH1")  # 100×10
    assert fb.mistake == "elementwise-product" and "matrix product (`@`)" in fb.message
    assert "δ2 (1×10) and W2[1:]ᵀᵀ" not in fb.message


def test_matrix_product_where_an_elementwise_product_belongs(case):
    net, trace = case
    dH2, H2 = trace["dL/dH2"].value, trace["H2"].value
    slope = H2 * (1 - H2)
    for answer in (dH2.T @ slope, dH2 @ slope.T):
        fb = check_gradient(answer, trace, "dL/dz2")
        if answer.shape == trace["dL/dz2"].shape:  # B = 10 would make them coincide; not here
            continue
        assert fb.mistake == "matrix-product", fb.message
        assert "∂H2/∂z2 is diagonal" in fb.message and "(`*`)" in fb.message


def test_the_full_jacobian_is_not_the_gradient(one):
    net, trace = one
    fb = check_gradient(trace.jacobian("z2", "W2"), trace, "dL/dW2")
    assert fb.mistake == "jacobian" and "local Jacobian ∂z2/∂W2" in fb.message


def test_a_flat_vector_instead_of_a_row(one):
    net, trace = one
    fb = check_gradient(trace["dL/dz3"].value.ravel(), trace, "dL/dz3")
    assert fb.mistake == "not-a-row" and "answer.reshape(1, 10)" in fb.message


def test_batch_mean_and_sign(case):
    net, trace = case
    value = trace["dL/dW2"].value
    fb = check_gradient(-value, trace, "dL/dW2")
    assert fb.mistake == "sign" and "ŷ − y, not y − ŷ" in fb.message
    B = trace.batch_size
    if B > 1:
        fb = check_gradient(value * B, trace, "dL/dW2")
        assert fb.mistake == "batch-mean" and f"{B} times the right ones" in fb.message
        fb = check_gradient(trace["dL/dz3"].value / B, trace, "dL/dz3")
        assert fb.mistake == "batch-mean" and f"1/{B} of the right ones" in fb.message


def test_any_other_shape_and_non_arrays(one):
    net, trace = one
    fb = check_gradient(np.zeros((3, 3)), trace, "dL/dW2")
    assert fb.mistake == "wrong-shape" and "3×3, but dL/dW2 is 101×10, the shape of W2" in fb.message
    fb = check_gradient("101x10", trace, "dL/dW2")
    assert fb.mistake == "not-an-array" and fb.answer_shape is None
    fb = check_gradient(None, trace, "dL/dW1")
    assert fb.mistake == "not-an-array" and "replace None" in fb.message and "785×100" in fb.message
    fb = check_gradient(np.full((101, 10), np.nan), trace, "dL/dW2")
    assert fb.mistake == "not-an-array" and "NaN" in fb.message
    with pytest.raises(ConfigError, match="dL/dW2"):
        check_gradient(np.zeros((101, 10)), trace, "dW2")
    with pytest.raises(ConfigError, match=r"net.trace\(x, y\)"):
        check_gradient(np.zeros((101, 10)), net)


def test_feedback_text_is_deterministic(one):
    net, trace = one
    a = check_gradient(trace["dL/dz2"].value.T @ ones(trace["H1"].value), trace)
    b = check_gradient(trace["dL/dz2"].value.T @ ones(trace["H1"].value), trace)
    assert isinstance(a, Feedback) and a == b and str(a) == str(b) == a.message
    assert repr(a) == "Feedback(dL/dW2: wrong (transposed), answer 10×101, expected 101×10)"
    assert repr(check_gradient(trace["dL/dW2"].value, trace)) == (
        "Feedback(dL/dW2: correct, answer 101×10, expected 101×10)")
    assert a.message.startswith("✗ Not yet: ")


def test_ipython_shows_the_message(one):
    pretty = pytest.importorskip("IPython.lib.pretty")
    net, trace = one
    fb = check_gradient(trace["dL/dW2"].value, trace)
    assert pretty.pretty(fb) == fb.message


def test_other_networks():
    net = bl.MLP((6, 5, 4, 3), activation="tanh", seed=1)
    rng = np.random.default_rng(1)
    trace = net.trace(rng.random((2, 6)), [0, 2])
    for name in ("dL/dW1", "dL/dH1", "dL/dz2"):
        assert check_gradient(trace[name].value, trace, name).correct
    assert check_gradient(trace["dL/dW2"].value.T, trace, "dL/dW2").mistake == "transposed"


def test_the_checker_imports_no_widgets_and_no_plotting():
    code = ("import sys, backproplab.exercises\n"
            "print(','.join(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ------------------------------------------------------- the audit's cases (issue 10, item 11)
def sigma_prime(H):
    return H * (1 - H)  # the logistic's derivative, by hand


def test_a_missing_activation_derivative_is_named(case):
    net, trace = case
    W2, W3 = (W.astype(np.float64) for W in net.weights[1:])
    dH2 = trace["dL/dz3"].value @ W3[1:].T
    # δ2 written without ⊙ H2(1 − H2)
    fb = check_gradient(dH2, trace, "dL/dz2")
    assert fb.mistake == "missing-derivative" and "∂H2/∂z2 = diag(H2(1 − H2))" in fb.message
    fb = check_gradient(ones(trace["H1"].value).T @ dH2, trace, "dL/dW2")
    assert fb.mistake == "missing-derivative" and "layer 2" in fb.message
    # σ′ of layer 1 forgotten, layer 2's kept
    dH1 = (dH2 * sigma_prime(trace["H2"].value)) @ W2[1:].T
    fb = check_gradient(ones(trace["x"].value).T @ dH1, trace, "dL/dW1")
    assert fb.mistake == "missing-derivative" and "∂H1/∂z1 = diag(H1(1 − H1))" in fb.message
    # every σ′ forgotten
    fb = check_gradient(ones(trace["x"].value).T @ (dH2 @ W2[1:].T), trace, "dL/dW1")
    assert fb.mistake == "missing-derivative" and "every hidden layer" in fb.message


def dead_relu_trace(B):
    """A ReLU net whose hidden layer is dead for this batch: layer 2's input is all zero."""
    net = bl.MLP((4, 3, 3, 3), activation="relu", seed=0, dtype=np.float64)
    W = [w.copy() for w in net.weights]
    W[0][1:] = -np.abs(W[0][1:])
    W[0][0] = -0.5  # z1 < 0 for non-negative inputs: H1 = 0
    W[1][0] = [0.3, -0.2, 0.1]
    net.set_weights(W)
    x = np.random.default_rng(B).random((B, 4))
    return net, net.trace(x, np.arange(B) % 3)


@pytest.mark.parametrize("B", [1, 3])
def test_a_dead_layer_input_does_not_hide_the_real_mistake(B):
    net, trace = dead_relu_trace(B)
    assert not np.any(trace["H1"].value)
    value = trace["dL/dW2"].value
    assert check_gradient(-value, trace, "dL/dW2").mistake == "sign"
    if B > 1:
        assert check_gradient(B * value, trace, "dL/dW2").mistake == "batch-mean"
    W3 = trace.weights[2]
    no_sigma = ones(trace["H1"].value).T @ (trace["dL/dz3"].value @ W3[1:].T)  # δ2 without relu′
    assert not np.allclose(no_sigma, value)
    assert check_gradient(no_sigma, trace, "dL/dW2").mistake == "missing-derivative"
    wrong_bias = value.copy()
    wrong_bias[0] *= 2.5  # still called what it is when rows 1: cannot tell: the values are wrong
    assert check_gradient(wrong_bias, trace, "dL/dW2").mistake == "wrong-values"


def test_tiny_true_gradients_do_not_let_wrong_answers_through():
    net = bl.MLP((5, 4, 3), seed=0, dtype=np.float64)
    W = [w.copy() for w in net.weights]
    W[1][0] = [60.0, 0.0, 0.0]  # class 0 certain: every true gradient is below 1e-20
    net.set_weights(W)
    trace = net.trace(np.random.default_rng(0).random((2, 5)), [0, 0])
    for name in ("dL/dz2", "dL/dW2", "dL/dW1"):
        v = trace[name].value
        assert 0 < np.abs(v).max() < 5e-18, name
        assert check_gradient(v, trace, name).correct
        assert not check_gradient(np.zeros_like(v), trace, name).correct, name
        assert check_gradient(-v, trace, name).mistake == "sign", name


def test_a_complex_answer_is_not_accepted(one):
    net, trace = one
    v = trace["dL/dW2"].value
    for answer in (v + 0j, v + 1e-3j):
        fb = check_gradient(answer, trace, "dL/dW2")
        assert not fb.correct and fb.mistake == "not-an-array" and "complex" in fb.message


def test_the_exact_answer_of_a_confident_float32_net_is_accepted(mnist_small):
    """The float64 answer (same weights) must pass against a float32 trace, and mistakes must not.

    A trained net is confident: ŷ − y is tiny and float32 carries ~1e-7 of error into it. The
    output layer is scaled ×3 to get there in a second of training (the old tolerance rejected
    697 of 1,200 such exact answers).
    """
    X, y, Xt, yt = mnist_small
    net = bl.MLP()
    for _ in bl.Trainer(net, epochs=2, seed=0).run(X, y):
        pass
    W = [w.copy() for w in net.weights]
    W[-1] *= 3
    net.set_weights(W)
    exact = net.copy(dtype=np.float64)  # the same weights, every step in float64
    rejected, accepted_mistakes = [], []
    for i in range(40):
        t32 = net.trace(Xt[i:i + 1], yt[i:i + 1])
        t64 = exact.trace(Xt[i:i + 1], yt[i:i + 1])
        for name in BACKWARD:
            if not check_gradient(t64[name].value, t32, name).correct:
                rejected.append((i, name))
            if check_gradient(-t64[name].value, t32, name).correct:
                accepted_mistakes.append((i, name))
    assert rejected == [] and accepted_mistakes == []
