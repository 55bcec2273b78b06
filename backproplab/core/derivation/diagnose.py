"""Name the mistakes in an expression, from the issue's fixed vocabulary.

Three sources, as the issue asks: the shapes (where evaluation stopped and why), rules on
what was written (W_k without [1:] on the way back to H_{k-1}; an activation derivative in a
matrix product; no derivative where the chain passes an activation), and the values of known
mistaken variants: one edit of the learner's own expression (swap two factors, add or drop a
transpose, W_k → W_k[1:], a matrix product → ⊙, the 1/B, a wrong tensor) that makes it right.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..jacobian import format_shape
from .compare import ATOL_FRACTION, RTOL, Context, close, matmul_operands as _matmul_operands, \
    right_text as _right
from .evaluate import Evaluator, Failure
from .names import Names, UnknownName, _split
from .nodes import BinOp, Call, Deriv, Index, Name, Node, Num, walk
from .repair import search_repair

#: The mistake codes, in the order a message lists them.
MISTAKES = ("parse-error", "unknown-name", "bias-row-kept", "elementwise-as-matrix-product",
            "wrong-order", "transposed", "missing-derivative", "missing-batch-mean", "one-column",
            "local-jacobian-as-vector", "shape-mismatch", "wrong-value", "wrong-claimed-shape")
def crossed(grad_of: str, layer: int, n: int) -> set[int]:
    """The hidden activations the chain from L passes to reach dL/d<grad_of><layer>."""
    if grad_of in ("z", "W", "b"):
        return set(range(layer, n))
    if grad_of == "H":
        return set(range(layer + 1, n))
    return set()


class Diagnosis:
    """Collect (code, explanation) pairs for one checked expression."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.found: dict[str, str] = {}

    @cached_property
    def values(self) -> dict[int, np.ndarray]:
        return _all_values(self.ctx)

    @cached_property
    def parents(self) -> dict[int, Node]:
        return {id(c): p for p in walk(self.ctx.rhs) for c in p.children()}

    @cached_property
    def _tag_pair(self):
        return self._derivative_tags()

    @property
    def tags(self) -> dict[int, int]:
        """id(node) -> j for sub-expressions equal to layer j's activation derivative."""
        return self._tag_pair[0]

    @property
    def wrong_tags(self) -> dict[int, tuple[int, str]]:
        """id(node) -> (j, activation) for another activation's derivative at layer j."""
        return self._tag_pair[1]

    def add(self, code: str, text: str) -> None:
        self.found.setdefault(code, text)

    # ---------------------------------------------------------------- driver
    def run(self) -> dict[str, str]:
        ctx, t = self.ctx, self.ctx.target
        if ctx.value is not None and t.value is not None and close(ctx.value, t.value):
            self.claim_rule()
            return {code: self.found[code] for code in MISTAKES if code in self.found}
        self.bias_row_rule()
        self.elementwise_rule()
        self.local_jacobian_rule()
        if ctx.value is not None:
            self.from_value()
        elif ctx.failure is not None:
            self.from_failure()
        self.claim_rule()
        return {code: self.found[code] for code in MISTAKES if code in self.found}

    # ------------------------------------------------------------------ rules
    def bias_row_rule(self) -> None:
        ctx, t = self.ctx, self.ctx.target
        if ctx.names.convention != "row-folded":
            return
        for node in walk(ctx.rhs):
            if not isinstance(node, Name):
                continue
            d, base, k = _split(node.key)
            if d or base != "W" or k is None or k > ctx.names.net.n or k < 1:
                continue
            parent = self.parents.get(id(node))
            if isinstance(parent, Index) and parent.items and parent.items[0] == (1, None):
                continue
            below = (t.kind == "gradient" and ((t.grad_of in ("z", "W", "b") and t.layer < k)
                                               or (t.grad_of == "H" and t.layer <= k - 1)))
            below |= t.kind == "local" and t.local is not None and t.local[0] == f"z{k}" and \
                not t.local[1].startswith("W")
            if below:
                W = ctx.names.net.W(k)
                prev = "x" if k == 1 else f"H{k - 1}"
                self.add("bias-row-kept",
                         f"{ctx.src(node)} is {format_shape(W.shape)}, but its row 0, the bias row, "
                         f"multiplies the constant 1 in [1 {prev}], not {prev}: it has no path back to "
                         f"{prev}. Use W{k}[1:] ({format_shape((W.shape[0] - 1, W.shape[1]))}) on the "
                         f"way back, so W{k}[1:]ᵀ is {format_shape((W.shape[1], W.shape[0] - 1))}.")

    def elementwise_rule(self) -> None:
        ctx = self.ctx
        for node in walk(ctx.rhs):
            pair = _matmul_operands(node, self.values)
            if pair is None:
                continue
            a, b = pair
            va, vb = self.values.get(id(a)), self.values.get(id(b))
            if va is None or vb is None or va.ndim != 2 or vb.ndim != 2:
                continue
            tagged = next((x for x in (a, b) if id(x) in self.tags), None)
            if tagged is not None:
                j = self.tags[id(tagged)]
                self.add("elementwise-as-matrix-product",
                         f"{ctx.src(tagged)} ({format_shape(self.values[id(tagged)].shape)}) is the "
                         f"derivative of layer {j}'s activation, one number per unit. It enters by an "
                         f"elementwise product ⊙, not a matrix product: ∂H{j}/∂z{j} is the diagonal "
                         f"matrix diag({ctx.names.derivative_text(j)}), and a row times a diagonal "
                         f"matrix is the elementwise product. Write … ⊙ {ctx.names.derivative_text(j)}.")
            elif va.shape == vb.shape and va.shape[0] != va.shape[1]:
                self.add("elementwise-as-matrix-product",
                         f"{ctx.src(a)} and {ctx.src(b)} are both {format_shape(va.shape)}: two rows do "
                         f"not make a matrix product. Factors of the same shape combine elementwise: write "
                         f"{ctx.src(a)} ⊙ {ctx.src(b)}. {_right(ctx)}")
            elif (va.shape[0] == 1 and vb.shape[1] == 1 and va.shape[1] == vb.shape[0] > 1
                  and ctx.target.shape not in ((1, 1), ())):
                self.add("elementwise-as-matrix-product",
                         f"{ctx.src(a)} ({format_shape(va.shape)}) times {ctx.src(b)} "
                         f"({format_shape(vb.shape)}) is a row times a column: it collapses the "
                         f"{va.shape[1]} units into one number. Multiply them elementwise (⊙) instead. {_right(ctx)}")

    def missing_derivative_rule(self) -> None:
        ctx, t = self.ctx, self.ctx.target
        if t.kind != "gradient":
            return
        need = crossed(t.grad_of, t.layer, ctx.names.net.n)
        covered = set(self.tags.values()) | {j for j, _ in self.wrong_tags.values()}
        for node in walk(ctx.rhs):
            q = _gradient_of(ctx.names, node)
            if q is not None:
                covered |= crossed(q[0], q[1], ctx.names.net.n)
            # H_j or z_j in an elementwise product or a function: the derivative written in
            # pieces, as in (… ⊙ H2) ⊙ (1 − H2), where no one sub-expression is f′ itself
            parent = self.parents.get(id(node))
            if isinstance(node, Name) and (isinstance(parent, Call) or (
                    isinstance(parent, BinOp) and parent.op in ("elementwise", "implicit", "−"))):
                try:
                    q = ctx.names.lookup(node.key)
                except UnknownName:
                    continue
                if q.kind in ("activation", "pre-activation"):
                    covered.add(q.layer)
        missing = sorted(need - covered)
        if missing:
            j = missing[0]
            self.add("missing-derivative", _missing_derivative_text(ctx, j))

    def local_jacobian_rule(self) -> None:
        ctx, t = self.ctx, self.ctx.target
        if t.kind != "local" or _vector_like(t.shape):
            return
        v, B = ctx.value, ctx.names.net.B
        rows = lambda shape: _vector_like(shape) or (B > 1 and len(shape) == 2 and B in shape)  # noqa: E731
        as_vector = v is not None and rows(v.shape)  # one vector, or one per sample of a batch
        claimed = ctx.claim is not None and rows(ctx.claim)
        if not (as_vector or claimed):
            return
        of, wrt = t.local
        shown = format_shape(v.shape) if as_vector else format_shape(ctx.claim)
        if t.structure == "diagonal":
            fix = (f"its off-diagonal entries are zero, so the vector {shown} holds only its diagonal. "
                   f"Write diag({ctx.src(ctx.rhs) if as_vector else '…'}) for the Jacobian, or keep the "
                   f"vector and multiply it elementwise (⊙) in the chain")
        elif t.structure == "outer" and len(t.shape) == 3:
            fix = (f"each of its {t.shape[0]} output units has its own {format_shape(t.shape[1:])} slice, "
                   f"non-zero only in that unit's column, where it holds the row {shown} of inputs. "
                   f"Contracted with δ it becomes the outer product [1 …]ᵀ · δ, which is how the "
                   f"chain should use it")
        else:
            fix = (f"a vector cannot hold its {format_shape(t.shape)} entries; write the full "
                   f"{'matrix' if len(t.shape) == 2 else 'tensor'}")
        self.add("local-jacobian-as-vector",
                 f"{t.name} is {format_shape(t.shape)} {t.structure}, not a vector: {fix}.")

    def claim_rule(self) -> None:
        ctx, t = self.ctx, self.ctx.target
        if ctx.claim is None:
            return
        actual = tuple(ctx.value.shape) if ctx.value is not None else t.shape
        against = "your expression" if ctx.value is not None else t.name
        if tuple(ctx.claim) != actual:
            self.add("wrong-claimed-shape",
                     f"you claim {format_shape(ctx.claim)}, but {against} is {format_shape(actual)}. "
                     f"Count the shapes factor by factor (step by step) and claim "
                     f"{format_shape(actual)}.")
        if (t.kind == "gradient" and t.grad_of == "W" and len(ctx.claim) == 2
                and ctx.claim[-1 if not ctx.names.column else 0] == 1 and min(t.shape) > 1):
            self.add("one-column", _one_column_text(ctx))

    # ------------------------------------------------------------ from values
    def from_value(self) -> None:
        ctx, t, v = self.ctx, self.ctx.target, self.ctx.value
        truth, B = t.value, ctx.names.net.B
        if truth is None or "local-jacobian-as-vector" in self.found:
            if v.shape != t.shape and "local-jacobian-as-vector" not in self.found:
                self.add("shape-mismatch", f"your expression is {format_shape(v.shape)}, but {t.name} "
                                           f"is {format_shape(t.shape)}. {_right(ctx)}")
            return
        if v.ndim == 2 and close(v.T, truth):
            self.add("transposed", f"your result is {format_shape(v.shape)}, the transpose of {t.name} "
                                   f"({format_shape(truth.shape)}). {_right(ctx)}")
            return
        if B > 1 and (close(v, B * truth) or (v.ndim == 2 and close(v.T, B * truth))):
            self.add("missing-batch-mean", _batch_text(ctx))
            if not close(v, B * truth):
                self.add("transposed", f"it is also the transpose of {t.name}. {_right(ctx)}")
            return
        if (v.ndim == 2 and truth.ndim == 2 and v.shape[0] == truth.shape[0]
                and v.shape[1] == truth.shape[1] + 1 and close(v[:, 1:], truth)):
            self.add("bias-row-kept", self.found.get("bias-row-kept") or
                     f"your result has one column more than {t.name}, and columns 1: are right: the "
                     f"bias row went back. Use W[1:]. {_right(ctx)}")
            return
        variant = _no_derivative_variant(ctx)
        if variant is not None:
            j, w = variant
            for scale, batch in ((1, False), (B, True)):
                if B == 1 and batch:
                    continue
                if close(v, scale * w):
                    self.add("missing-derivative", _missing_derivative_text(ctx, j))
                    if batch:
                        self.add("missing-batch-mean", _batch_text(ctx))
                    return
        repair = self.search()
        if repair:
            self.add(*repair)
            return
        self.wrong_derivative_rule()
        self.missing_derivative_rule()
        if t.grad_of == "W" and v.ndim == 2 and (v.shape[1] == 1 if not ctx.names.column else v.shape[0] == 1) \
                and min(truth.shape) > 1:
            self.add("one-column", _one_column_text(ctx))
        if "bias-row-kept" in self.found or "elementwise-as-matrix-product" in self.found:
            return
        if v.shape != truth.shape:
            self.add("shape-mismatch", f"your expression is {format_shape(v.shape)}, but {t.name} is "
                                       f"{format_shape(truth.shape)}. {_right(ctx)}")
        elif "missing-derivative" not in self.found and "wrong-value" not in self.found:
            off = int(np.count_nonzero(~np.isclose(v, truth, rtol=RTOL,
                                                   atol=ATOL_FRACTION * float(np.max(np.abs(truth), initial=1e-12)))))
            self.add("wrong-value", f"the shape {format_shape(v.shape)} is right, but {off:,} of "
                                    f"{truth.size:,} values differ from the trace's {t.name}. {_right(ctx)}")

    # ----------------------------------------------------------- from failure
    def from_failure(self) -> None:
        ctx, f = self.ctx, self.ctx.failure
        self.missing_derivative_rule()
        repair = self.search()
        if repair:
            self.add(*repair)
        shapes = f.shapes
        if len(shapes) == 2 and f.op in ("⊙", "+", "−") and ctx.dialect == "math" and self.broadcast_right():
            self.add("shape-mismatch",
                     f"{ctx.src(f.node)}: ⊙, + and − need equal shapes, and here they are "
                     f"{format_shape(shapes[0])} and {format_shape(shapes[1])}. NumPy's broadcasting "
                     f"would stretch the smaller one and give the right value, but the math does not "
                     f"broadcast: apply the elementwise factor where both sides have the same shape "
                     f"(before the outer or matrix product). {_right(ctx)}")
        if len(shapes) == 2 and f.op == "·":
            (sa, sb), node = shapes, f.node
            pair = _matmul_operands(node, self.values)
            a, b = pair if pair else (node, node)
            fits = lambda p, q: len(p) == 2 and len(q) == 2 and p[1] == q[0]  # noqa: E731
            if "elementwise-as-matrix-product" in self.found or "bias-row-kept" in self.found:
                return
            if fits(sb, sa):
                self.add("wrong-order", f"{ctx.src(a)} ({format_shape(sa)}) · {ctx.src(b)} "
                                        f"({format_shape(sb)}) does not fit, but the other order, "
                                        f"{ctx.src(b)} · {ctx.src(a)}, does. {_right(ctx)}")
            elif fits(sa[::-1], sb) or fits(sa, sb[::-1]):
                which = ctx.src(a) if fits(sa[::-1], sb) else ctx.src(b)
                self.add("transposed", f"{ctx.src(a)} ({format_shape(sa)}) · {ctx.src(b)} "
                                       f"({format_shape(sb)}) does not fit; with {which} transposed "
                                       f"it would. {_right(ctx)}")
        elif len(shapes) == 2 and shapes[0] == tuple(shapes[1][::-1]):
            self.add("transposed", f"the two sides of {ctx.src(f.node)} are "
                                   f"{format_shape(shapes[0])} and {format_shape(shapes[1])}: one of them "
                                   f"needs a transpose. {_right(ctx)}")
        if not self.found:
            self.add("shape-mismatch", f"{f.message}. {_right(ctx)}")

    def broadcast_right(self) -> bool:
        """Whether the expression, read with NumPy's broadcasting, equals the target."""
        ctx = self.ctx
        try:
            v = Evaluator(ctx.names, ctx.text, "numpy", record=False).value(ctx.rhs)
        except (Failure, UnknownName):
            return False
        return close(v, ctx.target.value)

    def search(self) -> tuple[str, str] | None:
        """The first one-edit change of the expression that makes it equal the target."""
        return search_repair(self.ctx, self.values)

    def _derivative_tags(self) -> tuple[dict[int, int], dict[int, tuple[int, str]]]:
        """Sub-expressions equal to layer j's activation derivative, and to another activation's."""
        names, tags, wrong = self.ctx.names, {}, {}
        others = {j: _other_derivatives(names, j) for j in names.net.D}
        for node in walk(self.ctx.rhs):
            v = self.values.get(id(node))
            if v is None or isinstance(node, (Num,)):
                continue
            for j in names.net.D:
                if close(v, names.derivative(j)):
                    tags[id(node)] = j
                    break
                other = next((name for name, d in others[j] if close(v, d)), None)
                if other:
                    wrong[id(node)] = (j, other)
                    break
        return tags, wrong

    def wrong_derivative_rule(self) -> None:
        ctx = self.ctx
        for node in walk(ctx.rhs):
            if id(node) in self.wrong_tags:
                j, other = self.wrong_tags[id(node)]
                self.add("wrong-value", f"{ctx.src(node)} is the derivative of {other}, but layer {j} "
                                        f"of this network uses {ctx.names.net.activation.name}: its "
                                        f"derivative is {ctx.names.derivative_text(j)}. {_right(ctx)}")
                return


