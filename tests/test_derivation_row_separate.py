"""The derivation checker in PyTorch's row-separate convention (z = x Wᵀ + b, W is n_out × n_in).

Each case is derived by hand from the shapes, for the classic network and a batch of 2:
δ2 = ∂L/∂z2 (mean loss) is 2×10, H1 2×100, W2 10×100, so ∂L/∂W2 = δ2ᵀ H1 is 10×100.
"""

import numpy as np
import pytest

import backproplab as bl


@pytest.fixture(scope="module")
def trace():
    x = np.random.default_rng(0).random((2, 784), dtype=np.float32)
    return bl.MLP(seed=0).trace(x, [3, 7])


RIGHT = ["dL/dW2 = δ2^T H1", "dL/dz3 = (ŷ - y)/B", "dL/dH1 = δ2 W2", "dL/dz1 = (δ2 W2) ⊙ H1 ⊙ (1 - H1)"]

MISTAKES = [
    ("dL/dW2 = H1^T δ2", "transposed"),  # 100×10: the transpose of the right 10×100
    ("dL/dW2 = δ2 H1^T", "wrong-order"),  # 2×10 · 100×2 does not fit; δ2ᵀ H1 does
    ("dL/dH1 = δ2 W2^T", "transposed"),  # 2×10 · 100×10: W2 is already n_out × n_in
    ("dL/dz1 = δ2 W2", "missing-derivative"),  # that is ∂L/∂H1: σ′ is missing
    ("dL/dz1 = (δ2 W2) (H1 ⊙ (1 - H1))^T", "elementwise-as-matrix-product"),  # 2×100 · 100×2 → 2×2
    ("dL/dz3 = ŷ - y", "missing-batch-mean"),  # B = 2: the mean loss's gradient carries 1/B
    ("dL/dW2 = δ2^T z1", "wrong-value"),  # z1 where H1 belongs: same shape, other values
    ("dL/dW2 = δ2^T H1 ∈ R^{100×10}", "wrong-claimed-shape"),  # right value, wrong claim
]


@pytest.mark.parametrize("text", RIGHT)
def test_right_derivations_are_accepted(trace, text):
    check = trace.check_derivation(text, convention="row-separate")
    assert check.ok and check.mistakes == (), check.message


@pytest.mark.parametrize(("text", "code"), MISTAKES)
def test_each_mistake_is_named(trace, text, code):
    check = trace.check_derivation(text, convention="row-separate")
    assert not check.ok and code in check.mistakes, check.message


def test_the_right_gradient_is_the_stored_one_transposed(trace):
    check = trace.check_derivation("dL/dW2 = δ2^T H1", convention="row-separate")
    np.testing.assert_allclose(check.value, trace["dL/dW2"].value[1:].T, rtol=1e-6)  # W2 = W[1:]ᵀ
