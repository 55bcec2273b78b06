"""``z = H · W`` without a bias: the layer op of a network built with ``bias=False``.

The same interface as :class:`~backproplab.core.ops.Affine` (forward, backward,
jacobian_info, jacobian), with W of shape (n_in, n_out) and no bias row, so
every row of W reaches H on the way back: ``dH = dz · Wᵀ``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape, guard_size


class LinearCache(NamedTuple):
    H: np.ndarray  # (B, n_in)      the layer's input
    W: np.ndarray  # (n_in, n_out)  no bias row


class Linear:
    """``z = H · W``: a layer without a bias."""

    name = "linear"
    roles = ("input", "weight")
    has_bias = False

    @staticmethod
    def forward(H: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, LinearCache]:
        z = np.dot(H, W)  # (B, n_out)
        return z, LinearCache(H, W)

    @staticmethod
    def backward(
        dz: np.ndarray, cache: LinearCache, *, need_input_grad: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Return ``(dH, dW)``; ``dH`` is None when ``need_input_grad`` is False."""
        H, W = cache
        dW = np.dot(H.T, dz)  # (n_in, n_out)  Hᵀ · dz, the sum over the batch
        if not need_input_grad:
            return None, dW
        dH = np.dot(dz, W.T)  # (B, n_in)  every row of W meets H: nothing is dropped
        return dH, dW

    @staticmethod
    def jacobian_info(cache: LinearCache, role: str, *, of: str = "z", wrt: str = "") -> JacobianInfo:
        H, W = cache
        B, n_in = H.shape
        n_out = W.shape[1]
        batch = () if B == 1 else (B,)
        if role == "input":
            return JacobianInfo(
                of=of, wrt=wrt or "H", shape=batch + (n_out,) + batch + (n_in,), of_ndim=len(batch) + 1,
                structure="dense" if B == 1 else "block-diagonal",
                efficient=f"a product with Wᵀ ({format_shape((n_out, n_in))})",
                efficient_entries=n_in * n_out,
                note=f"W is {format_shape(W.shape)} with no bias row: all of it reaches {wrt or 'H'}",
            )
        if role == "weight":
            return JacobianInfo(
                of=of, wrt=wrt or "W", shape=batch + (n_out,) + W.shape, of_ndim=len(batch) + 1,
                structure="outer",
                efficient=f"the outer product Hᵀ · δ ({format_shape((n_in, B))} · {format_shape((B, n_out))})",
                efficient_entries=W.size,
                note="∂z_j/∂W_ik = H_i when j = k and 0 otherwise",
            )
        raise ConfigError(f"Linear has roles 'input' and 'weight'; got {role!r}.")

    @classmethod
    def jacobian(
        cls, cache: LinearCache, role: str, *, max_entries: int = MAX_JACOBIAN_ENTRIES
    ) -> np.ndarray:
        guard_size(cls.jacobian_info(cache, role), max_entries)
        H, W = cache
        B = H.shape[0]
        if role == "input":  # J[b, j, c, i] = [b == c] W[i, j]
            J = np.eye(B, dtype=W.dtype)[:, None, :, None] * W.T[None, :, None, :]
            return J[0, :, 0, :] if B == 1 else J
        n_out = W.shape[1]  # J[b, j, i, k] = H_bi [j == k]
        J = H[:, None, :, None] * np.eye(n_out, dtype=W.dtype)[None, :, None, :]
        return J[0] if B == 1 else J