# ------------------------------------------------------------------ helpers
def _other_derivatives(names: Names, j: int) -> list[tuple[str, np.ndarray]]:
    """The derivatives other activations would have at layer j, where they differ from the real one."""
    H, z = names.net.H[j], names.net.z[j]  # (B, n_j)
    s = 0.5 * (1 + np.tanh(0.5 * z))  # (B, n_j)
    forms = [("the sigmoid (H(1 − H))", H * (1 - H)), ("the sigmoid (σ′(z))", s * (1 - s)),
             ("tanh (1 − H²)", 1 - H * H), ("tanh (tanh′(z))", 1 - np.tanh(z) ** 2),
             ("relu (1[z > 0])", (z > 0).astype(np.float64))]
    true = names.net.D[j]
    return [(name, names.orient(d)) for name, d in forms if not close(d, true)]


def _all_values(ctx: Context) -> dict[int, np.ndarray]:
    """Every sub-expression's value that evaluates on its own (for tags and rules)."""
    ev = Evaluator(ctx.names, ctx.text, ctx.dialect, record=False)
    for node in walk(ctx.rhs):
        try:
            ev.value(node)
        except (Failure, UnknownName):
            pass
    return ev.values


def _gradient_of(names: Names, node: Node) -> tuple[str, int] | None:
    try:
        if isinstance(node, Name):
            q = names.lookup(node.key)
        elif isinstance(node, Deriv) and node.of == "L":
            q = names.gradient(node.wrt)
        else:
            return None
    except UnknownName:
        return None
    return (q.grad_of, q.layer) if q.kind == "gradient" else None


