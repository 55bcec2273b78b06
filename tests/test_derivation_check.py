"""The derivation checker on the question this project grew from, and on every layer.

Expected verdicts are hand-derived: the right expressions are the chain rule written out by
hand for each layer, and each value the checker computes is compared with an independent
float64 forward and backward pass written here from the weights (not with the checker's own
rules). Wrong expressions carry the mistake a person names by looking at them.
"""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bl
from backproplab.core.derivation import MISTAKES, check_derivation
from backproplab.errors import ConfigError

FIX_WORDS = ("Use ", "use ", "Write ", "write ", "Multiply", "multiply", "The right form", "swap",
             "transpose", "claim ", "Keep", "keep ", "drop ", "add ", "name a gradient", "start with",
             "remove", "close", "divide", "Divide", "Check ", "check ")


def make(sizes=(784, 100, 10, 10), activation="sigmoid", batch=1, seed=0):
    net = bl.MLP(sizes, activation=activation, seed=seed)
    rng = np.random.default_rng(seed + 1)
    weights = [W.copy() for W in net.weights]
    for W in weights:  # non-zero bias rows, so that a kept or dropped bias row shows in the values
        W[0] = rng.normal(0, 0.5, size=W.shape[1])
    net.set_weights(weights)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], size=batch)
    return net, x, y, net.trace(x, y)


@pytest.fixture(scope="module")
def classic():
    return make()[3]


@pytest.fixture(scope="module")
def classic_batch():
    return make(batch=4)[3]


