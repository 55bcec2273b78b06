"""The autograd oracle: every number and every stated shape of a trace against PyTorch.

On 1,000 seeded random networks (1–4 hidden layers, widths 1–40, batch 1–9,
sigmoid / tanh / relu, float32 and float64, about 15 % driven into saturation)
every trace value, every local Jacobian and every gradient is compared with
torch float64 autograd at the same point, and every shape that any text of the
trace states (product, ledger, chain, dimension check, table, Markdown, LaTeX,
Jacobian descriptions) is parsed out and compared with the array it names.

float64 traces must agree to 1e-7 of each array's scale (and, for gradients, to
1e3 ulps of the gradient flowing in, where saturated units cancel). A float32 trace is
held to what float32 itself allows: torch float32 autograd, run on the same
point, measures the rounding error of each entry, and ours may be off by a few
times that (plus 1e-5 of the array's scale), so an implementation that loses
precision where torch float32 keeps it (the old sigmoid) fails.

Needs the ``oracle`` extra: ``pip install -e ".[oracle]"`` (torch 2.13.0, CPU).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

torch.set_num_threads(1)  # tiny tensors: threads only contend (the machine may be shared)

import backproplab as bl  # noqa: E402
from backproplab.core.jacobian import format_shape  # noqa: E402

N_NETWORKS = 1000
ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


# ------------------------------------------------------------------ networks
def random_case(seed: int):
    r = np.random.default_rng(seed)
    depth = int(r.integers(1, 5))
    sizes = [int(r.integers(1, 41))] + [int(r.integers(1, 41)) for _ in range(depth)] + [int(r.integers(2, 11))]
    act = ["sigmoid", "tanh", "relu"][seed % 3]
    dtype = np.float32 if seed % 2 else np.float64
    net = bl.MLP(sizes, activation=act, seed=seed, dtype=dtype)
    saturated = r.random() < 0.15
    if saturated:  # drive the units into saturation: |z| in the tens to hundreds
        net.set_weights([W * r.uniform(20, 200) for W in net.weights])
    B = int(r.integers(1, 10))
    x = r.standard_normal((B, sizes[0])) * (3 if saturated else 1)
    y = r.integers(0, sizes[-1], B)
    return net, x.astype(dtype), y, saturated


def torch_pass(weights, x, labels, act: str, tdtype, *, loss: str = "cross_entropy", bias: bool = True):
    """Values and gradients of the pass by torch autograd, in ``tdtype``.

    ``loss="quadratic"``: a sigmoid output and (1/2B) Σ‖ŷ − y‖²; ``bias=False``: z = H · W.
    """
    f = ACTS[act]
    Ws = [torch.tensor(np.asarray(W, dtype=np.float64), dtype=tdtype, requires_grad=True) for W in weights]
    X = torch.tensor(np.asarray(x, dtype=np.float64), dtype=tdtype)
    lab = torch.tensor(labels, dtype=torch.long)
    n = len(Ws)
    out, H, zs, Hs = {"x": X}, X, [], []
    for k, W in enumerate(Ws, start=1):
        z = H @ W[1:] + W[0] if bias else H @ W
        z.retain_grad()
        zs.append(z)
        out[f"z{k}"] = z
        if k < n:
            H = f(z)
            H.retain_grad()
            Hs.append(H)
            out[f"H{k}"] = H
    if loss == "quadratic":
        y_hat = torch.sigmoid(zs[-1])
        y_hat.retain_grad()
        Y = torch.nn.functional.one_hot(lab, y_hat.shape[1]).to(tdtype)
        L = ((y_hat - Y) ** 2).sum() / (2 * len(lab))  # the mean over the batch
    else:
        y_hat = torch.softmax(zs[-1], dim=1)
        L = torch.nn.functional.cross_entropy(zs[-1], lab)  # the mean over the batch
    L.backward()
    values = {k: v.detach().numpy() for k, v in out.items()}
    if loss == "quadratic":
        values["dL/dy_hat"] = y_hat.grad.numpy()
    values["y_hat"] = y_hat.detach().numpy()
    values["L"] = L.detach().numpy()
    for k, W in enumerate(Ws, start=1):
        values[f"dL/dW{k}"] = W.grad.numpy()
        values[f"dL/dz{k}"] = zs[k - 1].grad.numpy()
        if k < n:
            values[f"dL/dH{k}"] = Hs[k - 1].grad.numpy()
    return values


def jacrev(f):
    """d f(v) / d v by reverse-mode autograd: one batched backward pass over every output."""
    def jacobian(v):
        v = v.detach().clone().requires_grad_(True)
        out = f(v)
        basis = torch.eye(out.numel(), dtype=out.dtype).reshape(-1, *out.shape)
        (J,) = torch.autograd.grad(out, v, basis, is_grads_batched=True)
        return J.reshape(*out.shape, *v.shape)
    return jacobian


def torch_jacobians(trace, act: str, tdtype=torch.float64, *, only_activations: bool = False):
    # only_activations: the activations' and the softmax's Jacobians (those that cancel)
    """Every local Jacobian by torch autograd, at the inputs the trace recorded.

    Evaluated at the trace's own x, H_k, z_k, ŷ and W_k, so a float32 trace's
    Jacobians are judged as maps, apart from its forward rounding; torch float32
    at the same point measures what float32 allows where a derivative written
    through H cancels (1 − H² near |H| = 1, H(1 − H) near H = 1).
    """
    f = ACTS[act]
    T = lambda name: torch.tensor(np.asarray(trace[name].value, dtype=np.float64), dtype=tdtype)  # noqa: E731
    Ws = [torch.tensor(np.asarray(W, dtype=np.float64), dtype=tdtype) for W in trace.weights]
    B, n = trace.batch_size, len(Ws)
    one = B == 1
    bias, quadratic = getattr(trace, "bias", True), getattr(trace, "loss", "") == "quadratic"
    affine = (lambda h, w: h @ w[1:] + w[0]) if bias else (lambda h, w: h @ w)  # noqa: E731
    jac = {}
    for k, W in enumerate(Ws, start=1):
        if only_activations:
            if k < n:
                J = jacrev(f)(T(f"z{k}"))
                jac[(f"H{k}", f"z{k}")] = J[0, :, 0] if one else J
            continue
        a = "x" if k == 1 else f"H{k - 1}"
        A = T(a)
        J = jacrev(lambda w: affine(A, w))(W)  # (B, n_out, n_in + 1, n_out)
        jac[(f"z{k}", f"W{k}")] = J[0] if one else J
        J = jacrev(lambda h: affine(h, W))(A)  # (B, n_out, B, n_in)
        jac[(f"z{k}", a)] = J[0, :, 0] if one else J
        if k < n:
            J = jacrev(f)(T(f"z{k}"))
            jac[(f"H{k}", f"z{k}")] = J[0, :, 0] if one else J
    zn = T(f"z{n}")
    out = torch.sigmoid if quadratic else (lambda z: torch.softmax(z, dim=1))
    J = jacrev(out)(zn)  # diag(ŷ) − ŷᵀŷ, or diag(ŷ(1 − ŷ)): ŷ(1 − ŷ) cancels too
    jac[("y_hat", f"z{n}")] = J[0, :, 0] if one else J
    lab = torch.tensor(np.asarray(trace.labels), dtype=torch.long)
    rows = torch.arange(B)
    Y = torch.nn.functional.one_hot(lab, zn.shape[1]).to(tdtype)
    cost = (lambda p: ((p - Y) ** 2).sum() / (2 * B)) if quadratic else (lambda p: -torch.log(p[rows, lab]).mean())
    fused = (lambda z: cost(torch.sigmoid(z))) if quadratic else (
        lambda z: torch.nn.functional.cross_entropy(z, lab))
    if only_activations:
        if quadratic:  # (ŷ − y) ⊙ ŷ(1 − ŷ): the sigmoid's derivative cancels here too
            J = jacrev(fused)(zn)
            jac[("L", f"z{n}")] = J[0] if one else J
        return {k: v.numpy() for k, v in jac.items()}
    J = jacrev(cost)(T("y_hat"))
    jac[("L", "y_hat")] = J[0] if one else J
    J = jacrev(fused)(zn)
    jac[("L", f"z{n}")] = J[0] if one else J
    return {k: v.numpy() for k, v in jac.items()}


# --------------------------------------------------------------- agreement
def disagreement(ours, t64, t32=None, *, same_point32: bool = False, floor: float = 0.0) -> float:
    """max over entries of |ours − t64| / tolerance (≤ 1 means they agree).

    float64 (``t32`` None): 1e-7 of the array's scale plus 1e-9 of each entry.
    float32 (``t32`` given, torch float32 at the same point): a few times torch
    float32's own error, by entry and over the array, plus 1e-4 of each entry and
    2e-5 of the scale. ``same_point32``: a float32 map evaluated where torch was
    (an affine or loss Jacobian): 1e-6 of each entry and of the scale. ``floor``
    is added to every entry's tolerance.
    """
    ours, t64 = np.asarray(ours, np.float64), np.asarray(t64, np.float64)
    assert ours.shape == t64.shape, (ours.shape, t64.shape)
    if not (np.isfinite(ours).all() and np.isfinite(t64).all()):
        both_inf = np.isinf(ours) & np.isinf(t64) & (np.sign(ours) == np.sign(t64))
        if t32 is not None:  # float32 overflows where torch float32 does too: what float32 allows
            t32 = np.asarray(t32, np.float64)
            both_inf |= np.isinf(ours) & np.isinf(t32) & (np.sign(ours) == np.sign(t32))
        if same_point32:  # 1 / ŷ where ŷ underflows in float32
            both_inf |= np.isinf(ours) & (np.abs(t64) > 1e37)
        if np.any(np.isinf(ours) & ~both_inf) or np.any(np.isnan(ours)) or np.any(np.isnan(t64)):
            return np.inf
        ours, t64 = np.where(both_inf, 0, ours), np.where(both_inf, 0, t64)
        if t32 is not None:
            t32 = np.where(both_inf, 0, t32)
    scale = float(np.abs(t64).max(initial=0.0))
    if t32 is None:
        entry, rel_floor = (1e-6, 1e-6) if same_point32 else (1e-9, 1e-7)
        tol = rel_floor * scale + entry * np.abs(t64) + floor + 1e-300
    else:
        err32 = np.abs(np.asarray(t32, np.float64) - t64)
        tol = 8 * err32 + 2 * float(err32.max(initial=0)) + 1e-4 * np.abs(t64) + 2e-5 * scale + floor + 1e-300
    return float((np.abs(ours - t64) / tol).max(initial=0.0))


# ------------------------------------------------------------ stated shapes
SHAPE = r"(?:\d+(?:×\d+)*|scalar)"
TIMES = r"\times"


def parse_shape(text: str) -> tuple[int, ...]:
    return () if text == "scalar" else tuple(int(n) for n in text.split("×"))


def name_before(text: str, end: int) -> str:
    """The name that ends at ``end``: back to a space outside brackets."""
    depth, i = 0, end
    while i > 0:
        ch = text[i - 1]
        if ch in ")]":
            depth += 1
        elif ch in "([":
            if depth == 0:
                break
            depth -= 1
        elif ch == " " and depth == 0:
            break
        i -= 1
    return text[i:end]


class Resolver:
    """Name -> the array it names in a trace ("W3[1:]ᵀ", "[1 H1]", "δ2", "∂z3/∂W3", ...)."""

    def __init__(self, trace, layer_names: dict[str, str] | None = None):
        self.t = trace
        self.B = trace.batch_size
        self.generic = layer_names or {}

    def step_value(self, name):
        name = {"ŷ": "y_hat"}.get(name, name)
        return np.asarray(self.t[name].value)

    def __call__(self, name: str, *, chain: bool = False) -> np.ndarray:
        name = name.strip()
        name = self.generic.get(name, name)
        for generic, real in self.generic.items():  # "W[1:]ᵀ" in a Jacobian's text
            if name.startswith(generic + "[") or name == generic + "ᵀ":
                name = real + name[len(generic):]
        if " · " in name:
            parts = [self(p, chain=chain) for p in name.split(" · ")]
            return parts[0] @ parts[1]
        if name.endswith("ᵀ"):
            return self(name[:-1], chain=chain).T
        if m := re.fullmatch(r"(W\d+)\[1:\]", name):
            return self(m.group(1))[1:]
        if m := re.fullmatch(r"\[1 (\w+)\]", name):
            v = self(m.group(1))
            return np.hstack([np.ones((len(v), 1)), v])
        if m := re.fullmatch(r"W(\d+)", name):
            return np.asarray(self.t.weights[int(m.group(1)) - 1])
        if m := re.fullmatch(r"δ(\d+)", name):
            return self.step_value(f"dL/dz{m.group(1)}")
        if name == "y":
            Y = np.zeros(self.t["y_hat"].shape)
            Y[np.arange(self.B), self.t.labels] = 1
            return Y
        if name == "labels":
            return np.asarray(self.t.labels)
        if m := re.fullmatch(r"∂(\S+)/∂(\S+)", name):
            of, wrt = ({"ŷ": "y_hat"}.get(v, v) for v in m.groups())
            if (of, wrt) == ("L", "y_hat") and "dL/dy_hat" in self.t.names:  # the quadratic cost's step
                v = self.step_value("dL/dy_hat")
                return v[0] if chain and self.B == 1 else v
            if (of, wrt) in self.t.jacobian_pairs:
                return self.t.jacobian(of, wrt)
            if of == "L":  # a gradient: a vector for one sample in a chain, else the row
                v = self.step_value(f"dL/d{wrt}")
                return v[0] if chain and self.B == 1 else v
        if name == "ŷ(1 − ŷ)":  # the sigmoid output's derivative: ŷ's shape
            return np.zeros(self.t["y_hat"].shape)
        if m := re.fullmatch(r"\(?(?:H(\d+)\(1 − H\d+\)|1 − H(\d+)²|1\[z(\d+) > 0\])\)?", name):
            j = next(g for g in m.groups() if g)
            return np.zeros(self.t[f"H{j}"].shape)  # an activation derivative: H_j's shape
        if name in self.t.names or name == "ŷ":
            return self.step_value(name)
        raise AssertionError(f"a text names {name!r}, which no array of the trace is")


def check_stated_shapes(text: str, resolve: Resolver, *, chain: bool = False) -> int:
    """Every "name (shape" in ``text`` is that array's shape; returns how many were checked."""
    count = 0
    for m in re.finditer(r" \((" + SHAPE + r"(?: · " + SHAPE + r")*)[,)](?!\d)", text):
        name = name_before(text, m.start())
        name = name.lstrip("(") if name.count("(") > name.count(")") else name
        shapes = m.group(1).split(" · ")
        names = name.split(" · ") if len(shapes) > 1 else [name]
        if len(shapes) > 1:  # "[1 H]ᵀ · δ (11×1 · 1×10)": the name spans the product
            start = m.start()
            names = text[:start].rsplit("the outer product ", 1)[-1].split(" · ")
        for nm, sh in zip(names, shapes):
            arr = resolve(nm, chain=chain)
            assert arr.shape == parse_shape(sh), f"{text!r}: {nm} is stated {sh}, is {arr.shape}"
            count += 1
    for m in re.finditer(r"(\S+ · \S+) = (" + SHAPE + r")[,;. ]", text + " "):
        if "(" in m.group(1):
            continue  # a product with shapes: checked above and by the step's own shape
        arr = resolve(m.group(1))
        assert arr.shape == parse_shape(m.group(2)), f"{text!r}: {m.group(1)} = {m.group(2)}"
        count += 1
    for m in re.finditer(r"(\S+) is (" + SHAPE + r")[,;. ]", text + " "):
        arr = resolve(m.group(1))
        assert arr.shape == parse_shape(m.group(2)), f"{text!r}: {m.group(1)} is {m.group(2)}"
        count += 1
    return count