def _vector_like(shape) -> bool:
    return len(shape) <= 1 or (len(shape) == 2 and 1 in shape)


def _batch_text(ctx: Context) -> str:
    B = ctx.names.net.B
    return (f"your result is B = {B} times {ctx.target.name}: L is the mean over the batch, so its "
            f"gradient carries a factor 1/B. Multiply by 1/B (write 1/B or \\frac{{1}}{{B}}; m in Ng's "
            f"notation). {_right(ctx)}")


def _one_column_text(ctx: Context) -> str:
    t = ctx.target
    return (f"a weight gradient has the shape of its weights, {format_shape(t.shape)}: one number per "
            f"weight. One column ({format_shape(t.shape[:1] + (1,))}) would mean one unit. That comes "
            f"from multiplying the layer's units away, usually an activation derivative written as a "
            f"matrix product; keep δ a row of {t.shape[1]} units and take the outer product. {_right(ctx)}")


def _missing_derivative_text(ctx: Context, j: int) -> str:
    act = ctx.names.net.activation.name
    return (f"on the way from L to {ctx.target.name} the chain passes H{j} = {act}(z{j}), so it needs "
            f"the factor ∂H{j}/∂z{j} = diag(f′(z{j})), applied as ⊙ {ctx.names.derivative_text(j)}. "
            f"{_right(ctx)}")


def _no_derivative_variant(ctx: Context):
    """The target computed as if the activation nearest it had slope 1, with that layer."""
    t, names = ctx.target, ctx.names
    net = names.net
    if t.kind != "gradient":
        return None
    j = t.layer if t.grad_of in ("z", "W", "b") else t.layer + 1
    if j >= net.n or j < 1:
        return None
    dz = net.dH[j]  # (B, n_j) the gradient without the derivative factor
    if t.grad_of == "z":
        row = dz
    elif t.grad_of in ("W", "b"):
        A = np.hstack([np.ones((net.B, 1)), net.H[j - 1]])  # (B, n_{j-1} + 1)
        full = A.T @ dz  # (n_{j-1} + 1, n_j)
        row = full if names.convention == "row-folded" else (full[1:].T if t.grad_of == "W" else
                                                             (full[:1].T if names.column else full[:1]))
        scale = net.B if t.reading.startswith("Ng") else 1
        return j, row * scale
    else:  # H_{j-1}
        row = dz @ net.W(j)[1:].T  # (B, n_{j-1})
    scale = net.B if t.reading.startswith("Ng") else 1
    return j, names.orient(row) * scale


