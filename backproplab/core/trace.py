"""A recorded forward and backward pass: read-only steps, shown many times.

Panels, notebooks and the ``backproplab trace`` command only index a
:class:`Trace`; they never compute. Step names follow the learner's question:
x, z1, H1, z2, H2, z3, y_hat, L, then dL/dz3, dL/dW3, dL/dH2, ... dL/dW1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..errors import ConfigError
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape


@dataclass(frozen=True)
class Factor:
    """One named quantity in a chain rule or a product, with its shape."""

    name: str
    shape: tuple[int, ...]
    structure: str = ""
    latex: str = ""
    note: str = ""

    def __str__(self) -> str:
        extra = f", {self.structure}" if self.structure else ""
        return f"{self.name} ({format_shape(self.shape)}{extra})"


@dataclass(frozen=True)
class Step:
    """One quantity of the pass: its value, shape, formula and how it is computed.

    ``factors`` are the chain-rule factors (Jacobians) of a backward step;
    ``operands`` and ``operator`` the efficient product that computes it
    (``"·"`` matrix product, ``"⊙"`` elementwise product, ``"−"`` difference,
    or a function name applied elementwise).
    """

    index: int
    name: str
    phase: str
    value: np.ndarray = field(repr=False)
    latex: str
    layer: int
    kind: str
    operands: tuple[Factor, ...] = ()
    operator: str = ""
    factors: tuple[Factor, ...] = ()
    jacobian: tuple[str, str] | None = None
    note: str = ""
    target: str = ""  # for a parameter gradient, the parameter whose shape it has

    @property
    def wrt(self) -> str:
        """For a gradient dL/d<name>, the <name> whose shape it has ("W2", "H2", "z2")."""
        return self.name[len("dL/d"):] if self.name.startswith("dL/d") else ""

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def product_text(self) -> str:
        """The efficient computation with every shape, ending in the result's shape."""
        if not self.operands:
            return ""
        if self.operator in ("·", "⊙", "−"):
            body = f" {self.operator} ".join(str(f) for f in self.operands)
        else:
            body = f"{self.operator}({', '.join(str(f) for f in self.operands)})"
        tail = f" = shape of {self.target}" if self.target else ""
        return f"{body} = {format_shape(self.shape)}{tail}"

    def dimension_check(self) -> str:
        """The visible check that a matrix product's inner dimensions agree."""
        if self.operator == "·" and len(self.operands) == 2:
            a, b = (f.shape for f in self.operands)
            ok = "✓" if a[-1] == b[0] else "✗"
            return f"inner dimensions {a[-1]} = {b[0]} {ok}; result {a[0]}×{b[-1]}"
        if self.operator in ("⊙", "−"):
            same = len({f.shape for f in self.operands}) == 1
            return f"elementwise: the shapes agree {'✓' if same else '✗'}"
        return ""

    def chain_text(self) -> str:
        """The chain rule as Jacobian factors, e.g. ∂L/∂z2 (1×10) · ∂z2/∂W2 (10×101×10)."""
        return " · ".join(str(f) for f in self.factors)

    def ledger(self) -> list[str]:
        """The lines a learner reads to see why the shape comes out as it does."""
        lines = []
        if self.factors:
            lines.append(f"chain rule: {self.chain_text()}")
            lines += [f"  {f.name}: {f.note}" for f in self.factors if f.note]
        if self.operands:
            lines.append(f"computed as: {self.product_text()}")
            check = self.dimension_check()
            if check:
                lines.append(f"  {check}")
        if self.note:
            lines.append(f"note: {self.note}")
        return lines

    def to_markdown(self) -> str:
        """The step as Markdown: heading, formula, shape and ledger."""
        body = "\n".join(f"- {line.strip()}" for line in self.ledger())
        return (f"**{self.name}** ({self.phase}, shape {format_shape(self.shape)})\n\n"
                f"$${self.latex}$$\n\n{body}\n")

    def to_latex(self) -> str:
        """The step's formula with its shape, as a LaTeX display equation."""
        shape = r"\times".join(str(n) for n in self.shape) or r"\text{scalar}"
        return f"\\[ {self.latex} \\qquad ({shape}) \\]"


