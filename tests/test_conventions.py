"""A recorded pass in the row-folded, row-separate and column conventions.

Every shape a view's texts state is parsed out and compared with the array it
names; the views' gradients are compared with float64 central differences of
the loss written out in that convention; converting back gives the stored
weights; the course names obey the courses' own formulas.
"""

import re

import numpy as np
import pytest

from backproplab import MLP
from backproplab.core.conventions import (CONVENTIONS, course_arrays, mapping, params_from_stored,
                                          params_to_stored)
from backproplab.errors import ConfigError, ShapeError

rng = np.random.default_rng(5)

NETWORKS = {
    "classic": dict(sizes=(784, 100, 10, 10)),
    "no-bias": dict(sizes=(6, 5, 4, 3), bias=False, activation="tanh"),
    "quadratic": dict(sizes=(6, 5, 4, 3), loss="quadratic"),
    "quadratic-no-bias": dict(sizes=(6, 5, 3), loss="quadratic", bias=False, activation="relu"),
}


def recorded(kind, B, dtype=np.float64):
    kw = dict(NETWORKS[kind])
    sizes = kw.pop("sizes")
    net = MLP(sizes, dtype=dtype, seed=4, **kw)
    for W in net.weights:
        W += (rng.standard_normal(W.shape) * 0.2).astype(W.dtype)  # non-zero biases
    X = rng.random((B, sizes[0]))
    y = rng.integers(0, sizes[-1], size=B)
    return net, X, y, net.trace(X, y)


# ----------------------------------------------------------- parsing shapes
SHAPE = r"(?P<shape>\d+(?:×\d+)*|scalar)(?:, (?P<struct>[a-z-]+))?"
NAME = (r"(?P<name>\[1 [\wŷ]+\]ᵀ?|\(1 − [\wŷ]+²?\)|1\[z\d+ > 0\]|[\wŷ]+\(1 − [\wŷ]+\)"
        r"|∂[\wŷ]+/∂[\wŷ]+|[\wŷδ]+(?:\[1:\])?ᵀ?)")
NAMED_SHAPE = re.compile(rf"(?<![\w\]\\]){NAME} \({SHAPE}\)")


def parse_shape(text):
    return () if text == "scalar" else tuple(int(n) for n in text.split("×"))


def quantity(name):
    """The step a symbol names: "ŷ" -> "y_hat", "δ2" -> "dL/dz2"."""
    if name == "ŷ":
        return "y_hat"
    if name.startswith("δ"):
        return f"dL/dz{name[1:]}"
    return name


def expected_shape(view, name, struct):
    """The shape of the array ``name`` in ``view``, found independently of the texts."""
    B = view.batch_size
    if name.endswith("ᵀ") and not name.startswith("["):
        return expected_shape(view, name[:-1], struct)[::-1]
    if name.startswith("∂L/∂"):
        step = view[f"dL/d{quantity(name[4:])}"] if f"dL/d{quantity(name[4:])}" in view.names else \
            view[quantity(name[4:])]
        shape = step.shape
        return shape[1:] if struct == "gradient" and B == 1 and view.convention != "column" else (
            shape[:1] if struct == "gradient" and B == 1 else shape)
    if name.startswith("∂"):
        of, wrt = (quantity(p) for p in name[1:].split("/∂"))
        info = view.jacobian_info(of, wrt)
        if info.entries <= 200_000:  # the materialised tensor too, where it is small
            assert view.jacobian(of, wrt).shape == info.shape, name
        return info.shape
    m = re.fullmatch(r"\[1 ([\wŷ]+)\](ᵀ?)", name)
    if m:
        n = view[m.group(1)].shape[1] + 1
        return (n, B) if m.group(2) else (B, n)
    m = re.fullmatch(r"W(\d+)\[1:\]", name)
    if m:
        W = view.weights[int(m.group(1)) - 1]
        return (W.shape[0] - 1, W.shape[1])
    m = re.fullmatch(r"\(1 − ([A-Za-zŷ]+\d*)²?\)|1\[(z\d+) > 0\]|([\wŷ]+)\(1 − [\wŷ]+\)", name)
    if m:
        return view[quantity(next(g for g in m.groups() if g))].shape
    if re.fullmatch(r"W\d+", name):
        return view.weights[int(name[1:]) - 1].shape
    if re.fullmatch(r"b\d+", name):
        return view.biases[int(name[1:]) - 1].shape
    if name in ("y", "ŷ"):
        return view["y_hat"].shape
    if name == "labels":
        return (B,)
    if name == "1":
        return (B, 1)
    return view[quantity(name)].shape


