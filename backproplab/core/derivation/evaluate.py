"""Evaluate a parsed expression with a trace's arrays, recording every sub-expression.

Left to right as written; each node's value, shape and rule ("matrix product 1×10 · 10×10
→ 1×10") become an :class:`EvalStep`. The first place where shapes do not fit raises
:class:`Failure` with both shapes; nothing is evaluated as Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..jacobian import format_shape
from .names import MAX_LOCAL_JACOBIAN, Names, Quantity, UnknownName
from .nodes import BinOp, Call, Deriv, Index, Name, Neg, Node, Num, Ones, Power, Transpose

#: The most multiply-adds one product may cost, and the most entries any value may hold.
MAX_FLOPS = 100_000_000
MAX_ENTRIES = 5_000_000
#: Multiply-adds that cost as much as evaluating one node (about 15 µs), for work budgets.
FLOPS_PER_UNIT = 25_000


@dataclass(frozen=True)
class EvalStep:
    """One evaluated sub-expression: its text, shape and the rule that made it.

    ``ok`` is False for the step where evaluation stopped (``shape`` is then None).
    ``depth`` is its depth in the expression tree (0 for the whole expression).
    """

    text: str
    shape: tuple[int, ...] | None
    rule: str
    ok: bool = True
    pos: int = 0
    end: int = 0
    depth: int = 0


class Failure(Exception):
    """Evaluation stopped at ``node``: ``shapes`` are the operands' shapes that did not fit."""

    def __init__(self, node: Node, message: str, shapes: tuple = (), op: str = "") -> None:
        super().__init__(message)
        self.node, self.message, self.shapes, self.op = node, message, shapes, op


def _s(a: np.ndarray) -> str:
    return format_shape(a.shape)


