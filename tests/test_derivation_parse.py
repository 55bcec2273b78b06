"""The grammar: what it reads, where its errors point, and its limits."""

from __future__ import annotations

import pytest

from backproplab.core.derivation import MAX_DEPTH, MAX_LENGTH
from backproplab.core.derivation.grammar import parse, split_claim
from backproplab.core.derivation.nodes import BinOp, Call, Index, Name, Ones, Transpose
from backproplab.core.derivation.tokens import ParseFailure, tokenize


def keys(text):
    return [t.value for t in tokenize(text) if t.kind in ("NAME", "DERIV")]


@pytest.mark.parametrize("text,key", [
    ("H1", "H1"), ("H_1", "H1"), ("H_{1}", "H1"), ("H₁", "H1"), ("y_hat", "yhat"), ("ŷ", "yhat"),
    (r"\hat{y}", "yhat"), (r"\hat y", "yhat"), ("δ2", "δ2"), ("delta2", "delta2"), (r"\delta_2", "δ2"),
    ("W^{[2]}", "W2"), ("a^{(1)}", "a1"), ("dZ2", "dZ2"), ("dL/dz3", ("L", "z3")),
    (r"\frac{\partial L}{\partial z_3}", ("L", "z3")), ("∂L/∂W2", ("L", "W2")),
    (r"\partial L/\partial W_2", ("L", "W2")), ("dH2/dz2", ("H2", "z2")), (r"\frac{dL}{dW^{[2]}}", ("L", "W2")),
])
def test_names_as_learners_write_them(text, key):
    assert keys(text) == [key]


@pytest.mark.parametrize("text", ["W3^T", "W3^{T}", r"W3^\top", r"W_3^{\top}", "W3ᵀ", "W3'", "W3.T",
                                  r"W_3^\intercal"])
def test_transposes(text):
    assert isinstance(parse(text).rhs, Transpose)


@pytest.mark.parametrize("text,op", [("a b", "matmul"), ("a · b", "matmul"), (r"a \cdot b", "matmul"),
                                     ("a @ b", "matmul"), ("a * b", "matmul"), ("a ⊙ b", "elementwise"),
                                     (r"a \odot b", "elementwise"), ("a ∘ b", "elementwise"),
                                     ("a .* b", "elementwise"), ("a - b", "−"), ("a − b", "−")])
def test_products(text, op):
    assert parse(text).rhs.op == op


def test_products_share_a_level_left_to_right():
    rhs = parse("a b ⊙ c d").rhs  # ((a b) ⊙ c) d
    assert rhs.op == "matmul" and rhs.a.op == "elementwise" and rhs.a.a.op == "matmul"
    assert parse("a - b c").rhs.op == "−"  # + and − bind more loosely


def test_name_then_parenthesis_is_the_H_one_minus_H_form():
    rhs = parse("H2(1 − H2)").rhs
    assert isinstance(rhs, BinOp) and rhs.op == "implicit"
    assert parse("H2 (1 − H2)").rhs.op == "implicit"  # spaces allowed, as LaTeX ignores them
    assert parse("(H2)(1 − H2)").rhs.op == "matmul"  # only a name followed by a group


def test_brackets_and_indexes():
    assert isinstance(parse("[1 H1]").rhs, Ones)
    assert isinstance(parse(r"[1\ H_1]").rhs, Ones)
    assert isinstance(parse("[1, H1]").rhs, Ones)
    idx = parse("W3[1:]").rhs
    assert isinstance(idx, Index) and idx.items == ((1, None),)
    assert parse("W2[1:, :]").rhs.items == ((1, None), (None, None))
    assert parse("W2[0]").rhs.items == (0,)
    both = parse("δ2 [1 H1]").rhs  # a space before [ : a product with the bracket form
    assert both.op == "matmul" and isinstance(both.b, Ones)


def test_functions_and_the_numpy_dialect():
    assert isinstance(parse("σ'(z2)").rhs, Call) and parse("σ'(z2)").rhs.func == "σ′"
    assert parse(r"\sigma'(z_2)").rhs.func == "σ′"
    assert parse(r"\sigma^\prime(z_2)").rhs.func == "σ′"
    assert parse("sigmoid(z2)").rhs.func == "σ"
    assert parse("tanh'(z1)").rhs.func == "tanh′"
    assert parse(r"\operatorname{diag}(H2)").rhs.func == "diag"
    p = parse("np.sum(dZ2, axis=1, keepdims=True)")
    assert p.dialect == "numpy" and p.rhs.kwargs == (("axis", 1.0), ("keepdims", "True"))
    assert parse("dZ2 * A1", dialect="numpy").rhs.op == "elementwise"
    assert parse("A1 ** 2").rhs.exponent == 2


def test_left_side_and_claims():
    p = parse("dL/dW2 = [1 H1]^T δ2 ∈ ℝ^{101×10}")
    assert p.lhs.value == ("L", "W2") and p.claimed_shape == (101, 10)
    for text, dims in [(r"x \in \mathbb{R}^{101\times1}", (101, 1)), ("x ∈ R^{1x10}", (1, 10)),
                       ("x (101x1)", (101, 1)), ("x ∈ ℝ^(10, 10)", (10, 10)), ("x", None)]:
        assert split_claim(text)[1] == dims
    assert isinstance(parse("np.sum(a, axis=0, keepdims=True)").rhs, Call)  # = inside a call is a keyword
    assert isinstance(parse(r"\frac{\partial L}{\partial W_2} = x").lhs.value, tuple)
    assert isinstance(parse("δ2 = x").rhs, Name)


@pytest.mark.parametrize("text,where,words", [
    ("[1 H1]^T δ2 )", 12, "unexpected ')'"),
    ("W3^{-1}", 2, "inverses"),
    ("H1 $ H2", 3, "'$'"),
    ("(H1 H2", 6, "expected ')'"),
    ("[2 H1]", 1, "leading 1"),
    (r"\foo H1", 0, r"\foo"),
    ("H1 ⊙", 4, "ends too early"),
    ("f(z2)", 0, "derivative"),
    ("H1 = = H2", 5, "cannot start"),
    ("x + y = 3", 0, "left side"),
])
def test_errors_point_at_the_character(text, where, words):
    with pytest.raises(ParseFailure) as err:
        parse(text)
    assert err.value.pos == where and words in err.value.message


def test_limits():
    with pytest.raises(ParseFailure, match="characters long"):
        parse("H1 " * (MAX_LENGTH // 3 + 1))
    deep = "(" * (MAX_DEPTH + 1) + "H1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ParseFailure, match="nests more than"):
        parse(deep)
    ok = "(" * (MAX_DEPTH - 2) + "H1" + ")" * (MAX_DEPTH - 2)
    assert isinstance(parse(ok).rhs, Name)
    with pytest.raises(ParseFailure, match="tokens"):
        parse("H1+" * 180 + "H1")