def reference(net, x, y):
    """An independent float64 pass: {"dW1": ..., "dz1": ..., "dH1": ...} of the mean loss."""
    act = {"sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda H, z: H * (1 - H)),
           "tanh": (np.tanh, lambda H, z: 1 - H ** 2),
           "relu": (lambda z: np.maximum(z, 0), lambda H, z: (z > 0) * 1.0)}[net.activation]
    Ws = [W.astype(np.float64) for W in net.weights]
    Hs, zs = [x.astype(np.float64)], []
    for k, W in enumerate(Ws):
        z = np.hstack([np.ones((len(x), 1)), Hs[-1]]) @ W
        zs.append(z)
        Hs.append(act[0](z) if k < len(Ws) - 1 else None)
    e = np.exp(zs[-1] - zs[-1].max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    Y = np.eye(p.shape[1])[y]
    out, dz = {}, (p - Y) / len(x)
    for k in range(len(Ws), 0, -1):
        out[f"dz{k}"] = dz
        out[f"dW{k}"] = np.hstack([np.ones((len(x), 1)), Hs[k - 1]]).T @ dz
        if k > 1:
            dH = dz @ Ws[k - 1][1:].T
            out[f"dH{k - 1}"] = dH
            dz = dH * act[1](Hs[k - 1], zs[k - 2])
    return out


# --------------------------------------------------------- the question's own derivation
QUESTION_FACTORS = [
    ("∂L/∂z3 = (ŷ − y) ∈ ℝ^{1×10}", set()),
    ("∂z3/∂H2 = W3ᵀ ∈ ℝ^{10×10}", {"wrong-claimed-shape", "bias-row-kept"}),
    ("∂H2/∂z2 = H2(1 − H2) ∈ ℝ^{10×1}", {"local-jacobian-as-vector"}),
    ("∂z2/∂W2 = [1 H1] ∈ ℝ^{1×101}", {"local-jacobian-as-vector"}),
    (r"\frac{\partial L}{\partial z_3} = (\hat{y}-y) \in \mathbb{R}^{1\times10}", set()),
    (r"\frac{\partial z_3}{\partial H_2} = W_3^T \in \mathbb{R}^{10\times10}", {"wrong-claimed-shape", "bias-row-kept"}),
    (r"\frac{\partial H_2}{\partial z_2} = H_2(1-H_2) \in \mathbb{R}^{10\times1}", {"local-jacobian-as-vector"}),
    (r"\frac{\partial z_2}{\partial W_2} = [1\ H_1] \in \mathbb{R}^{1\times101}", {"local-jacobian-as-vector"}),
]


@pytest.mark.parametrize("text,expected", QUESTION_FACTORS)
def test_the_questions_factor_list(classic, text, expected):
    check = classic.check_derivation(text)
    assert expected <= set(check.mistakes), check.message
    assert check.ok == (not expected)


QUESTION_ANSWER = [r"[1\ H_1]^T(\hat{y}-y)W_3^TH_2(1-H_2)", "[1 H1]^T (ŷ − y) W3^T H2(1 − H2)",
                   r"\frac{\partial L}{\partial W_2} = [1\ H_1]^T(\hat{y}-y)W_3^TH_2(1-H_2)",
                   "dL/dW2 = [1 H1]ᵀ(ŷ − y)W3ᵀH2(1 − H2)"]


@pytest.mark.parametrize("text", QUESTION_ANSWER)
def test_the_questions_answer(classic, text):
    check = classic.check_derivation(text, target="dL/dW2")
    assert not check.ok and check.shape is None
    assert {"bias-row-kept", "elementwise-as-matrix-product"} <= set(check.mistakes), check.message
    assert check.target == "dL/dW2" and check.expected_shape == (101, 10)
    failed = check.steps[check.failed_step]
    assert "101×11 · 1×10" in failed.rule  # where the dimensions break, with both shapes
    claimed = check_derivation(classic, text + r" \in \mathbb{R}^{101\times1}", target="dL/dW2")
    assert claimed.claimed_shape == (101, 1)
    assert {"wrong-claimed-shape", "one-column"} & set(claimed.mistakes)
    assert any("read" in n and "elementwise" in n for n in check.notes)  # H2(1 − H2) read as ⊙


def test_the_question_answer_sub_expressions(classic):
    check = classic.check_derivation("dL/dW2 = [1 H1]^T (ŷ − y) W3^T H2(1 − H2)")
    shapes = {s.text: s.shape for s in check.steps}
    assert shapes["[1 H1]^T"] == (101, 1)
    assert shapes["[1 H1]^T (ŷ − y)"] == (101, 10)
    assert shapes["W3^T"] == (10, 11)
    assert shapes["H2(1 − H2)"] == (1, 10)
    assert [r["status"] for r in check.rows()].count("failed") == 1


# ------------------------------------------------- right answers, every layer, many nets
def derivative(activation: str, j: int, latex: bool = False) -> str:
    H, z = (f"H_{{{j}}}", f"z_{{{j}}}") if latex else (f"H{j}", f"z{j}")
    odot = r" \odot " if latex else " ⊙ "
    return {"sigmoid": f"{H}{odot}(1 - {H})", "tanh": f"(1 - {H}^2)",
            "relu": (r"\operatorname{relu}'" if latex else "relu'") + f"({z})"}[activation]


def expanded(n: int, k: int, activation: str, latex: bool = False) -> str:
    """δ_k written out by hand: ((ŷ − y) W_n[1:]ᵀ ⊙ f′_{n-1}) W_{n-1}[1:]ᵀ ⊙ … (no 1/B)."""
    e = r"(\hat{y} - y)" if latex else "(ŷ − y)"
    odot = r" \odot " if latex else " ⊙ "
    for j in range(n - 1, k - 1, -1):
        W = f"W_{{{j + 1}}}[1:]^\\top" if latex else f"W{j + 1}[1:]^T"
        e = f"({e} {W}{odot}{derivative(activation, j, latex)})"
    return e


NETS = [((784, 100, 10, 10), "sigmoid"), ((784, 100, 10, 10), "tanh"), ((784, 100, 10, 10), "relu"),
        ((12, 9, 8, 7, 5), "sigmoid"), ((12, 9, 8, 7, 5), "tanh"), ((12, 9, 8, 7, 6, 4), "relu"),
        ((5, 3), "sigmoid")]


@pytest.mark.parametrize("sizes,activation", NETS)
@pytest.mark.parametrize("batch", [1, 3])
def test_right_answers_for_every_layer(sizes, activation, batch):
    net, x, y, trace = make(sizes, activation, batch)
    ref = reference(net, x, y)
    n = len(sizes) - 1
    mean, mean_tex = ("", "") if batch == 1 else ("1/B ", r"\frac{1}{B} ")
    for k in range(1, n + 1):
        prev, prev_tex = ("x", "x") if k == 1 else (f"H{k - 1}", f"H_{{{k - 1}}}")
        forms = [f"dL/dW{k} = [1 {prev}]^T δ{k}", f"dL/dW{k} = [1, {prev}]ᵀ · delta_{k}",
                 f"dL/dW{k} = {mean}[1 {prev}]^T {expanded(n, k, activation)}",
                 rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = {mean_tex}[1\ {prev_tex}]^\top "
                 f"{expanded(n, k, activation, latex=True)}",
                 rf"\frac{{\partial L}}{{\partial W_{k}}} = [1\;{prev_tex}]^{{T}} \delta_{{{k}}}"]
        for text in forms:
            check = trace.check_derivation(text)
            assert check.ok and check.mistakes == (), (text, check.message)
            assert check.target == f"dL/dW{k}" and check.shape == net.weights[k - 1].shape
            np.testing.assert_allclose(check.value, ref[f"dW{k}"], rtol=2e-3, atol=1e-5)
        if k < n:
            for text in (f"dL/dz{k} = (δ{k + 1} W{k + 1}[1:]^T) ⊙ {derivative(activation, k)}",
                         f"dL/dH{k} = δ{k + 1} W{k + 1}[1:]^T"):
                check = trace.check_derivation(text)
                assert check.ok, (text, check.message)
                key = text.split(" =")[0].replace("dL/d", "d")
                np.testing.assert_allclose(check.value, ref[key], rtol=2e-3, atol=1e-6)
    top = trace.check_derivation(f"dL/dz{n} = {mean}(ŷ − y)")
    assert top.ok, top.message


def test_the_rest_of_the_question_in_right_form(classic):
    for text in ("dH2/dz2 = diag(H2 ⊙ (1 − H2)) ∈ R^{10×10}", "dz3/dH2 = W3[1:]^T ∈ R^{10×10}",
                 r"\frac{\partial H_2}{\partial z_2} = \operatorname{diag}(\sigma'(z_2))",
                 "dL/dW2 = [1 H1]^T ((ŷ − y) W3[1:]^T ⊙ H2 ⊙ (1 − H2)) ∈ R^{101×10}",
                 "dL/dW2 = [1 H1]^T (δ3 W3[1:]^T diag(H2 ⊙ (1 − H2)))",
                 "dL/dW2 = [1 H1]^T ((ŷ − y) W3[1:]^T ⊙ σ'(z2))", "dL/dz3 = ∂L/∂z3",
                 "dL/dH2 = dL/dz3 · dz3/dH2", "dL/dz2 = dL/dH2 dH2/dz2"):
        check = classic.check_derivation(text)
        assert check.ok, (text, check.message)


# ------------------------------------------------------- each mistake, hand-derived cases
CASES = [
    # (text, target, batch, the mistake a person names)
    ("dL/dW2 = [1 H1]^T δ2 )", None, 1, "parse-error"),
    ("dL/dW2 = [1 H1]^T δ2 +", None, 1, "parse-error"),
    ("dL/dW2 = [2 H1]^T δ2", None, 1, "parse-error"),
    ("dL/dW2 = [1 H1]^T δ9", None, 1, "unknown-name"),
    ("dL/dW2 = [1 H1]^T Q", None, 1, "unknown-name"),
    ("dL/dW2 = [1 H1]^T b2", None, 1, "unknown-name"),
    ("dL/dH2 = δ3 W3^T", None, 1, "bias-row-kept"),
    ("dL/dz2 = (δ3 W3^T) ⊙ H2 ⊙ (1 − H2)", None, 1, "bias-row-kept"),
    ("dz3/dH2 = W3^T", None, 1, "bias-row-kept"),
    ("dL/dz2 = dL/dH2 (H2 ⊙ (1 − H2))^T", None, 1, "elementwise-as-matrix-product"),
    ("dL/dz2 = dL/dH2 · σ'(z2)", None, 1, "elementwise-as-matrix-product"),
    ("dL/dz2 = δ3 W3[1:]^T H2", None, 1, "elementwise-as-matrix-product"),
    ("dL/dW2 = δ2 [1 H1]^T", None, 1, "wrong-order"),
    ("dL/dH2 = W3[1:]^T δ3", None, 3, "wrong-order"),
    ("dL/dW2 = [1 H1] δ2", None, 1, "transposed"),
    ("dL/dW2 = δ2^T [1 H1]", None, 1, "transposed"),
    ("dL/dH2 = δ3 W3[1:]", None, 1, "transposed"),
    ("dL/dz2 = δ3 W3[1:]^T", None, 1, "missing-derivative"),
    ("dL/dW2 = [1 H1]^T (δ3 W3[1:]^T)", None, 1, "missing-derivative"),
    ("dL/dW1 = [1 x]^T (δ2 W2[1:]^T)", None, 1, "missing-derivative"),
    ("dL/dz3 = ŷ − y", None, 4, "missing-batch-mean"),
    ("dL/dW2 = [1 H1]^T ((ŷ − y) W3[1:]^T ⊙ H2 ⊙ (1 − H2))", None, 4, "missing-batch-mean"),
    ("dL/dW2 = [1 H1]^T δ2 H2^T", None, 1, "one-column"),
    ("dL/dW2 = [1 H1]^T δ2 ∈ R^{101×1}", None, 1, "one-column"),
    ("dH2/dz2 = H2 ⊙ (1 − H2)", None, 1, "local-jacobian-as-vector"),
    ("dz2/dW2 = [1 H1]", None, 1, "local-jacobian-as-vector"),
    ("dL/dW2 = H1^T δ2", None, 1, "shape-mismatch"),
    ("dL/dW2 = [1 H1]^T δ3", None, 1, "wrong-value"),
    ("dL/dz2 = (δ3 W3[1:]^T) ⊙ (1 − H2^2)", None, 1, "wrong-value"),
    ("dL/dW2 = [1 H1]^T (δ2 ⊙ H2)", None, 1, "wrong-value"),
    ("dL/dz3 = ŷ − y ∈ R^{10×1}", None, 1, "wrong-claimed-shape"),
    ("[1 H1]^T δ2 (101x1)", "dL/dW2", 1, "wrong-claimed-shape"),
]


@pytest.mark.parametrize("text,target,batch,code", CASES)
def test_each_mistake(text, target, batch, code):
    trace = make(batch=batch)[3]
    check = trace.check_derivation(text, target)
    assert code in check.mistakes, check.message
    assert not check.ok and set(check.mistakes) <= set(MISTAKES)
    for name, explanation in check.explanations:
        assert any(w in explanation for w in FIX_WORDS), (name, explanation)


def test_every_code_is_covered():
    assert {c[3] for c in CASES} == set(MISTAKES)


def test_wrong_value_names_the_tensor(classic):
    check = classic.check_derivation("dL/dW2 = [1 H1]^T δ3")
    assert check.mistakes == ("wrong-value",)
    assert "δ3 is the wrong tensor" in check.message and "δ2" in check.message


def test_wrong_derivative_names_the_activation(classic):
    check = classic.check_derivation("dL/dz2 = (δ3 W3[1:]^T) ⊙ (1 − H2^2)")
    assert "tanh" in check.message and "sigmoid" in check.message


def test_broadcasting_is_not_elementwise_but_is_named(classic_batch, classic):
    check = classic_batch.check_derivation("dL/dz2 = dL/dH2 ⊙ H2[0:1] ⊙ (1 − H2[0:1])")
    assert not check.ok and "broadcast" in check.message and "right value" not in check.message
    # (101×10) ⊙ (1×10): broadcasting each row would give the right dL/dW2, and the message says so
    check = classic.check_derivation("dL/dW2 = [1 H1]^T (δ3 W3[1:]^T) ⊙ H2 ⊙ (1 − H2)")
    assert check.mistakes == ("shape-mismatch",)
    assert "would stretch the smaller one and give the right value" in check.message


# ------------------------------------------------------------------------ the API
def test_parse_error_points_at_the_character(classic):
    text = "dL/dW2 = [1 H1]^T δ2 $"
    check = classic.check_derivation(text)
    assert check.mistakes == ("parse-error",) and check.error_pos == text.index("$")
    assert check.message.splitlines()[-1] == "  " + " " * text.index("$") + "^"
    assert check.steps == () and check.shape is None and check.target is None


def test_ok_exactly_when_no_mistakes(classic):
    for text in ("dL/dW2 = [1 H1]^T δ2", "dL/dW2 = [1 H1] δ2", "dL/dW2 = [1 H1]^T δ2 ∈ R^{101×10}"):
        check = classic.check_derivation(text)
        assert check.ok == (check.mistakes == ())


def test_target_argument_and_inference(classic):
    assert classic.check_derivation("[1 H1]^T δ2", target="dL/dW2").ok
    assert classic.check_derivation("[1 H1]^T δ2", target="dW2").target == "dL/dW2"
    inferred = classic.check_derivation("[1 H1]^T δ2")
    assert inferred.ok and inferred.target == "dL/dW2"
    lost = classic.check_derivation("[1 H1] δ2")
    assert lost.mistakes == ("unknown-name",) and "dL/dW2 =" in lost.message


def test_markdown_and_repr(classic):
    check = classic.check_derivation("dL/dW2 = [1 H1]^T (ŷ − y) W3^T H2(1 − H2)")
    md = check.to_markdown()
    assert "| sub-expression | shape | rule |" in md and "**✗**" in md and "**bias-row-kept**" in md
    assert repr(check) == ("DerivationCheck(dL/dW2: bias-row-kept, elementwise-as-matrix-product; "
                           "shape —)")
    assert str(check) == check.message


def test_bad_arguments_raise_package_errors(classic):
    with pytest.raises(ConfigError, match="convention"):
        classic.check_derivation("x", convention="rows")
    with pytest.raises(ConfigError, match="dialect"):
        classic.check_derivation("x", dialect="python")
    with pytest.raises(ConfigError, match="text"):
        classic.check_derivation(None)


def test_local_jacobians_of_a_batch_keep_their_batch_axes(classic_batch):
    check = classic_batch.check_derivation("dz2/dW2 = [1 H1]")
    assert "local-jacobian-as-vector" in check.mistakes
    assert "4×10×101×10" in check.message  # (B, 10) outputs by W2's 101×10 entries
    assert check.expected_shape == (4, 10, 101, 10)


class _PublicOnly:
    """A trace seen only through its public API (no private attributes to read W_k from)."""

    def __init__(self, trace):
        self._t = trace
        self.names, self.batch_size, self.jacobian_pairs = trace.names, trace.batch_size, trace.jacobian_pairs

    def __getitem__(self, name):
        return self._t[name]

    def jacobian(self, of, wrt):
        return self._t.jacobian(of, wrt)

    def jacobian_info(self, of, wrt):
        return self._t.jacobian_info(of, wrt)


def test_weights_through_the_public_api_alone():
    net, x, y, trace = make()
    check = check_derivation(_PublicOnly(trace), "dL/dH2 = δ3 W3[1:]^T")
    assert check.ok, check.message
    W1 = check_derivation(_PublicOnly(trace), "W1", target="z1").value
    np.testing.assert_allclose(W1, net.weights[0], rtol=1e-4, atol=1e-5)  # bias row from z1 − x·W1[1:]
    assert check_derivation(_PublicOnly(trace), "dL/dH2 = δ3 W3^T").mistakes[0] == "bias-row-kept"