class Evaluator:
    """Evaluate nodes with the arrays of ``names`` (one convention) in one dialect."""

    def __init__(self, names: Names, text: str, dialect: str, *, record: bool = True,
                 budget: list[int] | None = None) -> None:
        self.names, self.text, self.dialect, self.record = names, text, dialect, record
        self.budget = budget  # [units left]: one per node, one per FLOPS_PER_UNIT multiply-adds
        self.steps: list[EvalStep] = []
        self.values: dict[int, np.ndarray] = {}  # id(node) -> value
        self.notes: list[str] = []
        self._depth = 0

    # ------------------------------------------------------------- driver
    def value(self, node: Node) -> np.ndarray:
        known = self.values.get(id(node))
        if known is not None:
            return known
        self.spend(node, 1)
        self._depth += 1
        try:
            v, rule = self._eval(node)
        except Failure as f:
            if self.record and not any(not s.ok for s in self.steps):
                self.steps.append(EvalStep(self.text[f.node.pos:f.node.end], None, f.message, False,
                                           f.node.pos, f.node.end, self._depth - 1))
            raise
        finally:
            self._depth -= 1
        if v.size > MAX_ENTRIES:
            raise Failure(node, f"{_s(v)} holds more than {MAX_ENTRIES:,} numbers; check a smaller piece")
        if not np.all(np.isfinite(v)):
            raise Failure(node, "this overflows to infinity or is not a number (NaN)")
        self.values[id(node)] = v
        if self.record:
            self.steps.append(EvalStep(self.text[node.pos:node.end], tuple(v.shape), rule, True,
                                       node.pos, node.end, self._depth))
        return v

    def spend(self, node: Node, units: int) -> None:
        """Count work against the budget (if any); stop with a Failure when it runs out."""
        if self.budget is not None:
            self.budget[0] -= units
            if self.budget[0] < 0:
                raise Failure(node, "the work budget of the search for a repair is spent")

    def _eval(self, node: Node) -> tuple[np.ndarray, str]:
        method = getattr(self, "_" + type(node).__name__.lower())
        with np.errstate(all="ignore"):
            return method(node)

    # -------------------------------------------------------------- leaves
    def _num(self, node: Num):
        return np.array(float(node.value)), "number"

    def _name(self, node: Name):
        q: Quantity = self.names.lookup(node.key)
        return q.value, f"{q.label}: {_s(q.value)}"

    def _deriv(self, node: Deriv):
        if node.of == "L":
            q = self.names.gradient(node.wrt)
            return q.value, f"{q.label}: {_s(q.value)}"
        of, wrt = self.names.local(node.of, node.wrt)
        info = self.names.net.trace.jacobian_info(of, wrt)
        if info.entries > MAX_LOCAL_JACOBIAN:
            raise Failure(node, f"∂{of}/∂{wrt} is {format_shape(info.shape)} = {info.entries:,} "
                                f"numbers, too many to build; use one sample")
        J = np.asarray(self.names.net.trace.jacobian(of, wrt), dtype=np.float64)
        return J, f"the local Jacobian ∂{of}/∂{wrt}: {_s(J)} {info.structure}"

    # ----------------------------------------------------------- unary
    def _ones(self, node: Ones):
        inner = self.value(node.inner)
        if inner.ndim != 2:
            raise Failure(node, f"[1 …] needs a matrix inside; got {_s(inner)}")
        out = np.hstack([np.ones((inner.shape[0], 1)), inner])  # (B, n + 1)
        return out, f"[1 …]: a leading column of ones, {_s(inner)} → {_s(out)}"

    def _transpose(self, node: Transpose):
        v = self.value(node.x)
        if v.ndim > 2:
            raise Failure(node, f"a {v.ndim}-D tensor ({_s(v)}) has no single transpose")
        return v.T, f"transpose {_s(v)} → {_s(v.T)}" if v.ndim == 2 else "transpose of a scalar"

    def _index(self, node: Index):
        v = self.value(node.x)
        key = tuple(slice(*i) if isinstance(i, tuple) else i for i in node.items)
        if v.ndim < len(key):
            raise Failure(node, f"{_s(v)} has {v.ndim} axes; the index needs {len(key)}")
        try:
            out = v[key]
        except IndexError:
            raise Failure(node, f"the index is outside {_s(v)}") from None
        if out.size == 0:
            raise Failure(node, f"the index leaves nothing of {_s(v)}")
        rule = f"rows {_slice_text(node.items[0])} of {_s(v)} → {_s(out)}"
        if node.items == ((1, None),) and isinstance(node.x, Name) and self.names.convention == "row-folded":
            rule = f"the rows after the bias row: {_s(v)} → {_s(out)}"
        return out, rule

    def _power(self, node: Power):
        v = self.value(node.x)
        return v ** node.exponent, f"elementwise power {node.exponent}: {_s(v)}"

    def _neg(self, node: Neg):
        v = self.value(node.x)
        return -v, f"minus: {_s(v)}"

    # ---------------------------------------------------------- products
    def _binop(self, node: BinOp):
        a = self.value(node.a)
        b = self.value(node.b)
        op = node.op
        if op == "implicit":
            if a.shape == b.shape:
                self.notes.append(f"read {self.text[node.pos:node.end]} as the elementwise product "
                                  f"{self.text[node.a.pos:node.a.end]} ⊙ {self.text[node.b.pos:node.b.end]} "
                                  f"(a name followed by a parenthesised factor of the same shape)")
                return a * b, f"read as elementwise (same shapes): {_s(a)} ⊙ {_s(b)} → {_s(a)}"
            op = "matmul"
        if op == "matmul":
            return self.matmul(node, a, b)
        if op == "elementwise":
            return self.elementwise(node, a, b, "⊙" if self.dialect == "math" else "*")
        if op in ("+", "−"):
            out, rule = self.elementwise(node, a, b, op)
            return out, rule.replace("elementwise product", "sum" if op == "+" else "difference")
        if b.ndim != 0:
            raise Failure(node, f"divide only by a number such as B; the divisor here is {_s(b)}",
                          (a.shape, b.shape), "/")
        if float(b) == 0:
            raise Failure(node, "division by zero")
        return a / b, f"divided by {float(b):g}: {_s(a)}"

    def matmul(self, node: Node, a: np.ndarray, b: np.ndarray):
        if a.ndim == 0 or b.ndim == 0:
            out = a * b
            return out, f"times a number: {_s(out)}"
        if a.ndim == 1 and b.ndim == 1:
            if a.shape != b.shape:
                raise Failure(node, f"np.dot of vectors {_s(a)} and {_s(b)}: lengths differ",
                              (a.shape, b.shape), "·")
            return np.array(a @ b), f"dot product of two {_s(a)} vectors → a number"
        inner_a, inner_b = a.shape[-1], b.shape[0]
        if inner_a != inner_b:
            raise Failure(node, f"matrix product {_s(a)} · {_s(b)}: inner dimensions {inner_a} ≠ "
                                f"{inner_b}", (a.shape, b.shape), "·")
        flops = a.size * (b.size // max(inner_b, 1))
        if flops > MAX_FLOPS:
            raise Failure(node, f"the product {_s(a)} · {_s(b)} is too large to check")
        self.spend(node, flops // FLOPS_PER_UNIT)
        out = np.tensordot(a, b, axes=1)
        return out, f"matrix product {_s(a)} · {_s(b)} → {_s(out)}"

    def elementwise(self, node: Node, a: np.ndarray, b: np.ndarray, sign: str):
        self.spend(node, max(a.size, b.size) // FLOPS_PER_UNIT * 4)
        if a.shape == b.shape or a.ndim == 0 or b.ndim == 0:
            out = a * b if sign in ("⊙", "*") else (a + b if sign == "+" else a - b)
            return out, f"elementwise product {_s(a)} {sign} {_s(b)} → {_s(out)}"
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            shape = None
        if self.dialect == "numpy" and shape is not None and np.prod(shape) <= MAX_ENTRIES:
            out = a * b if sign in ("⊙", "*") else (a + b if sign == "+" else a - b)
            self.notes.append(f"NumPy broadcasts {_s(a)} {sign} {_s(b)} to {_s(out)}")
            return out, f"elementwise with broadcasting {_s(a)} {sign} {_s(b)} → {_s(out)}"
        extra = (f" (NumPy would broadcast them to {format_shape(shape)}; ⊙ needs equal shapes)"
                 if shape is not None else "")
        raise Failure(node, f"elementwise {_s(a)} {sign} {_s(b)}: the shapes differ{extra}",
                      (a.shape, b.shape), sign)

    # ------------------------------------------------------------ functions
    def _call(self, node: Call):
        f = node.func
        kw = dict(node.kwargs)
        args = [self.value(a) for a in node.args]
        want = 2 if f in ("np.dot", "np.matmul", "dot", "np.multiply", "np.power", "np.outer") else 1
        if len(args) != want:
            raise Failure(node, f"{f} takes {want} argument{'s' if want > 1 else ''}; got {len(args)}")
        allowed = {"np.sum", "sum", "np.mean"}
        if kw and f not in allowed:
            raise Failure(node, f"{f} takes no keyword arguments here")
        x = args[0]
        act = self.names.net.activation
        if f in ("σ", "np.sigmoid"):
            return 0.5 * (1 + np.tanh(0.5 * x)), f"σ elementwise: {_s(x)}"
        if f == "σ′":
            s = 0.5 * (1 + np.tanh(0.5 * x))
            return s * (1 - s), f"σ′ = σ(1 − σ) elementwise: {_s(x)}"
        if f in ("tanh", "np.tanh"):
            return np.tanh(x), f"tanh elementwise: {_s(x)}"
        if f == "tanh′":
            return 1 - np.tanh(x) ** 2, f"tanh′ = 1 − tanh² elementwise: {_s(x)}"
        if f == "relu":
            return np.maximum(x, 0), f"relu elementwise: {_s(x)}"
        if f == "relu′":
            return (x > 0).astype(np.float64), f"relu′ = 1[z > 0] elementwise: {_s(x)}"
        if f == "f′":
            return act.derivative(act.apply(x), x), f"f′ ({act.name}′) elementwise: {_s(x)}"
        if f in ("exp", "np.exp"):
            return np.exp(np.minimum(x, 700)), f"exp elementwise: {_s(x)}"
        if f in ("diag", "np.diag"):
            if x.ndim == 0 or (x.ndim == 2 and min(x.shape) != 1) or x.ndim > 2:
                raise Failure(node, f"diag(…) takes a vector (a row or a column); got {_s(x)}")
            if x.size > 3000:
                raise Failure(node, f"diag of {x.size} numbers is too large to build")
            out = np.diag(x.ravel())
            return out, f"diag: the vector {_s(x)} on the diagonal of {_s(out)}"
        if f in ("np.dot", "np.matmul", "dot"):
            return self.matmul(node, args[0], args[1])
        if f == "np.multiply":
            return self.elementwise(node, args[0], args[1], "*")
        if f == "np.outer":
            out = np.outer(args[0].ravel(), args[1].ravel())
            return out, f"outer product → {_s(out)}"
        if f == "np.power":
            if args[1].ndim != 0:
                raise Failure(node, "np.power needs a number as its second argument")
            return x ** float(args[1]), f"elementwise power {float(args[1]):g}: {_s(x)}"
        if f == "np.transpose":
            return self._transpose_value(node, x)
        if f in allowed:
            return self._reduce(node, f, x, kw)
        raise UnknownName(f, f"{f} is not a function the checker knows; use np.dot, np.multiply, "
                             f"np.sum, np.power, np.tanh, σ, σ′, tanh′, relu′ or diag")

    def _transpose_value(self, node, x):
        if x.ndim > 2:
            raise Failure(node, f"a {x.ndim}-D tensor has no single transpose")
        return x.T, f"transpose {_s(x)} → {_s(x.T)}"

    def _reduce(self, node, f, x, kw):
        axis, keep = kw.get("axis"), kw.get("keepdims", "False")
        if axis is not None:
            if not isinstance(axis, float) or axis != int(axis) or not -x.ndim <= axis < x.ndim:
                raise Failure(node, f"axis must be a whole number below {x.ndim}; got {axis}")
            axis = int(axis)
        if keep not in ("True", "False"):
            raise Failure(node, "keepdims must be True or False")
        fn = np.mean if f == "np.mean" else np.sum
        out = np.asarray(fn(x, axis=axis, keepdims=keep == "True"))
        return out, f"{f}(axis={axis}, keepdims={keep}): {_s(x)} → {_s(out)}"


def _slice_text(item) -> str:
    if isinstance(item, tuple):
        a, b = item
        return f"{'' if a is None else a}:{'' if b is None else b}"
    return str(item)


def evaluate_quiet(names: Names, root: Node, text: str, dialect: str) -> np.ndarray | None:
    """The value of ``root``, or None where it does not evaluate (no steps recorded)."""
    try:
        return Evaluator(names, text, dialect, record=False).value(root)
    except (Failure, UnknownName):
        return None
