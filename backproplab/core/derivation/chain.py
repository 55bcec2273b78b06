"""The whole chain rule for one gradient: every Jacobian factor from L down to a quantity.

``chain(trace, "dL/dW2")`` for the classic network and one sample gives
∂L/∂z3 (1×10) · ∂z3/∂H2 (10×10 dense) · ∂H2/∂z2 (10×10 diagonal) · ∂z2/∂W2 (10×101×10 outer),
and after each factor the running product, which is itself a gradient of the trace:
∂L/∂z3 1×10 → ∂L/∂H2 1×10 → ∂L/∂z2 1×10 → ∂L/∂W2 101×10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ...errors import ConfigError
from ..jacobian import format_shape


@dataclass(frozen=True)
class ChainLink:
    """One factor: its name, shape and structure, and the running product after it."""

    name: str  # "∂z3/∂H2"
    shape: tuple[int, ...]
    structure: str  # gradient, dense, diagonal, outer, block-diagonal
    running_name: str  # "∂L/∂H2"
    running_shape: tuple[int, ...]
    note: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({format_shape(self.shape)} {self.structure})"


@dataclass(frozen=True)
class Chain:
    """The factors of ∂L/∂<target>, left to right from L."""

    target: str  # "dL/dW2"
    links: tuple[ChainLink, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the whole product, the gradient's shape."""
        return self.links[-1].running_shape

    def factors_text(self) -> str:
        """ "1×10 · 10×10 · 10×10 diagonal · 10×101×10 outer" """
        return " · ".join(f"{format_shape(link.shape)}"
                          + ("" if link.structure in ("gradient", "dense") else f" {link.structure}")
                          for link in self.links)

    def running_text(self) -> str:
        """ "∂L/∂z3 1×10 → ∂L/∂H2 1×10 → ∂L/∂z2 1×10 → ∂L/∂W2 101×10" """
        return " → ".join(f"{link.running_name} {format_shape(link.running_shape)}" for link in self.links)

    def __str__(self) -> str:
        return f"{self.target} = " + " · ".join(str(link) for link in self.links) + \
            f" = {format_shape(self.shape)}"

    def __len__(self) -> int:
        return len(self.links)

    def __iter__(self):
        return iter(self.links)


def chain(trace, name: str) -> Chain:
    """The chain of Jacobian factors for the backward step ``name`` ("dL/dW2", "dL/dH1", "W2")."""
    wrt = name[4:] if isinstance(name, str) and name.startswith("dL/d") else name
    n = sum(1 for s in trace.names if re.fullmatch(r"z\d+", s))
    if not isinstance(wrt, str) or f"dL/d{wrt}" not in trace.names:
        grads = [s for s in trace.names if s.startswith("dL/d")]
        raise ConfigError(f"no gradient dL/d{wrt} in this trace; the chain exists for "
                          f"{', '.join(grads)}.")
    top = trace[f"dL/dz{n}"]
    links = [ChainLink(f"∂L/∂z{n}", tuple(top.shape), "gradient", f"∂L/∂z{n}", tuple(top.shape),
                     "the fused softmax + cross-entropy gradient")]
    for of, below in _path(n, wrt):
        info = trace.jacobian_info(of, below)
        running = tuple(trace[f"dL/d{below}"].shape)
        links.append(ChainLink(f"∂{of}/∂{below}", tuple(info.shape), info.structure, f"∂L/∂{below}",
                               running, info.note))
    return Chain(f"dL/d{wrt}", tuple(links))


def _path(n: int, wrt: str) -> list[tuple[str, str]]:
    """The local Jacobians (of, wrt) from z_n down to ``wrt``: z3→H2, H2→z2, z2→W2 for "W2"."""
    pairs = []
    for k in range(n, 0, -1):
        if wrt in (f"z{k}",):
            return pairs
        if wrt == f"W{k}":
            return pairs + [(f"z{k}", f"W{k}")]
        below = "x" if k == 1 else f"H{k - 1}"
        pairs.append((f"z{k}", below))
        if wrt == below:
            return pairs
        pairs.append((below, f"z{k - 1}"))
    return pairs


def shape_product(shapes: Sequence[tuple[int, ...]]) -> list[tuple[int, ...] | None]:
    """The shape after each matrix product of ``shapes`` taken left to right, None from the first
    misfit on: the question's claimed 101×1 · 1×10 · 10×10 · 10×1 gives 101×1, 101×10, 101×10,
    101×1, which is where its 101×1 comes from.
    """
    out: list[tuple[int, ...] | None] = []
    current: tuple[int, ...] | None = None
    for shape in shapes:
        shape = tuple(int(n) for n in shape)
        if not out:
            current = shape
        elif current is not None and len(current) >= 1 and len(shape) >= 1 and current[-1] == shape[0]:
            current = current[:-1] + shape[1:]
        else:
            current = None
        out.append(current)
    return out