class Trace:
    """An ordered, read-only record of one forward and backward pass."""

    def __init__(self, *, steps: list[Step], description: str,
                 jacobians: dict[tuple[str, str], tuple[Callable, Callable]]) -> None:
        for step in steps:
            step.value.setflags(write=False)
        self._steps = tuple(steps)
        self._by_name = {s.name: s for s in steps}
        self._jacobians = jacobians
        self.description = description

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._steps)

    @property
    def batch_size(self) -> int:
        return self._steps[0].shape[0]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    def __getitem__(self, key: str | int) -> Step:
        if isinstance(key, int):
            return self._steps[key]
        if key not in self._by_name:
            raise KeyError(f"no step {key!r} in this trace; steps are: {', '.join(self.names)}")
        return self._by_name[key]

    def jacobian_info(self, of: str, wrt: str) -> JacobianInfo:
        """Describe the local Jacobian ∂of/∂wrt (shape, structure) without building it."""
        return self._jacobian_pair(of, wrt)[0]()

    def jacobian(self, of: str, wrt: str, *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        """Materialise the local Jacobian ∂of/∂wrt, e.g. ("z3", "W3") -> (10, 11, 10)."""
        return self._jacobian_pair(of, wrt)[1](max_entries)

    @property
    def jacobian_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (of, wrt) whose local Jacobian this trace can describe."""
        return tuple(self._jacobians)

    def _jacobian_pair(self, of: str, wrt: str):
        if (of, wrt) not in self._jacobians:
            known = ", ".join(f"({a!r}, {b!r})" for a, b in self._jacobians)
            raise ConfigError(f"no local Jacobian ∂{of}/∂{wrt} in this network; known: {known}.")
        return self._jacobians[(of, wrt)]

    # ------------------------------------------------------- derivations
    def check_derivation(self, text: str, target: str | None = None, *, convention: str = "row-folded",
                         dialect: str | None = None):
        """Check a learner's derivation, e.g. "dL/dW2 = [1 H1]^T δ2", against this pass.

        Returns a :class:`~backproplab.core.derivation.DerivationCheck` (see that package).
        """
        from .derivation import check_derivation

        return check_derivation(self, text, target, convention=convention, dialect=dialect)

    def chain(self, name: str):
        """Every Jacobian factor from L down to ``name`` ("dL/dW2") with the running shapes."""
        from .derivation import chain

        return chain(self, name)

    # -------------------------------------------------------------- rendering
    def summary(self) -> str:
        """A deterministic text table of every step with its shape and computation."""
        rows = [(str(s.index), s.phase, s.name, format_shape(s.shape), _how(s)) for s in self]
        head = ("#", "phase", "step", "shape", "computed as")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
        fmt = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4]  # noqa: E731
        return "\n".join([self.description, fmt(head)] + [fmt(r).rstrip() for r in rows])

    __str__ = summary

    def __repr__(self) -> str:
        return f"<Trace of {self.description}: {len(self)} steps>"

    def to_markdown(self) -> str:
        """Every step as a Markdown table: name, phase, shape, formula, computation."""
        lines = [f"**{self.description}**", "", "| # | phase | step | shape | formula | computed as |",
                 "|---|---|---|---|---|---|"]
        for s in self:
            lines.append(f"| {s.index} | {s.phase} | {s.name} | {format_shape(s.shape)} | "
                         f"${s.latex}$ | {_how(s)} |")
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """Every step's formula and shape in one LaTeX ``align*`` environment."""
        rows = []
        for s in self:
            shape = r"\times".join(str(n) for n in s.shape) or r"\text{scalar}"
            lhs, _, rhs = s.latex.partition("=")
            rows.append(f"  {lhs.strip()} &= {rhs.strip() or lhs.strip()} && {shape}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def _how(step: Step) -> str:
    text = step.product_text()
    if step.note and step.kind == "input gradient":
        text += "  [bias row dropped]"
    return text or "given"