def all_texts(view):
    """Every text the view renders, one string each."""
    texts = [str(view), view.to_markdown(), view.to_latex()]
    for s in view:
        texts += [s.product_text(), s.dimension_check(), s.chain_text(), s.to_markdown(), s.to_latex()]
        texts += s.ledger()
    return texts


def check_stated_shapes(view):
    """Parse every "name (shape)" and every result shape out of every text; return how many were checked."""
    checked = 0
    for text in all_texts(view):
        for m in NAMED_SHAPE.finditer(text):
            got = parse_shape(m.group("shape"))
            assert got == expected_shape(view, m.group("name"), m.group("struct")), (m.group(0), text)
            checked += 1
    for s in view:
        product = s.product_text()
        if product:
            m = re.search(r"= (\d+(?:×\d+)*|scalar)(?: = shape of (\w+))?$", product)
            assert parse_shape(m.group(1)) == s.shape, product
            if m.group(2):
                assert expected_shape(view, m.group(2), None) == s.shape
            checked += 1
        check = s.dimension_check()
        m = re.search(r"inner dimensions (\d+) = (\d+) ✓; result (\d+)×(\d+)", check)
        if m:
            assert m.group(1) == m.group(2) and (int(m.group(3)), int(m.group(4))) == s.shape, check
        assert "✗" not in check
        m = re.search(r" = (\d+(?:×\d+)*), summed over the", s.chain_text())
        if m:
            g, J = s.factors
            assert parse_shape(m.group(1)) == J.shape[len(g.shape):]
            row = re.search(r"as a (?:row|column), (\d+(?:×\d+)*)", s.chain_text())
            if row:
                assert f"as a {'column' if view.convention == 'column' else 'row'}," in s.chain_text()
            assert parse_shape(row.group(1) if row else m.group(1)) == s.shape, s.chain_text()
        tex = re.search(r"\\qquad \(([^)]*)\)", s.to_latex()).group(1)
        assert tex == (r"\times".join(map(str, s.shape)) or r"\text{scalar}")
        assert f"shape {parse_shape_text(s.shape)})" in s.to_markdown()
    rows = [line.split() for line in str(view).splitlines()[3 if view.convention != "row-folded" else 2:]]
    assert [(r[2], r[3]) for r in rows] == [(s.name, parse_shape_text(s.shape)) for s in view]
    latex_rows = re.findall(r"&& ([^\\\n]*(?:\\times[^\\\n]*)*|\\text\{scalar\}) \\\\|&& (.*)\n\\end", view.to_latex())
    assert len(latex_rows) == len(view)
    return checked


def parse_shape_text(shape):
    return "×".join(map(str, shape)) or "scalar"


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("kind,B", [("classic", 1), ("classic", 2), ("no-bias", 1), ("no-bias", 3),
                                    ("quadratic", 1), ("quadratic", 3), ("quadratic-no-bias", 2)])
def test_every_stated_shape_is_the_shape_of_the_array_it_names(kind, B, convention):
    net, X, y, trace = recorded(kind, B, dtype=np.float32)
    view = trace.view(convention)
    assert view.convention == convention
    checked = check_stated_shapes(view)
    assert checked > 6 * len(view)  # the parser saw the texts, not nothing


def test_the_parser_catches_a_wrong_shape():
    net, X, y, trace = recorded("no-bias", 2)
    view = trace.view("column")
    step = view["dL/dW2"]
    bad = type(step)(**{**step.__dict__, "operands": (step.operands[0], step.operands[1].__class__(
        step.operands[1].name, step.operands[1].shape[::-1]))})
    assert NAMED_SHAPE.search(bad.product_text())
    with pytest.raises(AssertionError):
        for m in NAMED_SHAPE.finditer(bad.product_text()):
            assert parse_shape(m.group("shape")) == expected_shape(view, m.group("name"), m.group("struct"))


