"""Three ways to write the same network: row-folded, row-separate and column.

The package stores and computes in one convention, ``"row-folded"``: a sample is
a row, a batch is B × n, and the bias is row 0 of W, ``z = [1 H] · W``. Courses
write the same pass two other ways, and :meth:`Trace.view` shows a recorded pass
in either:

``"row-separate"`` (PyTorch's ``nn.Linear``)
    ``z = H Wᵀ + b``; a sample is a row, a batch B × n; W is n_out × n_in, b has n_out entries.
``"column"`` (Andrew Ng's courses, Nielsen's book)
    ``z = W H + b``; a sample is a column, a batch n × B; W is n_out × n_in, b is n_out × 1.

The mapping, stated once (W is the stored n_in + 1 by n_out matrix, bias row first)::

    row-separate:  W_k = W[1:]ᵀ   b_k = W[0]       z (B × n) as stored
    column:        W_k = W[1:]ᵀ   b_k = W[0]ᵀ      z_col = zᵀ (n × B), and so for x, H, ŷ, y, δ
    no bias:       W_k = Wᵀ in both separate conventions, and there is no b_k

Gradients map the same way (dL/dW_k = dL/dW[1:]ᵀ, dL/db_k = dL/dW[0]), since
transposing and splitting do not change a single number. :func:`params_from_stored`
and :func:`params_to_stored` convert, and :func:`course_arrays` names every array
as the courses do (W2, b2, A1, Z2, dZ2, dW2, db2, ...) for a checker to resolve
names through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, ShapeError

#: The conventions a trace can be shown in; the first is how the package stores arrays.
CONVENTIONS = ("row-folded", "row-separate", "column")

#: One sentence per convention: how z is computed and how the stored W maps to it.
MAPPING = {
    "row-folded": "z_k = [1 H_{k-1}] · W_k, a sample is a row; W_k is stored as is, "
                  "(n_in + 1) × n_out with the bias row first",
    "row-separate": "z_k = H_{k-1} · W_kᵀ + b_k (PyTorch's Linear), a sample is a row; "
                    "W_k = W[1:]ᵀ (n_out × n_in), b_k = W[0] (n_out)",
    "column": "z_k = W_k · H_{k-1} + b_k (Ng, Nielsen), a sample is a column, a batch is n × B; "
              "W_k = W[1:]ᵀ (n_out × n_in), b_k = W[0]ᵀ (n_out × 1), and x, z, H, ŷ, y, δ are transposed",
}

#: Without biases the mapping is simpler: W_k = Wᵀ in both separate conventions.
MAPPING_NO_BIAS = {
    "row-folded": "z_k = H_{k-1} · W_k, a sample is a row; W_k is stored as is, n_in × n_out (no bias)",
    "row-separate": "z_k = H_{k-1} · W_kᵀ (PyTorch's Linear without bias), a sample is a row; "
                    "W_k = Wᵀ (n_out × n_in)",
    "column": "z_k = W_k · H_{k-1} (Ng, Nielsen, no bias), a sample is a column, a batch is n × B; "
              "W_k = Wᵀ (n_out × n_in), and x, z, H, ŷ, y, δ are transposed",
}


def check_convention(convention: str) -> str:
    """Return ``convention`` if known; else a ConfigError that lists the known ones."""
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise ConfigError(f"unknown convention {convention!r}; supported: {', '.join(CONVENTIONS)}. "
                          f'Use "column" for z = W x + b (Ng, Nielsen), "row-separate" for PyTorch\'s '
                          f'z = x Wᵀ + b, "row-folded" for z = [1 x] W.')
    return convention


def mapping(convention: str, *, bias: bool = True) -> str:
    """The sentence that maps the stored weights to ``convention``'s W_k (and b_k)."""
    return (MAPPING if bias else MAPPING_NO_BIAS)[check_convention(convention)]


