"""The whole chain for a step: every Jacobian factor from L down, with the running product.

Shapes are counted by hand from the layer widths: for one sample ∂z_k/∂H_{k-1} is
n_k × n_{k-1}, ∂H_k/∂z_k is n_k × n_k diagonal, ∂z_k/∂W_k is n_k × (n_{k-1} + 1) × n_k.
"""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import ConfigError


def trace_of(sizes=(784, 100, 10, 10), batch=1):
    net = bl.MLP(sizes)
    x = np.random.default_rng(0).random((batch, sizes[0]), dtype=np.float32)
    return net.trace(x, np.arange(batch) % sizes[-1])


def test_the_questions_chain():
    chain = trace_of().chain("dL/dW2")
    assert [link.name for link in chain] == ["∂L/∂z3", "∂z3/∂H2", "∂H2/∂z2", "∂z2/∂W2"]
    assert [link.shape for link in chain] == [(1, 10), (10, 10), (10, 10), (10, 101, 10)]
    assert [link.structure for link in chain] == ["gradient", "dense", "diagonal", "outer"]
    assert chain.factors_text() == "1×10 · 10×10 · 10×10 diagonal · 10×101×10 outer"
    assert [link.running_shape for link in chain] == [(1, 10), (1, 10), (1, 10), (101, 10)]
    assert chain.running_text() == "∂L/∂z3 1×10 → ∂L/∂H2 1×10 → ∂L/∂z2 1×10 → ∂L/∂W2 101×10"
    assert chain.shape == (101, 10) and chain.target == "dL/dW2"


def test_running_products_are_the_traces_gradients():
    trace = trace_of()
    for name in [s for s in trace.names if s.startswith("dL/d")]:
        chain = trace.chain(name)
        assert chain.shape == trace[name].shape
        for link in chain:
            assert link.running_shape == trace["dL/d" + link.running_name[4:]].shape


@pytest.mark.parametrize("sizes", [(6, 5, 4, 3), (7, 6, 5, 4, 3, 2)])
def test_deeper_nets_by_hand(sizes):
    trace = trace_of(sizes)
    n = len(sizes) - 1
    chain = trace.chain("dL/dW1")
    expected = [(sizes[n],)]  # ∂L/∂z_n as a row: (1, n_n)
    for k in range(n, 1, -1):
        expected += [(sizes[k], sizes[k - 1]), (sizes[k - 1], sizes[k - 1])]
    expected.append((sizes[1], sizes[0] + 1, sizes[1]))
    assert [link.shape for link in chain] == [(1,) + expected[0]] + expected[1:]
    assert len(chain) == 2 * n
    assert chain.shape == (sizes[0] + 1, sizes[1])


def test_batch_chain_keeps_the_batch_axes():
    chain = trace_of(batch=3).chain("dL/dH2")
    assert [link.shape for link in chain] == [(3, 10), (3, 10, 3, 10)]
    assert chain.links[1].structure == "block-diagonal"
    assert chain.shape == (3, 10)


def test_unknown_step_names_the_choices():
    with pytest.raises(ConfigError, match="dL/dW2"):
        trace_of().chain("dL/dQ")


def test_the_questions_claimed_shapes_multiplied_in_its_order():
    from backproplab.core.derivation import shape_product

    # [1 H1]ᵀ 101×1 · (ŷ − y) 1×10 · W3ᵀ "10×10" · H2(1 − H2) "10×1": the claimed 101×1
    assert shape_product([(101, 1), (1, 10), (10, 10), (10, 1)]) == [(101, 1), (101, 10), (101, 10), (101, 1)]
    # with the true shapes, W3ᵀ is 10×11 and the product breaks at H2(1 − H2) 1×10
    assert shape_product([(101, 1), (1, 10), (10, 11), (1, 10)]) == [(101, 1), (101, 10), (101, 11), None]
    assert shape_product([(1, 10), (10, 101, 10)]) == [(1, 10), (1, 101, 10)]
    assert shape_product([]) == []
