"""The search for a one-edit repair: change one thing in the learner's expression
(swap two factors, add or drop a transpose, W_k → W_k[1:], a matrix product → ⊙, the 1/B,
a wrong tensor, the sign) and see whether it then equals the target.
"""

from __future__ import annotations

from dataclasses import replace

from .compare import Context, close, matmul_operands as _matmul_operands, right_text as _right
from .evaluate import Evaluator, Failure
from .names import UnknownName, _split
from .nodes import BinOp, Deriv, Index, Name, Node, Num, Ones, Transpose, walk

#: The most variant expressions evaluated in the search for a one-edit repair.
MAX_VARIANTS = 200
#: The work units (nodes evaluated, products by their size) the whole search may spend: a
#: deterministic bound, so that a long or costly expression gets its verdict in milliseconds.
SEARCH_WORK = 800


def search_repair(ctx: Context, values: dict) -> tuple[str, str] | None:
    """The first one-edit change of the expression that makes it equal the target."""
    truth = ctx.target.value
    if truth is None:
        return None
    budget, keep, work = MAX_VARIANTS, [], [SEARCH_WORK]
    for code, text, root in _edits(ctx, values):
        budget -= 1
        if budget < 0 or work[0] < 0:
            return None
        # An edit rebuilds only the path to the root: the untouched subtrees keep their
        # identity, so their values are reused (``keep`` holds the new trees alive, so
        # that no id is reused while the memo lives).
        keep.append(root)
        ev = Evaluator(ctx.names, ctx.text, ctx.dialect, record=False, budget=work)
        ev.values = values.copy()
        try:
            v = ev.value(root)
        except (Failure, UnknownName):
            continue
        if close(v, truth):
            return code, f"{text}: with that one change your expression equals the trace's " \
                         f"{ctx.target.name}. {_right(ctx)}"
    return None


_CHILD_FIELDS = {"BinOp": ("a", "b"), "Call": ("args",), "Ones": ("inner",), "Transpose": ("x",),
                 "Index": ("x",), "Power": ("x",), "Neg": ("x",)}


def rebuild(root: Node, old: Node, new: Node, parents: dict[int, Node] | None = None) -> Node:
    """``root`` with the node ``old`` (by identity) replaced by ``new``: only the path from
    ``old`` up to the root is rebuilt, so every other subtree keeps its identity."""
    parents = parents if parents is not None else {id(c): p for p in walk(root) for c in p.children()}
    child, node = old, new
    while child is not root:
        parent = parents[id(child)]
        changes = {}
        for name in _CHILD_FIELDS[type(parent).__name__]:
            v = getattr(parent, name)
            if v is child:
                changes[name] = node
            elif isinstance(v, tuple) and any(x is child for x in v):
                changes[name] = tuple(node if x is child else x for x in v)
        child, node = parent, replace(parent, **changes)
    return node


def _rebuild(root, old, new, parents):
    return rebuild(root, old, new, parents)


def _edits(ctx: Context, values):
    """(code, description, new tree) for each one-edit variant, most telling first."""
    root, src, names = ctx.rhs, ctx.src, ctx.names
    span = lambda n: {"pos": n.pos, "end": n.end}  # noqa: E731
    nodes = list(walk(root))
    parents = {id(c): p for p in nodes for c in p.children()}

    def rebuild(root, old, new):  # noqa: F811  the path-only rebuild with this tree's parents
        return _rebuild(root, old, new, parents)

    if names.convention == "row-folded":
        for n in nodes:
            if isinstance(n, Name) and _split(n.key)[1] == "W" and not _split(n.key)[0]:
                yield ("bias-row-kept", f"use {src(n)}[1:], the rows after the bias row, where {src(n)} "
                                        f"stands", rebuild(root, n, Index(n, ((1, None),), **span(n))))
    for n in nodes:
        pair = _matmul_operands(n, values)
        if pair is None:
            continue
        a, b = pair
        yield ("wrong-order", f"swap the factors: {src(b)} · {src(a)}, not {src(a)} · {src(b)}",
               rebuild(root, n, BinOp("matmul", b, a, "·", **span(n))))
        yield ("elementwise-as-matrix-product", f"multiply {src(a)} and {src(b)} elementwise (⊙), not "
                                                f"by a matrix product",
               rebuild(root, n, BinOp("elementwise", a, b, "⊙", **span(n))))
        ua = a.x if isinstance(a, Transpose) else a
        ub = b.x if isinstance(b, Transpose) else b
        if ua is not a or ub is not b:
            yield ("elementwise-as-matrix-product", f"multiply {src(ua)} and {src(ub)} elementwise (⊙), "
                                                    f"not by a matrix product",
                   rebuild(root, n, BinOp("elementwise", ua, ub, "⊙", **span(n))))
    for n in nodes:  # a transpose added to a leaf or to the whole, or one dropped
        if isinstance(n, Transpose):
            yield ("transposed", f"drop the transpose of {src(n.x)}", rebuild(root, n, n.x))
        elif isinstance(n, (Name, Deriv, Ones, Index)) or n is root:
            yield ("transposed", f"transpose {src(n)}", rebuild(root, n, Transpose(n, **span(n))))
    B = names.net.B
    whole = lambda k: BinOp("matmul", Name(k, **span(root)), root, "", **span(root))  # noqa: E731
    if B > 1:
        yield ("missing-batch-mean", "divide by B, the batch size",
               BinOp("/", root, Name("B", **span(root)), "/", **span(root)))
    for n in nodes:
        v = values.get(id(n))
        if v is None:
            continue
        for j in names.net.D:
            if v.shape == names.derivative(j).shape and not isinstance(n, Num):
                yield ("missing-derivative", f"multiply {src(n)} by the activation derivative "
                                             f"{names.derivative_text(j)} elementwise",
                       rebuild(root, n, BinOp("elementwise", n, Name(f"@D{j}", **span(n)), "⊙", **span(n))))
    candidates = names.candidates()
    for n in nodes:
        if not isinstance(n, (Name, Deriv)) or values.get(id(n)) is None:
            continue
        for q in candidates:
            if q.value.shape == values[id(n)].shape and q.value is not values[id(n)]:
                yield ("wrong-value", f"{src(n)} is the wrong tensor: {q.label} belongs there",
                       rebuild(root, n, Name(q.key, **span(n))))
    if B > 1:
        yield ("wrong-value", "your expression divides by B once too often: drop one 1/B",
               whole("B"))
    yield ("wrong-value", "the sign is wrong: your expression is minus the right one",
           BinOp("matmul", Num(-1.0, **span(root)), root, "", **span(root)))