def check_step_texts(trace, step, resolve: Resolver) -> int:
    shape = format_shape(step.shape)
    count = 0
    product = step.product_text()
    if product:
        count += check_stated_shapes(product, resolve)
        assert re.search(r"= (" + SHAPE + r")(?: = shape of (W\d+))?$", product)
        result = re.findall(r"= (" + SHAPE + r")", product)[-1]
        assert parse_shape(result) == step.shape, product
        if step.target:
            assert resolve(step.target).shape == step.shape
    if step.factors:
        chain = step.chain_text()
        count += check_stated_shapes(chain, resolve, chain=True)
        m = re.search(r" = (" + SHAPE + r"), summed over the (" + SHAPE + r") entries of (\S+)", chain)
        g, J = (resolve(f.name, chain=True) for f in step.factors)
        with np.errstate(all="ignore"):  # −y ⊘ ŷ overflows where ŷ underflows (saturation)
            contracted = np.tensordot(g, J, axes=g.ndim)  # the contraction the text states
        assert parse_shape(m.group(1)) == contracted.shape and parse_shape(m.group(2)) == g.shape
        if np.all(np.isfinite(g)) and np.all(np.abs(g) < 1e30):
            np.testing.assert_allclose(contracted.reshape(step.shape), step.value, rtol=1e-4,
                                       atol=1e-5 * float(np.abs(step.value).max(initial=0)) + 1e-30)
    for line in step.ledger():
        count += check_stated_shapes(line, resolve, chain=line.startswith("chain rule:"))
        if m := re.fullmatch(r"  inner dimensions (\d+) = (\d+) ([✓✗]); result (" + SHAPE + ")", line):
            a, b = (resolve(f.name) for f in step.operands)
            assert (int(m.group(1)), int(m.group(2))) == (a.shape[-1], b.shape[0]) and m.group(3) == "✓"
            assert (a @ b).shape == parse_shape(m.group(4)) == step.shape
    md = step.to_markdown()
    assert f"shape {shape})" in md
    tex_shape = TIMES.join(map(str, step.shape)) or r"\text{scalar}"
    assert step.to_latex().endswith(f"({tex_shape}) \\]")
    return count


