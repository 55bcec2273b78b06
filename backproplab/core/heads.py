"""The output layer and loss of an MLP, by name: ``"cross_entropy"`` or ``"quadratic"``.

A :class:`Head` bundles the output op (ŷ = softmax(z_n) or σ(z_n)), the loss op
on ŷ, and the fused op that training uses (its ``backward`` gives dL/dz_n
directly), plus the names the trace shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .ops import CrossEntropy, Sigmoid, Softmax, SoftmaxCrossEntropy
from .quadratic import Quadratic, SigmoidQuadratic


class _SigmoidOutput:
    """σ as an output op with the interface of :class:`Softmax` (cache = (ŷ, z))."""

    name = "sigmoid"
    _act = Sigmoid()

    def forward(self, z: np.ndarray):
        return self._act.forward(z)  # ŷ (B, C), cache (ŷ, z)

    def jacobian_info(self, cache, role: str = "input", *, of: str = "ŷ", wrt: str = "z"):
        return self._act.jacobian_info(cache, role, of=of, wrt=wrt)

    def jacobian(self, cache, role: str = "input", **kw):
        return self._act.jacobian(cache, role, **kw)


@dataclass(frozen=True)
class Head:
    """An output op, its loss and their fused form, with the texts the trace uses."""

    name: str  # "cross_entropy" or "quadratic"
    output: object  # ŷ = output.forward(z_n)[0]
    loss: object  # L = loss.forward(ŷ, labels)[0]
    fused: object  # L, (ŷ, labels) = fused.forward(z_n, labels); dL/dz_n = fused.backward(1, cache)
    output_name: str  # "softmax" or "sigmoid"
    loss_text: str  # "cross-entropy" or "quadratic cost"

    def predict(self, z: np.ndarray) -> np.ndarray:
        """ŷ (B, C) from the output layer's z (B, C)."""
        return self.output.forward(z)[0]


HEADS: dict[str, Head] = {
    "cross_entropy": Head("cross_entropy", Softmax, CrossEntropy, SoftmaxCrossEntropy, "softmax",
                          "cross-entropy"),
    "quadratic": Head("quadratic", _SigmoidOutput(), Quadratic, SigmoidQuadratic, "sigmoid",
                      "quadratic cost"),
}


def get_head(name: str) -> Head:
    """Look a loss up by name; an unknown name's error lists the known ones."""
    if not isinstance(name, str) or name not in HEADS:
        raise ConfigError(f"unknown loss {name!r}; supported: {', '.join(sorted(HEADS))}. "
                          f'Pass one of them, e.g. loss="quadratic" for Nielsen\'s sigmoid output '
                          f"with the quadratic cost.")
    return HEADS[name]
