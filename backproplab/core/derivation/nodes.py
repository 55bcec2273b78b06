"""The syntax tree of a learner's expression: small frozen nodes with their text span."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    """Base: ``pos``/``end`` are character offsets into the learner's text."""

    pos: int = field(default=0, kw_only=True)
    end: int = field(default=0, kw_only=True)

    def children(self) -> tuple["Node", ...]:
        return ()


@dataclass(frozen=True)
class Num(Node):
    value: float


@dataclass(frozen=True)
class Name(Node):
    key: str  # canonical: "H1", "yhat", "δ2", "dZ2", "W2"


@dataclass(frozen=True)
class Deriv(Node):
    of: str  # "L" for a gradient, else a local Jacobian's output ("z3", "H2")
    wrt: str


@dataclass(frozen=True)
class Ones(Node):
    """``[1 H]``: the input with its leading column of ones."""

    inner: Node

    def children(self):
        return (self.inner,)


@dataclass(frozen=True)
class Transpose(Node):
    x: Node

    def children(self):
        return (self.x,)


@dataclass(frozen=True)
class Index(Node):
    """``W3[1:]``: each item is an int or a (start, stop) pair, None for an open end."""

    x: Node
    items: tuple

    def children(self):
        return (self.x,)


@dataclass(frozen=True)
class Power(Node):
    x: Node
    exponent: int

    def children(self):
        return (self.x,)


@dataclass(frozen=True)
class Neg(Node):
    x: Node

    def children(self):
        return (self.x,)


@dataclass(frozen=True)
class BinOp(Node):
    """``op``: "matmul" (·, @, juxtaposition, * in math), "elementwise" (⊙, * in NumPy),
    "implicit" (a name followed by a parenthesised factor), "+", "−", "/"."""

    op: str
    a: Node
    b: Node
    written: str = ""  # the operator as typed: "·", "@", "", "⊙", "*"

    def children(self):
        return (self.a, self.b)


@dataclass(frozen=True)
class Call(Node):
    """A function: "σ", "σ′", "tanh", "tanh′", "relu", "relu′", "f′", "diag", "np.dot", ..."""

    func: str
    args: tuple
    kwargs: tuple = ()  # ((name, value), ...)

    def children(self):
        return tuple(self.args)


def walk(node: Node):
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))
