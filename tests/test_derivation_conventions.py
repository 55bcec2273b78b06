"""Issue 16's part of the checker: course conventions and the NumPy dialect.

Each expected value is derived by hand from the stated mapping to the stored weights
(column convention: W = W_k[1:]ᵀ, b = W_k[0]ᵀ, A_k = H_kᵀ; row-separate: W = W_k[1:]ᵀ,
b = W_k[0]) and compared with an independent float64 pass.
"""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from backproplab.core.derivation import check_derivation
from backproplab.core.derivation.grammar import detect_dialect

from test_derivation_check import make, reference


@pytest.fixture(scope="module")
def ng():
    """The classic network, a batch of 5 (m = 5), and its independent reference."""
    net, x, y, trace = make(batch=5, seed=3)
    return trace, reference(net, x, y), net


@pytest.fixture(scope="module")
def ng_tanh():
    net, x, y, trace = make((20, 8, 6, 4), "tanh", batch=4, seed=5)
    return trace, reference(net, x, y), net


NG_RIGHT = [
    ("dZ3 = A3 - Y", lambda r, m: m * r["dz3"].T),
    ("dW3 = 1/m * np.dot(dZ3, A2.T)", lambda r, m: r["dW3"][1:].T),
    ("db3 = 1/m * np.sum(dZ3, axis=1, keepdims=True)", lambda r, m: r["dW3"][:1].T),
    ("dA2 = np.dot(W3.T, dZ3)", lambda r, m: m * r["dH2"].T),
    ("dZ2 = np.dot(W3.T, dZ3) * A2 * (1 - A2)", lambda r, m: m * r["dz2"].T),
    ("dZ2 = np.multiply(np.dot(W3.T, dZ3), A2 * (1 - A2))", lambda r, m: m * r["dz2"].T),
    ("dW2 = 1/m * np.dot(dZ2, A1.T)", lambda r, m: r["dW2"][1:].T),
    ("dW2 = (1 / m) * dZ2 @ A1.T", lambda r, m: r["dW2"][1:].T),
    ("db2 = 1/m * np.sum(dZ2, axis=1, keepdims=True)", lambda r, m: r["dW2"][:1].T),
    ("dW1 = 1/m * np.dot(dZ1, X.T)", lambda r, m: r["dW1"][1:].T),
    ("dW^{[1]} = \\frac{1}{m} dZ^{[1]} A^{[0]T}", lambda r, m: r["dW1"][1:].T),
    ("\\frac{\\partial L}{\\partial W^{[2]}} = \\frac{1}{m} dZ^{[2]} (A^{[1]})^T", lambda r, m: r["dW2"][1:].T),
    ("δ2 = ((W3)^T δ3) ⊙ σ'(Z2)", lambda r, m: r["dz2"].T),
    ("δ2 = ((W^{[3]})^T δ^{[3]}) ⊙ σ'(z^{[2]})", lambda r, m: r["dz2"].T),
    ("dL/dZ2 = W3^T δ3 ⊙ A2 ⊙ (1 − A2)", lambda r, m: r["dz2"].T),
]


@pytest.mark.parametrize("text,expected", NG_RIGHT)
def test_column_convention_right_derivations(ng, text, expected):
    trace, ref, _ = ng
    check = trace.check_derivation(text, convention="column")
    assert check.ok, check.message
    np.testing.assert_allclose(check.value, expected(ref, 5), rtol=2e-3, atol=1e-6)


def test_ng_reading_is_stated(ng):
    check = ng[0].check_derivation("dZ3 = A3 - Y", convention="column")
    assert any("Ng's reading" in n and "per-sample" in n for n in check.notes)


def test_tanh_in_numpy(ng_tanh):
    trace, ref, _ = ng_tanh
    check = trace.check_derivation("dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))", convention="column")
    assert check.ok, check.message
    np.testing.assert_allclose(check.value, 4 * ref["dz1"].T, rtol=2e-3, atol=1e-6)
    assert trace.check_derivation("dZ1 = np.dot(W2.T, dZ2) * (1 - A1 ** 2)", convention="column").ok


ROW_SEPARATE_RIGHT = [
    ("dW2 = δ2ᵀ H1", lambda r: r["dW2"][1:].T),
    ("dL/dW2 = delta2.T @ H1", lambda r: r["dW2"][1:].T),
    ("db2 = np.sum(δ2, axis=0, keepdims=True)", lambda r: r["dW2"][:1]),
    ("dL/dH1 = δ2 W2", lambda r: r["dH1"]),
    ("dL/dz1 = (δ2 W2) ⊙ H1 ⊙ (1 − H1)", lambda r: r["dz1"]),
]


@pytest.mark.parametrize("text,expected", ROW_SEPARATE_RIGHT)
def test_row_separate_right_derivations(ng, text, expected):
    trace, ref, _ = ng
    check = trace.check_derivation(text, convention="row-separate")
    assert check.ok, check.message
    np.testing.assert_allclose(check.value, expected(ref), rtol=2e-3, atol=1e-6)