# ------------------------------------------------------------ the arrays
def test_the_column_view_of_the_classic_network_has_the_courses_shapes():
    net, X, y, trace = recorded("classic", 1, dtype=np.float32)
    col, sep = trace.view("column"), trace.view("row-separate")
    assert [W.shape for W in col.weights] == [(100, 784), (10, 100), (10, 10)]
    assert [b.shape for b in col.biases] == [(100, 1), (10, 1), (10, 1)]
    assert [b.shape for b in sep.biases] == [(100,), (10,), (10,)]
    assert col["x"].shape == (784, 1) and col["dL/dW2"].shape == (10, 101 - 1)
    assert col["dL/db2"].shape == (10, 1) and sep["dL/db2"].shape == (10,)
    assert col.names[:8] == trace.names[:8]
    assert "W_k = W[1:]ᵀ" in str(col) and "b_k = W[0]ᵀ" in str(col)
    assert str(col).count("mapping:") == 1


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("kind", list(NETWORKS))
def test_converting_back_gives_the_stored_weights_and_gradients(kind, convention):
    net, X, y, trace = recorded(kind, 2)
    view = trace.view(convention)
    params = list(zip(view.weights, view.biases if convention != "row-folded" else [None] * len(view.weights)))
    for W, V in zip(params_to_stored(params, convention, bias=net.bias), net.weights):
        np.testing.assert_array_equal(W, V)
    n = len(net.weights)
    grads = [(view[f"dL/dW{k}"].value, view[f"dL/db{k}"].value if f"dL/db{k}" in view.names else None)
             for k in range(1, n + 1)]
    for G, V in zip(params_to_stored(grads, convention, bias=net.bias), (trace[f"dL/dW{k}"].value for k in range(1, n + 1))):
        np.testing.assert_array_equal(G, V)
    for W, (Wc, bc) in zip(net.weights, params_from_stored(net.weights, convention, bias=net.bias)):
        if convention != "row-folded" and net.bias:
            np.testing.assert_array_equal(Wc, W[1:].T)
            np.testing.assert_array_equal(bc.ravel(), W[0])
            assert bc.shape == ((W.shape[1], 1) if convention == "column" else (W.shape[1],))
        elif convention != "row-folded":
            np.testing.assert_array_equal(Wc, W.T)
            assert bc is None


def test_params_to_stored_refuses_a_bias_of_the_wrong_shape():
    W = np.zeros((3, 4))
    with pytest.raises(ShapeError, match=r"b1 must have shape \(3, 1\)"):
        params_to_stored([(W, np.zeros(3))], "column")
    with pytest.raises(ConfigError, match="row-separate"):
        params_from_stored([W], "columns")


# ------------------------------------------------- loss in each convention
def act(name):
    return {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
            "relu": lambda z: np.maximum(z, 0)}[name]


def loss_in(convention, params, X, y, *, activation, loss):
    """The batch-mean loss written out in ``convention`` (float64), from that convention's arrays."""
    f = act(activation)
    A = X.T if convention == "column" else X
    for k, (W, b) in enumerate(params):
        if convention == "column":
            z = W @ A + (0 if b is None else b)  # (n_out, B)
        else:
            z = A @ W.T + (0 if b is None else b)  # (B, n_out)
        A = f(z) if k < len(params) - 1 else z
    Z = A.T if convention == "column" else A  # (B, C), only to score it
    Y = np.eye(Z.shape[1])[y]
    if loss == "quadratic":
        return float(np.sum((act("sigmoid")(Z) - Y) ** 2) / (2 * len(y)))
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(y)), y]))


