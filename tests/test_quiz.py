"""The "predict the shape" quiz: parsing learners' answers and grading them."""

import numpy as np
import pytest

import backproplab as bl
from backproplab.panels.quiz import ShapeParseError, grade, hint_for, parse_shape


@pytest.fixture(scope="module")
def trace():
    rng = np.random.default_rng(0)
    return bl.MLP().trace(rng.random((1, 784)), [3])


@pytest.mark.parametrize("text", ["101x10", "(101, 10)", "101 × 10", "101,10", "[101 10]",
                                  "101 X 10", " 101 by 10 ", "(101,10)", "101*10", "101 10"])
def test_accepts_the_usual_ways_of_writing_a_shape(text):
    assert parse_shape(text) == (101, 10)


@pytest.mark.parametrize("text", ["scalar", "()", "( )", "[]", "Scalar"])
def test_scalar(text):
    assert parse_shape(text) == ()


def test_one_axis_and_three_axes():
    assert parse_shape("(10,)") == (10,)
    assert parse_shape("10") == (10,)
    assert parse_shape("10×11×10") == (10, 11, 10)


@pytest.mark.parametrize("text", ["", "   ", "abc", "101x", "x10", "10.5x3", "-1x10", "101,,10",
                                  "(101, 10", "__import__('os').system('echo hi')", "1e3", "9" * 100])
def test_malformed_answers_raise_a_friendly_error(text):
    with pytest.raises(ShapeParseError) as info:
        parse_shape(text)
    assert "e.g." in str(info.value)


@pytest.mark.parametrize("text", ["101x10", "(101, 10)", "101 × 10", "101,10", "[101 10]"])
def test_right_in_several_formats(trace, text):
    g = grade(text, trace["dL/dW2"], trace)
    assert g.status == "right" and g.counts and g.answer == (101, 10)
    assert "101×10" in g.message


def test_wrong_answer_gets_a_hint_from_the_chain_rule(trace):
    g = grade("100x10", trace["dL/dW2"], trace)
    assert g.status == "wrong" and g.counts
    assert ("dL/dW2 always has the shape of W2 (101×10): [1 H1]ᵀ is 101×1 and δ2 is 1×10"
            in g.message)


def test_transpose_is_named(trace):
    g = grade("10x101", trace["dL/dW2"], trace)
    assert g.status == "wrong" and "transpose" in g.message


def test_malformed_answer_costs_nothing(trace):
    g = grade("one hundred and one by ten", trace["dL/dW2"], trace)
    assert g.status == "invalid" and not g.counts
    assert "No point lost" in g.message


def test_loss_is_a_scalar(trace):
    assert grade("scalar", trace["L"], trace).status == "right"
    assert grade("()", trace["L"], trace).status == "right"
    wrong = grade("1x1", trace["L"], trace)
    assert wrong.status == "wrong" and "scalar" in wrong.message


def test_row_vector_hint_for_a_one_axis_answer(trace):
    g = grade("10", trace["H2"], trace)
    assert g.status == "wrong" and "row" in g.message


def test_activation_hint(trace):
    assert "H2 = σ(z2) has the shape of z2 (1×10)" in hint_for(trace["H2"], trace)
    assert "y_hat = softmax(z3) has the shape of z3" in hint_for(trace["y_hat"], trace)


def test_input_gradient_hint_names_the_bias_row(trace):
    hint = hint_for(trace["dL/dH2"], trace)
    assert "dL/dH2 always has the shape of H2 (1×10)" in hint
    assert "W3[1:] (10×10)" in hint


def test_batch_hint_says_the_batch_is_summed():
    rng = np.random.default_rng(1)
    t = bl.MLP().trace(rng.random((8, 784)), rng.integers(0, 10, 8))
    hint = hint_for(t["dL/dW2"], t)
    assert "[1 H1]ᵀ is 101×8 and δ2 is 8×10" in hint and "summed" in hint
    assert grade("8x100", t["H1"], t).status == "right"


@pytest.mark.parametrize("sizes,activation", [((784, 100, 10, 10), "sigmoid"),
                                              ((20, 16, 12, 8, 5), "tanh"), ((6, 4, 3), "relu")])
def test_every_step_has_a_hint_and_its_own_shape_is_right(sizes, activation):
    net = bl.MLP(sizes, activation=activation)
    rng = np.random.default_rng(2)
    t = net.trace(rng.random((3, sizes[0])), rng.integers(0, sizes[-1], 3))
    for step in t:
        assert hint_for(step, t)
        text = "scalar" if step.shape == () else "x".join(map(str, step.shape))
        assert grade(text, step, t).status == "right", step.name
