"""What the diagnosis and the repair search share: the comparison, the context, two helpers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluate import Failure
from .names import Names, Target
from .nodes import BinOp, Call, Node

RTOL, ATOL_FRACTION = 1e-4, 1e-5


def close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Equal shapes and values within float32 tolerance (relative 1e-4, absolute 1e-5·max|b|)."""
    if a is None or b is None or a.shape != b.shape:
        return False
    if a.size == 0:
        return True
    mag = np.abs(b)
    atol = ATOL_FRACTION * max(float(mag.max()), 1e-12)
    if a.size > 4096:  # most comparisons fail: reject on a strided sample before the full check
        step = a.size // 1024
        sa, sb = a.reshape(-1)[::step], b.reshape(-1)[::step]
        if not (np.abs(sa - sb) <= atol + RTOL * np.abs(sb)).all():
            return False
    return bool((np.abs(a - b) <= atol + RTOL * mag).all())


@dataclass
class Context:
    """Everything the diagnosis reads: the names, the target, the tree, the result."""

    names: Names
    target: Target
    text: str
    rhs: Node
    dialect: str
    value: np.ndarray | None
    failure: Failure | None
    claim: tuple[int, ...] | None

    def src(self, node: Node) -> str:
        return " ".join(self.text[node.pos:node.end].split())


def matmul_operands(node: Node, values) -> tuple[Node, Node] | None:
    """The two factors of a matrix product (·, juxtaposition, np.dot, H(…) of unequal shapes)."""
    if isinstance(node, BinOp) and node.op == "matmul":
        return node.a, node.b
    if isinstance(node, BinOp) and node.op == "implicit":
        va, vb = values.get(id(node.a)), values.get(id(node.b))
        if va is not None and vb is not None and va.shape != vb.shape:
            return node.a, node.b
    if isinstance(node, Call) and node.func in ("np.dot", "np.matmul", "dot") and len(node.args) == 2:
        return node.args[0], node.args[1]
    return None


def right_text(ctx: Context) -> str:
    """ "The right form: dL/dW2 = [1 H1]ᵀ δ2." (empty where no expression states it)."""
    return f"The right form: {ctx.target.name} = {ctx.target.answer}." if ctx.target.answer else ""