def test_names_map_to_the_stored_weights(ng):
    trace, _, net = ng
    W2 = net.weights[1].astype(np.float64)
    for convention, text, expected in [("column", "W2", W2[1:].T), ("column", "b2", W2[:1].T),
                                       ("row-separate", "W2", W2[1:].T), ("row-separate", "b2", W2[:1]),
                                       ("row-folded", "W2", W2)]:
        check = trace.check_derivation(text, target="z2", convention=convention)
        np.testing.assert_array_equal(check.value, expected)
    A1 = trace.check_derivation("A1", target="z2", convention="column").value
    np.testing.assert_array_equal(A1, trace["H1"].value.T)


COLUMN_MISTAKES = [
    ("dW2 = np.dot(dZ2, A1.T)", "missing-batch-mean"),
    ("dW2 = 1/m * np.dot(A1.T, dZ2)", "wrong-order"),
    ("dW2 = 1/m * np.dot(dZ2, A1)", "transposed"),
    ("dZ1 = np.dot(W2, dZ2) * A1 * (1 - A1)", "transposed"),
    ("dZ2 = np.dot(W3.T, dZ3) @ (A2 * (1 - A2)).T", "elementwise-as-matrix-product"),
    ("dZ2 = np.dot(W3.T, dZ3)", "missing-derivative"),
    ("dW2 = 1/m * np.dot(dZ2, Z1.T)", "wrong-value"),
    ("dZ2 = np.dot(W3.T, dZ3) * (1 - np.power(A2, 2))", "wrong-value"),
    ("dW2 = 1/m * np.dot(dZ2, A1.T) ∈ R^{100×10}", "wrong-claimed-shape"),
    ("dW2 = 1/m * np.dot(dZ2, A1.T) + dZ2", "shape-mismatch"),
    ("dW9 = dZ9", "unknown-name"),
    ("dW2 = np.dot(dZ2 A1.T)", "parse-error"),
]


@pytest.mark.parametrize("text,code", COLUMN_MISTAKES)
def test_column_mistakes(ng, text, code):
    check = ng[0].check_derivation(text, convention="column")
    assert code in check.mistakes, check.message


def test_wrong_tensor_is_named(ng):
    check = ng[0].check_derivation("dW2 = 1/m * np.dot(dZ2, Z1.T)", convention="column")
    assert "Z1 is the wrong tensor" in check.message and "A1" in check.message


def test_dialect_detection_and_star():
    assert detect_dialect("np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))") == "numpy"
    assert detect_dialect("dZ2 @ A1.T") == "numpy"
    assert detect_dialect("[1 H1]^T * δ2") == "math"
    trace = make()[3]
    assert trace.check_derivation("dL/dH2 = δ3 * W3[1:]^T").ok  # * is a matrix product in math
    as_numpy = trace.check_derivation("dL/dH2 = δ3 * W3[1:]^T", dialect="numpy")
    assert not as_numpy.ok and as_numpy.dialect == "numpy"  # elementwise: 1×10 * 10×10 broadcasts
    assert "broadcast" in as_numpy.message and as_numpy.shape == (10, 10)
    # NumPy's broadcasting makes the outer product of a column and a row: right, and said so
    outer = trace.check_derivation("dL/dW2 = [1 H1]^T * δ2", dialect="numpy")
    assert outer.ok and any("broadcasts 101×1 * 1×10" in n for n in outer.notes)


def test_numpy_text_is_never_run(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the checker ran Python")

    trace = make()[3]
    trace.check_derivation("dW2 = np.dot(dZ2, A1.T)", convention="column")  # imports compile source
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", refuse)
    hostile = ["__import__('os').system('echo hacked')", "np.system('ls')", "np.dot.__class__",
               "eval('1+1')", "exec(open('x').read())", "dW2 = np.load('x.npy')",
               "(lambda: 0)()", "os.system('ls')", "np.dot(W2, W2)[0].__reduce__()"]
    for text in hostile:
        check = check_derivation(trace, text, convention="column")
        assert not check.ok and check.mistakes[0] in ("parse-error", "unknown-name"), text


def test_nielsen_layer_letter_is_checked_at_every_layer():
    net, x, y, trace = make((12, 9, 8, 7, 5), seed=2)
    right = trace.check_derivation("δ^l = ((w^{l+1})^T δ^{l+1}) ⊙ σ'(z^l)", convention="column")
    assert right.ok and "l = 1, 2, 3" in right.notes[-1]  # the hidden layers; w^5 does not exist
    ng = trace.check_derivation("dW^{[l]} = 1/m * np.dot(dZ^{[l]}, A^{[l-1]}.T)", convention="column")
    assert ng.ok and "l = 1, 2, 3, 4" in ng.notes[-1]
    wrong = trace.check_derivation("δ^l = (w^{l+1} δ^{l+1}) ⊙ σ'(z^l)", convention="column")
    assert not wrong.ok and "transposed" in wrong.mistakes and "l = 1" in wrong.notes[-1]
    nowhere = trace.check_derivation("δ^l = w^{l+9}", convention="column")
    assert nowhere.mistakes == ("unknown-name",)
