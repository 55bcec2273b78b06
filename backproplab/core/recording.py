"""Record one pass of an MLP into a :class:`~backproplab.core.trace.Trace`.

Every value comes from the same ops and the same forward/backward code that
training runs; this module only names the results and says how each is made.
Each step carries facts (its :class:`~backproplab.core.trace.StepKind`, layer,
weight, activation, batch mean, dropped bias row); the texts are rendered from them.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .jacobian import format_shape
from .trace import Factor, Step, StepKind, Trace


def _frozen(a: np.ndarray) -> np.ndarray:
    """A read-only copy that nothing outside the trace can reach."""
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _inp(k: int) -> str:
    """The name of layer k's input."""
    return "x" if k == 1 else f"H{k - 1}"


def _tex(name: str) -> str:
    """ "H2" -> "H_{2}"."""
    return name if name == "x" else f"{name[0]}_{{{name[1:]}}}"


def _vec(shape: tuple[int, ...]) -> tuple[int, ...]:
    """One sample's row (1, n) is read as the vector (n,) in a chain rule, as its Jacobians are."""
    return shape[1:] if len(shape) == 2 and shape[0] == 1 else shape


def record_pass(net, x, y) -> Trace:
    """Run and record one forward and backward pass of ``net`` on x (B, n_features)."""
    X = _frozen(net._inputs(x))  # (B, n_features)
    labels = _frozen(net._labels(y, len(X)))  # (B,)
    B, n, act = len(X), net.n_layers, net._activation
    layer, head, bias = net._layer, net._head, net.bias
    quadratic = head.name == "quadratic"
    weights = tuple(_frozen(W) for W in net.weights)  # the trace's own copies
    live = net._forward(X)
    # The records, re-pointed at the trace's own read-only copies (the caches the
    # lazy Jacobians read must not follow the live network or the learner's x).
    records = []
    for k, rec in enumerate(live):
        H_in = X if k == 0 else records[k - 1].H
        records.append(rec._replace(affine=type(rec.affine)(H_in, weights[k]), z=_frozen(rec.z),
                                    H=None if rec.H is None else _frozen(rec.H)))
    y_hat = _frozen(head.predict(records[-1].z))  # (B, C)
    # L as training computes it (for cross-entropy the log-softmax straight from z,
    # exact even when ŷ_y underflows)
    L, fused_cache = head.fused.forward(records[-1].z, labels)
    back = net._backward(head.fused.backward(1.0, fused_cache), live)
    sm_cache = (y_hat, records[-1].z) if quadratic else y_hat  # the output op's cache
    ce_cache, fused_cache = (y_hat, labels), (_frozen(fused_cache[0]), labels)
    Y = np.zeros_like(y_hat)  # (B, C)  y, the one-hot labels
    Y[np.arange(B), labels] = 1

    jac = {}

    def add_jacobian(of, wrt, op, cache, role):
        jac[(of, wrt)] = (partial(op.jacobian_info, cache, role, of=of, wrt=wrt),
                          partial(_materialise, op, cache, role))
        return jac[(of, wrt)][0]()

    steps: list[Step] = []

    def add(name, phase, value, latex, layer, kind, **kw):
        steps.append(Step(index=len(steps) + 1, name=name, phase=phase, value=np.array(value),
                          latex=latex, layer=layer, kind=kind, batch_size=B, **kw))

    # ------------------------------------------------------------ forward
    add("x", "forward", X, "x", 0, StepKind.INPUT, note="the input image, one row per sample")
    for k, (rec, W) in enumerate(zip(records, weights), start=1):
        a = _inp(k)
        a1, a1_tex = (f"[1 {a}]", rf"[1\;{_tex(a)}]") if bias else (a, _tex(a))
        add(f"z{k}", "forward", rec.z, rf"z_{{{k}}} = {a1_tex}\,W_{{{k}}}", k, StepKind.PRE_ACTIVATION,
            operands=(Factor(a1, (B, W.shape[0])), Factor(f"W{k}", W.shape)), operator="·",
            weight=f"W{k}", source=a,
            note=f"row 0 of W{k} is the bias row: it meets the constant 1 in [1 {a}]" if bias else
            f"no bias: every row of W{k} multiplies a column of {a}")
        add_jacobian(f"z{k}", f"W{k}", layer, rec.affine, "weight")
        add_jacobian(f"z{k}", a, layer, rec.affine, "input")
        if k < n:
            add(f"H{k}", "forward", rec.H, rf"H_{{{k}}} = {act.latex}(z_{{{k}}})", k, StepKind.ACTIVATION,
                operands=(Factor(f"z{k}", rec.z.shape),), operator=act.name, activation=act.name)
            add_jacobian(f"H{k}", f"z{k}", act, (rec.H, rec.z), "input")
    zn = f"z{n}"
    if quadratic:
        add("y_hat", "forward", y_hat, rf"\hat y = \sigma(z_{{{n}}})", n, StepKind.OUTPUT,
            operands=(Factor(zn, y_hat.shape),), operator="sigmoid", activation="sigmoid",
            note="a sigmoid output layer: each entry lies between 0 and 1, rows need not sum to 1")
        mean = r"\frac{1}{2}\lVert \hat y - y \rVert^2" if B == 1 else \
            r"\frac{1}{2B}\sum_{b} \lVert \hat y_{b} - y_{b} \rVert^2"
    else:
        add("y_hat", "forward", y_hat, rf"\hat y = \operatorname{{softmax}}(z_{{{n}}})", n, StepKind.OUTPUT,
            operands=(Factor(zn, y_hat.shape),), operator="softmax", note="each row sums to 1")
        mean = r"-\sum_{j} y_{j} \log \hat y_{j}" if B == 1 else \
            r"-\frac{1}{B}\sum_{b,\,j} y_{b,j} \log \hat y_{b,j}"
    add_jacobian("y_hat", zn, head.output, sm_cache, "input")
    add("L", "forward", np.float64(L), f"L = {mean}", n, StepKind.LOSS,
        operands=(Factor("ŷ", y_hat.shape), Factor("labels", (B,))),
        operator=head.loss_text, batch_mean=B > 1,
        note=f"labels ({format_shape((B,))}) are the integer classes; y "
             f"({format_shape(y_hat.shape)}, one-hot) has a 1 at each label"
             + ("" if B == 1 else f"; L is the mean over the batch of B = {B}"))
    ce_info = add_jacobian("L", "y_hat", head.loss, ce_cache, "input")
    add_jacobian("L", zn, head.fused, fused_cache, "input")

    # ----------------------------------------------------------- backward
    sm_info = jac[("y_hat", zn)][0]()
    scale = "" if B == 1 else r"\frac{1}{B}"
    if quadratic:
        # Nielsen's δ^L = ∇_ŷ C ⊙ σ′(z^L): two steps, the cost's gradient and then the sigmoid
        add("dL/dy_hat", "backward", head.loss.backward(1.0, ce_cache),
            rf"\frac{{\partial L}}{{\partial \hat y}} = {scale}(\hat y - y)", n,
            StepKind.LOSS_GRADIENT, batch_mean=B > 1,
            operands=(Factor("ŷ", y_hat.shape), Factor("y", Y.shape, note="one-hot")), operator="−",
            jacobian=("L", "y_hat"),
            note="the gradient of ½‖ŷ − y‖² is ŷ − y"
                 + ("" if B == 1 else f"; divided by B = {B} because L is the batch mean"))
        deriv_tex = r"\hat y \odot (1 - \hat y)"
        add(f"dL/d{zn}", "backward", back.dz[-1],
            rf"\delta_{{{n}}} = \frac{{\partial L}}{{\partial \hat y}} \odot {deriv_tex}", n,
            StepKind.OUTPUT_GRADIENT, batch_mean=B > 1, activation="sigmoid",
            factors=(Factor("∂L/∂ŷ", _vec(y_hat.shape), "gradient"),
                     Factor(f"∂ŷ/∂{zn}", sm_info.shape, sm_info.structure,
                            note="diag(ŷ(1 − ŷ)): only its diagonal is non-zero")),
            operands=(Factor("∂L/∂ŷ", y_hat.shape), Factor("ŷ(1 − ŷ)", y_hat.shape)), operator="⊙",
            jacobian=("y_hat", zn),
            note="the sigmoid's derivative σ′(z) = ŷ(1 − ŷ) stays in: no shortcut collapses it as "
                 "softmax + cross-entropy collapse to ŷ − y, so a saturated wrong output learns slowly"
                 + ("" if B == 1 else f"; the 1/B comes with ∂L/∂ŷ"))
    else:
        add(f"dL/d{zn}", "backward", back.dz[-1],
            rf"\delta_{{{n}}} = \frac{{\partial L}}{{\partial z_{{{n}}}}} = {scale}(\hat y - y)", n,
            StepKind.OUTPUT_GRADIENT, batch_mean=B > 1,
            factors=(Factor("∂L/∂ŷ", _vec(y_hat.shape), "gradient", note=ce_info.efficient),
                     Factor(f"∂ŷ/∂{zn}", sm_info.shape, sm_info.structure, note=sm_info.note)),
            operands=(Factor("ŷ", y_hat.shape), Factor("y", Y.shape, note="one-hot")), operator="−",
            jacobian=("y_hat", zn),
            note="ŷ − y is the fused softmax + cross-entropy shortcut: −y ⊘ ŷ times the softmax "
                 "Jacobian diag(ŷ) − ŷᵀŷ collapses to ŷ − y because the one-hot y sums to 1"
                 + ("" if B == 1 else f"; divided by B = {B} because L is the batch mean, so "
                                      f"δ{n} carries the 1/B"))
    for k in range(n, 0, -1):
        a, W, rec = _inp(k), weights[k - 1], records[k - 1]
        dz = back.dz[k - 1]
        delta = Factor(f"δ{k}", dz.shape, note=f"= ∂L/∂z{k}")
        w_info = jac[(f"z{k}", f"W{k}")][0]()
        a1, a1_tex = (f"[1 {a}]", rf"[1\;{_tex(a)}]") if bias else (a, _tex(a))
        add(f"dL/dW{k}", "backward", back.dW[k - 1],
            rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = {a1_tex}^\top \delta_{{{k}}}", k,
            StepKind.PARAMETER_GRADIENT, weight=f"W{k}", source=a,
            factors=(Factor(f"∂L/∂z{k}", _vec(dz.shape), "gradient"),
                     Factor(f"∂z{k}/∂W{k}", w_info.shape, w_info.structure,
                            note=f"{format_shape(w_info.shape)}, a {len(w_info.shape)}-D tensor that is zero "
                                 f"except where output column = weight column; contracted with δ{k} it "
                                 f"collapses to the outer product {a1}ᵀ · δ{k}")),
            operands=(Factor(f"{a1}ᵀ", (W.shape[0], B)), delta), operator="·",
            jacobian=(f"z{k}", f"W{k}"), target=f"W{k}",
            note="" if B == 1 else f"the sum over the batch happens in this product: its inner "
                                   f"dimension is the batch (B = {B}), so dL/dW{k} keeps W{k}'s shape")
        if k == 1:
            break
        h_info = jac[(f"z{k}", a)][0]()
        n_in, n_out = W.shape[0] - bias, W.shape[1]
        if not bias:
            add(f"dL/d{a}", "backward", back.dH[k - 2],
                rf"\frac{{\partial L}}{{\partial {_tex(a)}}} = \delta_{{{k}}}\,W_{{{k}}}^\top", k,
                StepKind.INPUT_GRADIENT, weight=f"W{k}",
                factors=(Factor(f"∂L/∂z{k}", _vec(dz.shape), "gradient"),
                         Factor(f"∂z{k}/∂{a}", h_info.shape, h_info.structure, note=f"= W{k}ᵀ")),
                operands=(delta, Factor(f"W{k}ᵀ", (n_out, n_in))), operator="·",
                jacobian=(f"z{k}", a),
                note=f"no bias: all of W{k} ({format_shape(W.shape)}) multiplies {a}, so all of it "
                     f"carries the gradient back")
        else:
            add(f"dL/d{a}", "backward", back.dH[k - 2],
                rf"\frac{{\partial L}}{{\partial {_tex(a)}}} = \delta_{{{k}}}\,W_{{{k}}}[1{{:}}]^\top", k,
                StepKind.INPUT_GRADIENT, weight=f"W{k}", drops_bias_row=True,
                factors=(Factor(f"∂L/∂z{k}", _vec(dz.shape), "gradient"),
                         Factor(f"∂z{k}/∂{a}", h_info.shape, h_info.structure, note=f"= W{k}[1:]ᵀ")),
                operands=(delta, Factor(f"W{k}[1:]ᵀ", (n_out, n_in))), operator="·",
                jacobian=(f"z{k}", a),
                note=f"W{k} is {format_shape(W.shape)}, but its bias row (row 0) multiplies the "
                     f"constant 1, not {a}: it has no path back to {a} and is dropped, leaving "
                     f"W{k}[1:] ({format_shape((n_in, n_out))}). Keeping it would give "
                     f"δ{k} · W{k}ᵀ = {format_shape((B, W.shape[0]))}, one column more than {a} "
                     f"({format_shape((B, n_in))}) has, and would credit {a} with the "
                     f"bias's gradient")
        prev = records[k - 2]
        j = k - 1
        d_info = jac[(f"H{j}", f"z{j}")][0]()
        deriv = act.derivative_text.replace("H", f"H{j}").replace("z", f"z{j}")
        deriv_tex = act.derivative_latex.replace("H", f"H_{{{j}}}").replace("z", f"z_{{{j}}}")
        if " - " in deriv_tex and not deriv_tex.endswith(")"):
            deriv_tex = f"({deriv_tex})"  # ⊙ binds tighter than −: \odot (1 - H_{1}^2)
        add(f"dL/dz{j}", "backward", back.dz[j - 1],
            rf"\delta_{{{j}}} = \frac{{\partial L}}{{\partial H_{{{j}}}}} \odot {deriv_tex}", j,
            StepKind.GRADIENT, activation=act.name,
            factors=(Factor(f"∂L/∂H{j}", _vec(prev.H.shape), "gradient"),
                     Factor(f"∂H{j}/∂z{j}", d_info.shape, d_info.structure,
                            note=f"diag({deriv}): only its diagonal is non-zero")),
            operands=(Factor(f"∂L/∂H{j}", prev.H.shape), Factor(deriv, prev.H.shape)), operator="⊙",
            jacobian=(f"H{j}", f"z{j}"),
            note="a diagonal Jacobian times a row vector is an elementwise product")

    label = f", label {int(labels[0])}" if B == 1 else f", labels {labels[:8].tolist()}" + (
        "…" if B > 8 else "")
    float64_pass = None
    if np.dtype(net.dtype) != np.float64:
        float64_pass = partial(_float64_pass, net.sizes, act.name, head.name, bias, weights, X, labels)
    return Trace(steps=steps, description=f"{net!r}, batch of {B}{label}", jacobians=jac,
                 weights=weights, labels=labels, activation=act.name, float64_pass=float64_pass,
                 loss=head.name, bias=bias)


def _materialise(op, cache, role, max_entries):
    return op.jacobian(cache, role, max_entries=max_entries)


def _float64_pass(sizes, activation, loss, bias, weights, X, labels) -> Trace:
    """The same pass in float64, from the trace's own copies (for rounding errors)."""
    from .network import MLP

    net = MLP(sizes, activation=activation, dtype=np.float64, loss=loss, bias=bias)
    net.weights = [W.astype(np.float64) for W in weights]
    return record_pass(net, X.astype(np.float64), labels)