def check_trace_texts(trace) -> int:
    resolve = Resolver(trace)
    count = sum(check_step_texts(trace, s, resolve) for s in trace)
    rows = str(trace).splitlines()[2:]
    md_rows = trace.to_markdown().splitlines()[4:]
    tex_rows = trace.to_latex().splitlines()[1:-1]
    for s, row, md, tex in zip(trace, rows, md_rows, tex_rows):
        assert re.split(r"\s{2,}", row)[3] == format_shape(s.shape), row
        assert md.split(" | ")[3] == format_shape(s.shape), md
        assert tex.rstrip(" \\").endswith("&& " + (TIMES.join(map(str, s.shape)) or r"\text{scalar}")), tex
    for of, wrt in trace.jacobian_pairs:
        info = trace.jacobian_info(of, wrt)
        k = re.sub(r"\D", "", of) or str(len(trace.weights))
        generic = {"W": f"W{k}", "δ": f"δ{k}",
                   "H": wrt if wrt != f"W{k}" else ("x" if k == "1" else f"H{int(k) - 1}")}
        r = Resolver(trace, generic)
        for text in (info.efficient, info.note, str(info)):
            count += check_stated_shapes(text, r)
        assert f": {format_shape(info.shape)} " in str(info)
        assert f"({info.entries:,} entries;" in str(info) and info.entries == int(np.prod(info.shape))
    return count


