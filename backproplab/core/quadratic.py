"""The quadratic cost ``C = (1/2B) Σ_b ‖ŷ_b − y_b‖²`` on a sigmoid output layer.

Nielsen's network.py: the output layer is ``ŷ = σ(z_n)`` (no softmax) and y is
the one-hot label. Its gradient does not collapse as cross-entropy's does:
``δ_n = ∂C/∂z_n = (ŷ − y) ⊙ σ′(z_n) / B = (ŷ − y) ⊙ ŷ(1 − ŷ) / B``.
"""

from __future__ import annotations

import numpy as np

from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, guard_size
from .ops import Sigmoid, mean_residual, one_hot, residual_gradient, residual_gradient_info

_SIGMOID = Sigmoid()


class Quadratic:
    """``C = (1/2B) Σ_b ‖ŷ_b − y_b‖²``, y the one-hot rows of the labels."""

    name = "quadratic cost"
    roles = ("input",)

    @staticmethod
    def forward(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        r = y_hat - one_hot(y, y_hat.shape[1], y_hat.dtype)  # (B, C)  ŷ − y
        return float(np.einsum("bc,bc->", r, r)) / (2 * len(y)), (y_hat, y)

    backward = staticmethod(mean_residual)  # dL · (ŷ − y) / B

    @staticmethod
    def jacobian_info(cache, role: str = "input", *, of: str = "L", wrt: str = "ŷ") -> JacobianInfo:
        return residual_gradient_info(
            cache, of=of, wrt=wrt, note="L is a scalar, so its Jacobian is a gradient: one number per entry of ŷ")

    @classmethod
    def jacobian(cls, cache, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        """∂C/∂ŷ = (ŷ − y) / B, written out from the one-hot y."""
        guard_size(cls.jacobian_info(cache), max_entries)
        return residual_gradient(cache)


class SigmoidQuadratic:
    """Sigmoid output and quadratic cost together: ``dC/dz = (ŷ − y) ⊙ ŷ(1 − ŷ) / B``.

    Not a shortcut like softmax + cross-entropy's ŷ − y: the sigmoid's
    derivative stays in, which is why saturated wrong outputs learn slowly.
    """

    name = "sigmoid + quadratic cost"
    roles = ("input",)

    @staticmethod
    def forward(z: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        y_hat = _SIGMOID.apply(z)  # (B, C)
        return Quadratic.forward(y_hat, y)[0], (y_hat, y)

    @staticmethod
    def backward(dL: float, cache) -> np.ndarray:
        y_hat, _ = cache
        dz = Quadratic.backward(dL, cache)  # (B, C)  dL · (ŷ − y) / B
        dz *= y_hat * (1.0 - y_hat)  # (B, C)  ⊙ σ′(z) = ŷ(1 − ŷ), the diagonal Jacobian of σ
        return dz

    @staticmethod
    def jacobian_info(cache, role: str = "input", *, of: str = "L", wrt: str = "z") -> JacobianInfo:
        y_hat, _ = cache
        shape = y_hat.shape[1:] if len(y_hat) == 1 else y_hat.shape
        return JacobianInfo(
            of=of, wrt=wrt, shape=shape, of_ndim=0, structure="gradient",
            efficient="(ŷ − y) ⊙ ŷ(1 − ŷ)" if len(y_hat) == 1 else "(ŷ − y) ⊙ ŷ(1 − ŷ) / B",
            efficient_entries=y_hat.size,
            note="∂L/∂ŷ times the sigmoid's diagonal Jacobian diag(ŷ(1 − ŷ))",
        )

    @classmethod
    def jacobian(cls, cache, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        """∂C/∂z = (ŷ − y) ⊙ ŷ(1 − ŷ) / B, written out from the one-hot y."""
        guard_size(cls.jacobian_info(cache), max_entries)
        y_hat, y = cache
        g = (y_hat - one_hot(y, y_hat.shape[1], y_hat.dtype)) * y_hat * (1 - y_hat) / len(y)  # (B, C)
        return g[0] if len(g) == 1 else g
