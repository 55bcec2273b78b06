"""A recorded forward and backward pass: read-only steps, shown many times.

Panels, notebooks and the ``backproplab trace`` command only index a
:class:`Trace`; they never compute. Step names follow the learner's question:
x, z1, H1, z2, H2, z3, y_hat, L, then dL/dz3, dL/dW3, dL/dH2, ... dL/dW1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterator

import numpy as np

from ..errors import ConfigError, InputTypeError, StepNotFoundError
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape


class StepKind(str, Enum):
    """What a step is. The values are plain strings, so ``step.kind == "input gradient"`` works."""

    INPUT = "input"  # x
    PRE_ACTIVATION = "pre-activation"  # z_k = [1 H_{k-1}] · W_k
    ACTIVATION = "activation"  # H_k = f(z_k)
    OUTPUT = "output"  # ŷ = softmax(z_n)
    LOSS = "loss"  # L
    OUTPUT_GRADIENT = "output gradient"  # δ_n = dL/dz_n: the fused softmax + cross-entropy, or σ's
    LOSS_GRADIENT = "loss gradient"  # dL/dŷ (the quadratic cost only; cross-entropy goes to δ_n at once)
    PARAMETER_GRADIENT = "parameter gradient"  # dL/dW_k, and dL/db_k in a view with separate biases
    INPUT_GRADIENT = "input gradient"  # dL/dH_{k-1}, back through W_k[1:]
    GRADIENT = "gradient"  # δ_k = dL/dz_k, back through the activation of layer k

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__


def _grouped(name: str) -> str:
    """Parenthesise a name with a top-level + or −, so "A ⊙ (1 − H1²)" reads right."""
    depth, top = 0, False
    for ch in name:
        depth += ch in "([" and 1 or ch in ")]" and -1 or 0
        top = top or (depth == 0 and ch in "+−")
    return f"({name})" if top and " " in name else name


#: The steps where the 1/B of the batch-mean loss enters a gradient (at ŷ − y).
_GRADIENTS_OF_LOSS = (StepKind.OUTPUT_GRADIENT, StepKind.LOSS_GRADIENT)


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
        return f"{_grouped(self.name)} ({format_shape(self.shape)}{extra})"


@dataclass(frozen=True)
class Step:
    """One quantity of the pass: its value, shape, formula and how it is computed.

    ``factors`` are the chain-rule factors (Jacobians) of a backward step;
    ``operands`` and ``operator`` the efficient product that computes it
    (``"·"`` matrix product, ``"⊙"`` elementwise product, ``"−"`` difference,
    ``"·+"`` an affine map a · b + c with the bias c broadcast over the batch,
    or a function name applied elementwise).

    The facts every text is rendered from: ``kind`` (a :class:`StepKind`),
    ``layer``; ``weight``, the W_k the step goes through (z_k, dL/dW_k, and
    dL/dH_{k-1}, which uses W_k[1:]); ``source``, layer k's input ("x", "H1") for
    z_k and dL/dW_k; ``activation``, the activation of H_k and of δ_k = dL/dz_k;
    ``batch_size``; ``batch_mean``, True when the value carries the 1/B of the
    batch-mean loss (L, dL/dŷ and δ_n for B > 1; a product text shows the 1/B
    where it enters, at ŷ − y); ``drops_bias_row``, True when
    the step uses ``weight[1:]`` because the bias row has no path back;
    ``orientation``, "row" or "column": how one sample is laid out.
    """

    index: int
    name: str
    phase: str
    value: np.ndarray = field(repr=False)
    latex: str
    layer: int
    kind: StepKind
    operands: tuple[Factor, ...] = ()
    operator: str = ""
    factors: tuple[Factor, ...] = ()
    jacobian: tuple[str, str] | None = None
    note: str = ""
    target: str = ""  # for a parameter gradient, the parameter whose shape it has
    weight: str = ""
    source: str = ""
    activation: str = ""
    batch_size: int = 1
    batch_mean: bool = False
    drops_bias_row: bool = False
    orientation: str = "row"  # how one sample is laid out: "row", or "column" in the column convention

    @property
    def sums_over_batch(self) -> bool:
        """True for a parameter gradient of a batch: its product sums over the batch."""
        return self.kind == StepKind.PARAMETER_GRADIENT and self.batch_size > 1

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
        elif self.operator == "·+":
            body = "{} · {} + {}".format(*self.operands)
        else:
            body = f"{self.operator}({', '.join(str(f) for f in self.operands)})"
        if self.batch_mean and self.kind in _GRADIENTS_OF_LOSS and self.operator == "−":
            body = f"({body}) / {self.batch_size}"  # the 1/B of the batch-mean loss
        tail = f" = shape of {self.target}" if self.target else ""
        return f"{body} = {format_shape(self.shape)}{tail}"

    def dimension_check(self) -> str:
        """The visible check that a matrix product's inner dimensions agree."""
        if self.operator in ("·", "·+") and len(self.operands) in (2, 3):
            a, b = (f.shape for f in self.operands[:2])
            ok = "✓" if a[-1] == b[0] else "✗"
            text = f"inner dimensions {a[-1]} = {b[0]} {ok}; result {a[0]}×{b[-1]}"
            if self.operator == "·+":
                c = self.operands[2]
                along = "column" if len(c.shape) == 2 else "row"
                text += f"; {c.name} ({format_shape(c.shape)}) is added to each {along}"
            return text
        if self.operator in ("⊙", "−"):
            same = len({f.shape for f in self.operands}) == 1
            return f"elementwise: the shapes agree {'✓' if same else '✗'}"
        return ""

    def chain_text(self) -> str:
        """The chain rule as Jacobian factors and the shape their contraction gives.

        The gradient from above is contracted over all of its axes, e.g. for one
        sample ∂L/∂z2 (10) · ∂z2/∂W2 (10×101×10) = 101×10, summed over the 10
        entries of z2 (one sample's rows are read as vectors, as the Jacobians are).
        """
        text = " · ".join(str(f) for f in self.factors)
        if len(self.factors) != 2 or self.factors[0].structure != "gradient":
            return text
        g, J = self.factors
        result = J.shape[len(g.shape):]
        of = g.name.split("∂")[-1]
        if len(g.shape) == 1:
            summed = f"summed over the {g.shape[0]} entries of {of}"
        else:
            summed = f"summed over the {format_shape(g.shape)} entries of {of} (the batch and the units)"
        text += f" = {format_shape(result)}, {summed}"
        if result != self.shape:
            text += f"; as a {self.orientation}, {format_shape(self.shape)}"
        return text

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
    """An ordered, read-only record of one forward and backward pass.

    The trace owns read-only copies of every array it can show, including the
    weights and layer inputs its lazy Jacobians read: training or changing the
    network (or the input array) after recording changes nothing here.
    """

    #: How the arrays are laid out; :meth:`view` gives the same pass in another convention.
    convention = "row-folded"

    def __init__(self, *, steps: list[Step], description: str,
                 jacobians: dict[tuple[str, str], tuple[Callable, Callable]],
                 weights: tuple[np.ndarray, ...] = (), labels: np.ndarray | None = None,
                 activation: str = "", float64_pass: Callable[[], "Trace"] | None = None,
                 loss: str = "cross_entropy", bias: bool = True) -> None:
        for step in steps:
            step.value.setflags(write=False)
        for W in weights:
            W.setflags(write=False)
        self._steps = tuple(steps)
        self._by_name = {s.name: s for s in steps}
        self._jacobians = jacobians
        self._weights = tuple(weights)
        self._labels = labels
        self._activation = activation
        self._float64_pass = float64_pass
        self._twin: Trace | None = None
        self._loss, self._bias = loss, bias
        self.description = description

    def view(self, convention: str) -> "Trace":
        """The same pass in ``convention``: "row-folded" (this one), "row-separate" or "column".

        A read-only trace with the same API (steps, names, shapes, formulas,
        ledgers, LaTeX, Markdown, Jacobians) whose values are the arrays in that
        convention; see :mod:`backproplab.core.conventions` for the mapping.
        """
        from .conventions import view_trace

        return view_trace(self, convention)

    @property
    def loss(self) -> str:
        """The network's loss: "cross_entropy" (softmax output) or "quadratic" (sigmoid output)."""
        return self._loss

    @property
    def bias(self) -> bool:
        """True when each W_k has a bias row (row 0); False for a network without biases."""
        return self._bias

    @property
    def weights(self) -> tuple[np.ndarray, ...]:
        """Read-only copies of W1, W2, ... as they were when the pass was recorded."""
        return self._weights

    @property
    def labels(self) -> np.ndarray | None:
        """The integer labels (B,); y is their one-hot matrix (B, C)."""
        return self._labels

    @property
    def activation(self) -> str:
        """The hidden layers' activation name."""
        return self._activation

    def rounding_error(self, name: str) -> np.ndarray:
        """|value − the same pass in float64| per entry of step ``name`` (zeros for a float64 pass).

        What the recorded value owes to its float type: a float32 trace of a
        confident network carries float32's error through every step.
        """
        value = self[name].value
        if self._float64_pass is None:  # recorded in float64
            return np.zeros(value.shape)
        if self._twin is None:
            self._twin = self._float64_pass()
        return np.abs(value.astype(np.float64) - self._twin[name].value)

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
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not -len(self._steps) <= key < len(self._steps):
                raise StepNotFoundError(f"this trace has {len(self._steps)} steps, so an index must be from "
                                 f"0 to {len(self._steps) - 1} (or negative, from the end); got {key}. "
                                 f"Index by name instead: trace['dL/dW2']; names: {', '.join(self.names)}")
            return self._steps[key]
        if not isinstance(key, str):
            raise InputTypeError(f"index a trace by step name (a str such as 'dL/dW2') or position "
                                 f"(an int); got {key!r} ({type(key).__name__}).")
        if key not in self._by_name:
            raise StepNotFoundError(f"no step {key!r} in this trace; steps are: {', '.join(self.names)}")
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
    if step.drops_bias_row:
        text += "  [bias row dropped]"
    return text or "given"