# --------------------------------------------------------------------- tests
def test_the_oracle_sees_the_old_sigmoid(monkeypatch):
    """Sanity: the float32 tolerance rejects the cancelling 0.5 (1 + tanh(z/2)) of the old core.

    Layer 1 sits at z ≈ −25: σ is 1.4e-11 there, which the old formula rounded to 0, so
    its dL/dW1 came out as all zeros; torch float32 keeps it.
    """
    net = bl.MLP((3, 4, 3), seed=0)
    W = [w.copy() for w in net.weights]
    W[0][0] = -25.0
    net.set_weights(W)
    x = np.full((1, 3), 0.1, np.float32)

    def compare(trace):
        t64 = torch_pass(trace.weights, x, trace.labels, "sigmoid", torch.float64)
        t32 = torch_pass(trace.weights, x, trace.labels, "sigmoid", torch.float32)
        return max(disagreement(s.value, t64[s.name], t32[s.name]) for s in trace)

    assert compare(net.trace(x, [1])) <= 1

    def old_sigmoid(self, z):
        return 0.5 * (1 + np.tanh(z * 0.5))

    monkeypatch.setattr(type(bl.core.get_activation("sigmoid")), "apply", old_sigmoid)
    old = net.trace(x, [1])
    assert not np.any(old["dL/dW1"].value[1:]) and compare(old) > 1