def central(f, a, eps=1e-6):
    a = np.array(a, dtype=np.float64)
    g = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = f(a)
        a[idx] = old - eps
        down = f(a)
        a[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


@pytest.mark.parametrize("convention", ["row-separate", "column"])
@pytest.mark.parametrize("kind", ["no-bias", "quadratic", "quadratic-no-bias"])
@pytest.mark.parametrize("B", [1, 3])
def test_gradients_agree_with_central_differences_of_the_loss_in_each_convention(kind, convention, B):
    net, X, y, trace = recorded(kind, B)
    view = trace.view(convention)
    params = [(np.array(W), None if b is None else np.array(b)) for W, b in zip(view.weights, view.biases)]
    L = lambda ps: loss_in(convention, ps, X, y, activation=net.activation, loss=net.loss_name)  # noqa: E731
    assert L(params) == pytest.approx(float(view["L"].value), rel=1e-12)
    for k, (W, b) in enumerate(params, start=1):
        num = central(lambda w: L(params[:k - 1] + [(w, b)] + params[k:]), W)
        np.testing.assert_allclose(view[f"dL/dW{k}"].value, num, atol=1e-8)
        if b is not None:
            num = central(lambda c: L(params[:k - 1] + [(W, c)] + params[k:]), b)
            np.testing.assert_allclose(view[f"dL/db{k}"].value, num, atol=1e-8)
    # the forward values in the convention's own layout
    first = params[0]
    z1 = first[0] @ (X.T if convention == "column" else X.T) if convention == "column" else X @ first[0].T
    z1 = z1 + (0 if first[1] is None else first[1])
    np.testing.assert_allclose(view["z1"].value, z1, rtol=1e-12)


def test_classic_gradients_agree_with_central_differences_on_sampled_entries():
    net, X, y, trace = recorded("classic", 2)
    for convention in ("row-separate", "column"):
        view = trace.view(convention)
        params = [(np.array(W), np.array(b)) for W, b in zip(view.weights, view.biases)]
        L = lambda ps: loss_in(convention, ps, X, y, activation="sigmoid", loss="cross_entropy")  # noqa: E731
        for k, (W, b) in enumerate(params, start=1):
            rows = rng.choice(W.shape[0], size=3, replace=False)
            for i in rows:
                j = int(np.argmax(np.abs(view[f"dL/dW{k}"].value[i])))
                for which, arr in (("W", W), ("b", b)):
                    idx = (i, j) if which == "W" else ((i, 0) if convention == "column" else (i,))
                    eps, old = 1e-6, arr[idx]
                    arr[idx] = old + eps
                    up = L(params)
                    arr[idx] = old - eps
                    down = L(params)
                    arr[idx] = old
                    got = view[f"dL/d{which}{k}"].value[idx]
                    assert got == pytest.approx((up - down) / (2 * eps), abs=1e-8)


@pytest.mark.parametrize("convention", ["row-separate", "column"])
@pytest.mark.parametrize("kind,B", [("classic", 1), ("no-bias", 2), ("quadratic", 2)])
def test_view_jacobians_match_central_differences_in_the_convention(kind, B, convention):
    net, X, y, trace = recorded(kind, B)
    view = trace.view(convention)
    col = convention == "column"
    k = 2
    W = np.array(view.weights[k - 1])
    b = view.biases[k - 1]
    H = view["H1"].value

    def z(W=W, H=H, b=b):
        out = W @ H if col else H @ W.T
        return out + (0 if b is None else b)

    def jac(f, a):  # central differences, one sample's row or column read as a vector
        a = np.array(a, dtype=np.float64)
        cols = []
        for idx in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[idx] = 1e-6
            cols.append((f(a + d) - f(a - d)) / 2e-6)
        J = np.stack(cols, axis=-1).reshape(f(a).shape + a.shape)
        return J

    if kind == "classic":  # 10×10×100 for ∂z2/∂W2 at B = 1: small enough
        pass
    cases = [("W2", lambda w: z(W=w), W), ("H1", lambda h: z(H=h), H)]
    if b is not None:
        cases.append(("b2", lambda c: z(b=c), np.array(b)))
    for wrt, f, a in cases:
        J = view.jacobian("z2", wrt)
        num = jac(f, a)
        assert J.size == num.size and J.shape == view.jacobian_info("z2", wrt).shape
        np.testing.assert_allclose(J, num.reshape(J.shape), atol=1e-8, err_msg=wrt)
        g = view["dL/dz2"].value
        g = g.ravel() if B == 1 else g
        wants = {"W2": "dL/dW2", "H1": "dL/dH1", "b2": "dL/db2"}[wrt]
        np.testing.assert_allclose(np.tensordot(g, J, axes=g.ndim).reshape(view[wants].shape),
                                   view[wants].value, atol=1e-12)


# --------------------------------------------------------- course names
def test_course_names_obey_ngs_vectorised_formulas_in_the_column_convention():
    net, X, y, trace = recorded("classic", 4)
    names = course_arrays(trace.view("column"))
    m = float(names["m"].value)
    assert m == 4
    v = {k: a.value for k, a in names.items()}
    np.testing.assert_allclose(v["dZ3"], v["A3"] - v["Y"], atol=1e-12)  # no 1/m in Ng's dZ
    for k in (3, 2, 1):
        A_prev = v[f"A{k - 1}"]
        np.testing.assert_allclose(v[f"dW{k}"], 1 / m * np.dot(v[f"dZ{k}"], A_prev.T), atol=1e-12)
        np.testing.assert_allclose(v[f"db{k}"], 1 / m * np.sum(v[f"dZ{k}"], axis=1, keepdims=True), atol=1e-12)
    for k in (2, 1):  # dZ1 = W2ᵀ dZ2 * A1 (1 − A1), elementwise *
        np.testing.assert_allclose(v[f"dZ{k}"], np.dot(v[f"W{k + 1}"].T, v[f"dZ{k + 1}"]) * v[f"A{k}"] * (1 - v[f"A{k}"]),
                                   atol=1e-12)
    assert names["dZ2"].scale == 4 and names["dZ2"].step == "dL/dz2"
    np.testing.assert_allclose(v["delta2"], v["dZ2"] / m, atol=1e-15)


def test_course_names_obey_nielsens_equations_for_one_sample():
    net, X, y, trace = recorded("quadratic", 1)
    v = {k: a.value for k, a in course_arrays(trace.view("column")).items()}
    sp = lambda z: act("sigmoid")(z) * (1 - act("sigmoid")(z))  # noqa: E731  σ′
    # BP1: δ^L = ∇_a C ⊙ σ′(z^L); BP2: δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l); BP3, BP4
    np.testing.assert_allclose(v["delta3"], (v["a3"] - v["y"]) * sp(v["z3"]), atol=1e-12)
    for k in (2, 1):
        np.testing.assert_allclose(v[f"delta{k}"], (v[f"W{k + 1}"].T @ v[f"delta{k + 1}"]) * sp(v[f"z{k}"]),
                                   atol=1e-12)
    for k in (3, 2, 1):
        np.testing.assert_allclose(v[f"db{k}"], v[f"delta{k}"], atol=1e-15)
        np.testing.assert_allclose(v[f"dW{k}"], v[f"delta{k}"] @ v[f"a{k - 1}"].T, atol=1e-12)


def test_course_names_in_the_row_conventions():
    net, X, y, trace = recorded("no-bias", 3)
    folded = course_arrays(trace)
    assert "b1" not in folded and folded["W1"].value.shape == (6, 5)
    sep = course_arrays(trace.view("row-separate"))
    v = {k: a.value for k, a in sep.items()}
    assert v["W1"].shape == (5, 6) and "b1" not in v
    np.testing.assert_allclose(v["dW2"], v["dZ2"].T @ v["A1"] / 3, atol=1e-12)  # PyTorch: grad = δᵀ · input
    np.testing.assert_allclose(v["Y"].sum(axis=1), 1)


# ------------------------------------------------------------ the view itself
def test_views_are_read_only_and_switch_with_one_call():
    net, X, y, trace = recorded("quadratic", 2, dtype=np.float32)
    col = trace.view("column")
    assert trace.view("row-folded") is trace and col.view("row-folded") is trace
    assert col.view("row-separate").convention == "row-separate"
    assert col.source is trace and col.batch_size == 2
    for s in col:
        assert not s.value.flags.writeable
    for a in col.weights + tuple(b for b in col.biases if b is not None):
        assert not a.flags.writeable
    with pytest.raises(ConfigError, match="column"):
        trace.view("Ng")
    np.testing.assert_array_equal(col.rounding_error("dL/dW1"),
                                  trace.rounding_error("dL/dW1")[1:].T)
    assert col.rounding_error("z1").shape == (5, 2)
    assert repr(col).endswith("in the column convention: 20 steps>")
    assert mapping("column", bias=False).count("no bias") == 1


def test_a_view_does_not_change_when_the_network_trains_afterwards():
    net, X, y, trace = recorded("quadratic", 2, dtype=np.float32)
    before = trace.view("column")
    values = {s.name: s.value.copy() for s in before}
    J = before.jacobian("z2", "W2").copy()
    for W in net.weights:
        W += 1.0  # the live network moves on
    for view in (before, trace.view("column")):
        for s in view:
            np.testing.assert_array_equal(s.value, values[s.name])
            assert s.value.dtype == np.float32 or s.name == "L"
        np.testing.assert_array_equal(view.jacobian("z2", "W2"), J)
