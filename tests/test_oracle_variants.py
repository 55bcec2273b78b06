"""The autograd oracle of tests/test_oracle.py on the networks without biases and
with a sigmoid output + quadratic cost: every trace value, local Jacobian, gradient
and stated shape against PyTorch float64 autograd (torch float32 for float32 traces).

Needs the ``oracle`` extra, like tests/test_oracle.py.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import backproplab as bl  # noqa: E402
from test_oracle import check_trace_texts, disagreement, torch_jacobians, torch_pass  # noqa: E402

N_NETWORKS = 300  # 100 of each variant
VARIANTS = [dict(loss="quadratic"), dict(bias=False), dict(loss="quadratic", bias=False)]


def random_case(seed: int):
    """As test_oracle.random_case, for the variant ``seed % 3``."""
    r = np.random.default_rng(10_000 + seed)
    depth = int(r.integers(1, 5))
    sizes = [int(r.integers(1, 41))] + [int(r.integers(1, 41)) for _ in range(depth)] + [int(r.integers(2, 11))]
    act = ["sigmoid", "tanh", "relu"][(seed // 3) % 3]
    dtype = np.float32 if (seed // 9) % 2 else np.float64
    net = bl.MLP(sizes, activation=act, seed=seed, dtype=dtype, **VARIANTS[seed % 3])
    saturated = r.random() < 0.15
    if saturated:
        net.set_weights([W * r.uniform(20, 200) for W in net.weights])
    B = int(r.integers(1, 10))
    x = r.standard_normal((B, sizes[0])) * (3 if saturated else 1)
    return net, x.astype(dtype), r.integers(0, sizes[-1], B), saturated


def test_the_oracle_tells_the_quadratic_cost_from_a_wrong_one(monkeypatch):
    """Sanity: a quadratic cost without its ½ (so every gradient twice too large) is caught."""
    from backproplab.core.quadratic import Quadratic

    net = bl.MLP((4, 3, 2), loss="quadratic", dtype=np.float64, seed=1)
    x, y = np.random.default_rng(0).random((2, 4)), np.array([0, 1])
    t64 = torch_pass(net.weights, x, y, "sigmoid", torch.float64, loss="quadratic")
    assert max(disagreement(s.value, t64[s.name]) for s in net.trace(x, y)) <= 1
    backward = Quadratic.backward
    monkeypatch.setattr(Quadratic, "backward", staticmethod(lambda dL, cache: 2 * backward(dL, cache)))
    monkeypatch.setattr(net._head.fused, "backward",
                        staticmethod(lambda dL, cache, f=net._head.fused.backward: 2 * f(dL, cache)))
    assert max(disagreement(s.value, t64[s.name]) for s in net.trace(x, y)) > 1


@pytest.mark.parametrize("block", range(3))
def test_every_number_and_every_stated_shape_agree_with_autograd(block):
    shapes_checked = 0
    for seed in range(block, N_NETWORKS, 3):
        net, x, y, _ = random_case(seed)
        trace = net.trace(x, y)
        kind = np.dtype(net.dtype).name
        opts = dict(loss=net.loss_name, bias=net.bias)
        t64 = torch_pass(trace.weights, trace["x"].value, trace.labels, net.activation, torch.float64, **opts)
        t32 = None
        if kind == "float32":
            t32 = torch_pass(trace.weights, trace["x"].value, trace.labels, net.activation, torch.float32, **opts)
        assert set(t64) == set(trace.names), (set(t64) ^ set(trace.names))
        M = max(1.0, float(np.abs(trace["x"].value).max()), *(float(np.abs(W).max()) for W in trace.weights))
        G = 1.0 / trace.batch_size
        for s in trace:
            floor = 0.0
            if s.name == "L":
                floor = 16 * np.finfo(np.float64).eps * max(1.0, abs(float(t64["L"])))
            if s.phase == "backward":
                G = max(G, float(np.abs(t64[s.name]).max()))
                floor = 1e3 * np.finfo(np.float64).eps * G * M
            d = disagreement(s.value, t64[s.name], None if t32 is None else t32[s.name], floor=floor)
            assert d <= 1, (seed, s.name, d, repr(net))
        j64 = torch_jacobians(trace, net.activation)
        j32 = {}
        if kind == "float32":
            j32 = torch_jacobians(trace, net.activation, torch.float32, only_activations=True)
        assert set(j64) == set(trace.jacobian_pairs)
        for pair, J in j64.items():
            with np.errstate(all="ignore"):
                ours = trace.jacobian(*pair)
            assert ours.shape == J.shape == trace.jacobian_info(*pair).shape, (seed, pair)
            cancels = pair[0][0] == "H" or pair[0] == "y_hat" or pair[1][0] == "z"
            d = disagreement(ours, J, j32.get(pair), same_point32=kind == "float32" and pair not in j32,
                             floor=64 * np.finfo(np.float64).eps if cancels else 0.0)
            assert d <= 1, (seed, pair, d, repr(net))
        if seed < 60:
            shapes_checked += check_trace_texts(trace)
    assert shapes_checked > 300