@pytest.mark.parametrize("block", range(4))
def test_every_number_and_every_stated_shape_agree_with_autograd(block):
    worst = {"float32": 0.0, "float64": 0.0}
    shapes_checked = saturated = 0
    for seed in range(block, N_NETWORKS, 4):
        net, x, y, sat = random_case(seed)
        saturated += sat
        trace = net.trace(x, y)
        kind = np.dtype(net.dtype).name
        t64 = torch_pass(trace.weights, trace["x"].value, trace.labels, net.activation, torch.float64)
        t32 = None
        if kind == "float32":
            t32 = torch_pass(trace.weights, trace["x"].value, trace.labels, net.activation, torch.float32)
        assert set(t64) == set(trace.names), (set(t64) ^ set(trace.names))
        # A derivative written through its output (1 − H², H(1 − H)) cancels when a unit
        # saturates, in float64 as in torch: its error is a few ulps of the gradient that
        # flows in, not of the (tiny) result; so does ŷ − y when ŷ_y ≈ 1. So backward steps
        # may be off by 1e3 ulps of the largest gradient above them (at least 1/B), times the
        # largest input or weight.
        M = max(1.0, float(np.abs(trace["x"].value).max()), *(float(np.abs(W).max()) for W in trace.weights))
        G = 1.0 / trace.batch_size  # ŷ − y cancels to a few ulps of 1/B when ŷ_y ≈ 1
        for s in trace:
            floor = 0.0
            if s.name == "L":  # log Σ e^(z − max) is exact to a few ulps of 1, not of a tiny L
                floor = 16 * np.finfo(np.float64).eps * max(1.0, abs(float(t64["L"])))
            if s.phase == "backward":
                G = max(G, float(np.abs(t64[s.name]).max()))
                floor = 1e3 * np.finfo(np.float64).eps * G * M
            d = disagreement(s.value, t64[s.name], None if t32 is None else t32[s.name], floor=floor)
            assert d <= 1, (seed, s.name, d, repr(net))
            worst[kind] = max(worst[kind], d)
        j64 = torch_jacobians(trace, net.activation)
        j32 = {}
        if kind == "float32":
            j32 = torch_jacobians(trace, net.activation, torch.float32, only_activations=True)
        assert set(j64) == set(trace.jacobian_pairs)
        for pair, J in j64.items():
            with np.errstate(all="ignore"):
                ours = trace.jacobian(*pair)
            assert ours.shape == J.shape == trace.jacobian_info(*pair).shape, (seed, pair)
            cancels = pair[0][0] == "H" or pair[0] == "y_hat" or pair[1][0] == "z"  # 1 − H², ŷ(1 − ŷ), ŷ − y
            d = disagreement(ours, J, j32.get(pair), same_point32=kind == "float32" and pair not in j32,
                             floor=64 * np.finfo(np.float64).eps if cancels else 0.0)
            assert d <= 1, (seed, pair, d, repr(net))
        if seed < 120:  # the texts: their shapes do not depend on the numbers
            shapes_checked += check_trace_texts(trace)
    assert saturated >= 0.08 * N_NETWORKS / 4
    assert shapes_checked > 1000 or block > 0