# ------------------------------------------------------------------ weights
def params_from_stored(weights, convention: str, *, bias: bool = True
                       ) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The stored W_1..W_n as ``[(W_k, b_k), ...]`` in ``convention`` (b_k None when there is none).

    Row-folded keeps W_k and has no separate b_k; the others split and transpose
    as :data:`MAPPING` says. The arrays are new copies.
    """
    convention = check_convention(convention)
    out = []
    for W in weights:
        W = np.asarray(W)  # (n_in + 1, n_out), or (n_in, n_out) without bias
        if convention == "row-folded":
            out.append((W.copy(), None))
        elif not bias:
            out.append((W.T.copy(), None))  # (n_out, n_in)
        else:
            b = W[0].copy()  # (n_out,)
            out.append((W[1:].T.copy(), b[:, None] if convention == "column" else b))  # (n_out, n_in)
    return out


def params_to_stored(params, convention: str, *, bias: bool = True) -> list[np.ndarray]:
    """Convert ``[(W_k, b_k), ...]`` in ``convention`` back to the stored W_k (bias row first).

    Raises ShapeError when a W_k or b_k does not fit the convention.
    """
    convention = check_convention(convention)
    out = []
    for k, (W, b) in enumerate(params, start=1):
        W = np.asarray(W)
        if W.ndim != 2:
            raise ShapeError(f"W{k} must be a matrix; got shape {W.shape}.")
        if convention == "row-folded" or not bias:
            out.append(W.copy() if convention == "row-folded" else W.T.copy())
            continue
        b = np.asarray(b)
        want = (W.shape[0], 1) if convention == "column" else (W.shape[0],)
        if b.shape != want:
            raise ShapeError(f"b{k} must have shape {want} in the {convention} convention, one entry per "
                             f"row of W{k} ({W.shape[0]}); got {b.shape}.")
        out.append(np.vstack([b.reshape(1, -1), W.T]))  # (n_in + 1, n_out)
    return out


# ------------------------------------------------------------ course names
@dataclass(frozen=True)
class CourseArray:
    """One array under a course's name, with what the name means there.

    ``value`` equals ``scale`` times the view's step ``step`` (or its weight),
    e.g. Ng's dZ2 is B · dL/dz2: the stack of per-sample gradients, without the 1/m.
    """

    name: str
    value: np.ndarray
    meaning: str
    step: str
    scale: float = 1.0


def course_arrays(view) -> dict[str, CourseArray]:
    """Every array of a trace ``view`` under the names courses give it, in its convention.

    For layer k of n (H0 = x):

    - ``X``, ``A0``, ``a0``, ``x``: the input; ``Y``, ``y``: the one-hot labels;
      ``m``, ``B``: the batch size (a 0-d array); ``L``, ``J``, ``C``: the loss.
    - ``W{k}`` (and ``b{k}`` in the separate conventions): the weights in this
      convention; ``Z{k}``, ``z{k}``; ``A{k}``, ``a{k}``, ``H{k}`` for k < n;
      ``A{n}``, ``a{n}``, ``y_hat``, ``Y_hat``: the output ŷ.
    - ``dW{k}``, ``db{k}``: ∂L/∂W_k, ∂L/∂b_k of the batch-mean loss L. This is
      also what Ng's vectorised dW = (1/m) dZ Aᵀ and db = (1/m) Σ dZ compute.
    - ``delta{k}``, ``δ{k}``: δ_k = ∂L/∂z_k of the batch-mean loss, carrying the 1/B.
    - ``dZ{k}``, ``dA{k}``: Ng's vectorised meaning, the per-sample gradients
      stacked side by side, which is B · ∂L/∂z_k and B · ∂L/∂H_k (no 1/m;
      ``dZ{n}`` = ŷ − y for softmax + cross-entropy). At B = 1 they equal δ_k and
      ∂L/∂H_k. ``dA{n}`` (quadratic cost only) is B · ∂L/∂ŷ.
    - the view's own step names (``dL/dW2``, ``dL/dz2``...) resolve as well.
    """
    B = view.batch_size
    n = len(view.weights)
    names: dict[str, CourseArray] = {}
    biases = getattr(view, "biases", (None,) * n)
    column = view.convention == "column"
    onehot = np.eye(view["y_hat"].shape[0 if column else 1])[view.labels]  # (B, C)
    onehot = onehot.T if column else onehot  # (C, B) in the column convention

    def put(aliases, value, meaning, step, scale=1.0):
        value = np.asarray(value)
        for a in aliases:
            names[a] = CourseArray(a, value, meaning, step, scale)

    for s in view:
        put([s.name], s.value, f"the step {s.name} of the trace", s.name)
    put(["X", "A0", "a0", "x"], view["x"].value, "the input, one sample per " + _unit(view), "x")
    put(["Y", "y"], onehot, "the one-hot labels (the label's class is 1)", "y")
    put(["m", "B"], np.asarray(float(B)), "the batch size", "")
    put(["L", "J", "C"], view["L"].value, "the batch-mean loss", "L")
    for k, (W, b) in enumerate(zip(view.weights, biases), start=1):
        put([f"W{k}"], W, f"W{k} in the {view.convention} convention ({mapping(view.convention, bias=view.bias)})",
            f"W{k}")
        if b is not None:
            put([f"b{k}"], b, f"b{k}, the bias of layer {k}", f"b{k}")
            put([f"db{k}"], view[f"dL/db{k}"].value, f"∂L/∂b{k} of the batch-mean loss", f"dL/db{k}")
        put([f"Z{k}", f"z{k}"], view[f"z{k}"].value, f"z{k}, layer {k} before its activation", f"z{k}")
        put([f"dW{k}"], view[f"dL/dW{k}"].value, f"∂L/∂W{k} of the batch-mean loss (Ng's (1/m) dZ Aᵀ)",
            f"dL/dW{k}")
        dz = view[f"dL/dz{k}"].value
        put([f"delta{k}", f"δ{k}"], dz, f"δ{k} = ∂L/∂z{k} of the batch-mean loss (it carries the 1/B)",
            f"dL/dz{k}")
        put([f"dZ{k}"], B * dz, f"Ng's dZ{k}: the per-sample gradients stacked, B · ∂L/∂z{k} (no 1/m)",
            f"dL/dz{k}", float(B))
        if k < n:
            put([f"A{k}", f"a{k}", f"H{k}"], view[f"H{k}"].value, f"H{k}, the activation of layer {k}", f"H{k}")
            put([f"dA{k}"], B * view[f"dL/dH{k}"].value,
                f"Ng's dA{k}: the per-sample gradients stacked, B · ∂L/∂H{k}", f"dL/dH{k}", float(B))
    put([f"A{n}", f"a{n}", "y_hat", "Y_hat"], view["y_hat"].value, "ŷ, the network's output", "y_hat")
    if "dL/dy_hat" in view.names:
        put([f"dA{n}"], B * view["dL/dy_hat"].value,
            f"Ng's dA{n}: the per-sample gradients of the cost, B · ∂L/∂ŷ", "dL/dy_hat", float(B))
    return names


def _unit(view) -> str:
    return "column" if view.convention == "column" else "row"


def view_trace(trace, convention: str):
    """``trace`` shown in ``convention`` (see :meth:`Trace.view`)."""
    from .convention_view import build_view

    convention = check_convention(convention)
    source = getattr(trace, "_source", None) or trace
    if convention == "row-folded":
        return source
    views = source.__dict__.setdefault("_views", {})  # built once per convention: a panel switches often
    if convention not in views:
        views[convention] = build_view(source, convention)
    return views[convention]
