"""The ops of an MLP, each with its forward rule, its backward rule (a
vector-Jacobian product) and its local Jacobian side by side.

Shapes: B is the batch size, n_in / n_out the layer widths, C the classes.
``forward(...) -> (out, cache)``; ``backward(dout, cache) -> gradients``.
``jacobian_info(cache, role)`` describes d(out)/d(input) without building it;
``jacobian(cache, role)`` builds it (see :mod:`backproplab.core.jacobian` for the
shape convention and the size guard).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape, guard_size


def _unbatch(J: np.ndarray, batch: int) -> np.ndarray:
    """(B, n, B, m) -> (n, m) for one sample: its rows are read as vectors."""
    return J[0, :, 0, :] if batch == 1 else J


# --------------------------------------------------------------------------- affine
class AffineCache(NamedTuple):
    H: np.ndarray  # (B, n_in)       the layer's input
    W: np.ndarray  # (n_in + 1, n_out) bias row first


class Affine:
    """``z = [1 H] · W``: the bias is folded into row 0 of W.

    Computed as ``W[0] + H · W[1:]``, which equals ``[1 H] · W`` without building
    the (B, n_in + 1) matrix ``[1 H]``.
    """

    name = "affine"
    roles = ("input", "weight")

    @staticmethod
    def forward(H: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, AffineCache]:
        z = np.dot(H, W[1:])  # (B, n_out)
        z += W[0]  # (B, n_out)  + the bias row, broadcast over the batch
        return z, AffineCache(H, W)

    @staticmethod
    def backward(
        dz: np.ndarray, cache: AffineCache, *, need_input_grad: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Return ``(dH, dW)``; ``dH`` is None when ``need_input_grad`` is False."""
        H, W = cache
        dW = np.empty_like(W)  # (n_in + 1, n_out)
        np.add.reduce(dz, axis=0, out=dW[0])  # (n_out,)  bias row: [1 ...]ᵀ · dz sums the batch
        np.dot(H.T, dz, out=dW[1:])  # (n_in, n_out)  Hᵀ · dz, the sum over the batch
        if not need_input_grad:
            return None, dW
        # The bias row of W multiplies the constant 1, not H: it has no path back
        # to H, so only W[1:] carries the gradient. Keeping it would give the wrong
        # shape (n_in + 1 columns) and credit H with the bias's gradient.
        dH = np.dot(dz, W[1:].T)  # (B, n_in)
        return dH, dW

    @staticmethod
    def jacobian_info(cache: AffineCache, role: str, *, of: str = "z", wrt: str = "") -> JacobianInfo:
        H, W = cache
        B, n_in = H.shape
        n_out = W.shape[1]
        batch = () if B == 1 else (B,)
        if role == "input":
            return JacobianInfo(
                of=of, wrt=wrt or "H", shape=batch + (n_out,) + batch + (n_in,), of_ndim=len(batch) + 1,
                structure="dense" if B == 1 else "block-diagonal",
                efficient=f"a product with W[1:]ᵀ ({format_shape((n_out, n_in))})",
                efficient_entries=n_in * n_out,
                note=f"W is {format_shape(W.shape)}; its bias row has no path back to "
                f"{wrt or 'H'} and is dropped, leaving W[1:] ({format_shape((n_in, n_out))})",
            )
        if role == "weight":
            return JacobianInfo(
                of=of, wrt=wrt or "W", shape=batch + (n_out,) + W.shape, of_ndim=len(batch) + 1,
                structure="outer",
                efficient=f"the outer product [1 H]ᵀ · δ "
                f"({format_shape((n_in + 1, B))} · {format_shape((B, n_out))})",
                efficient_entries=W.size,
                note="∂z_j/∂W_ik = [1 H]_i when j = k and 0 otherwise",
            )
        raise ConfigError(f"Affine has roles 'input' and 'weight'; got {role!r}.")

    @classmethod
    def jacobian(
        cls, cache: AffineCache, role: str, *, max_entries: int = MAX_JACOBIAN_ENTRIES
    ) -> np.ndarray:
        guard_size(cls.jacobian_info(cache, role), max_entries)
        H, W = cache
        B = H.shape[0]
        if role == "input":  # J[b, j, c, i] = [b == c] W[1 + i, j]
            J = np.eye(B, dtype=W.dtype)[:, None, :, None] * W[1:].T[None, :, None, :]
            return _unbatch(J, B)
        A = np.hstack([np.ones((B, 1), H.dtype), H])  # (B, n_in + 1)  [1 H]
        n_out = W.shape[1]  # J[b, j, i, k] = [1 H]_bi [j == k]
        J = A[:, None, :, None] * np.eye(n_out, dtype=W.dtype)[None, :, None, :]
        return J[0] if B == 1 else J


# ---------------------------------------------------------------- activations
class Activation:
    """An elementwise activation; its Jacobian is diagonal.

    Subclasses give ``apply(z)`` and ``derivative(H, z)``: the derivative is
    written through the output H where the math allows (sigmoid, tanh), as
    scikit-learn's ``neural_network/_base.py`` does.
    """

    name = ""
    latex = ""
    derivative_latex = ""
    derivative_text = ""
    max_slope = 1.0  # the largest value f′ takes
    roles = ("input",)

    def apply(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, H: np.ndarray, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, z: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        H = self.apply(z)  # (B, n)
        return H, (H, z)

    def backward(self, dH: np.ndarray, cache: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        H, z = cache
        return dH * self.derivative(H, z)  # (B, n)  diagonal Jacobian = elementwise product

    def jacobian_info(self, cache, role: str = "input", *, of: str = "H", wrt: str = "z") -> JacobianInfo:
        B, n = cache[0].shape
        batch = () if B == 1 else (B,)
        return JacobianInfo(
            of=of, wrt=wrt, shape=batch + (n,) + batch + (n,), of_ndim=len(batch) + 1, structure="diagonal",
            efficient=f"an elementwise product with {self.derivative_text}",
            efficient_entries=B * n,
            note=f"diag({self.derivative_text}): each unit depends on its own z only",
        )

    def jacobian(self, cache, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        guard_size(self.jacobian_info(cache, role), max_entries)
        d = self.derivative(*cache)  # (B, n)
        B, n = d.shape
        J = np.einsum("bc,bj,jk->bjck", np.eye(B, dtype=d.dtype), d, np.eye(n, dtype=d.dtype))
        return _unbatch(J, B)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


#: log of the smallest normal float: below it σ(z) is subnormal.
_LOG_TINY = {t: float(np.log(np.finfo(t).tiny)) for t in (np.float32, np.float64)}


class Sigmoid(Activation):
    name = "sigmoid"
    latex = r"\sigma"
    derivative_latex = r"H \odot (1 - H)"
    derivative_text = "H(1 − H)"
    max_slope = 0.25  # at z = 0

    def apply(self, z):
        # 1 / (1 + e^-z) is accurate to a few ulp for every z: for z < 0, e^-z is
        # large and nothing cancels (0.5 (1 + tanh(z / 2)) would cancel and give 0
        # at z = -20 in float32). Inside ±log(tiny) e^-z neither overflows nor
        # underflows; outside, the careful path below (rare: saturated units).
        low = _LOG_TINY[z.dtype.type] if z.dtype.type in _LOG_TINY else float(np.log(np.finfo(z.dtype).tiny))
        if z.size and (z.min() < low or z.max() > -low):
            return self._apply_saturated(z, low)
        H = np.negative(z)  # (B, n)
        np.exp(H, out=H)  # (B, n)  e^-z
        H += 1.0
        np.reciprocal(H, out=H)  # (B, n)
        return H

    @staticmethod
    def _apply_saturated(z, low: float):
        with np.errstate(over="ignore", under="ignore"):
            H = np.negative(z)  # (B, n)
            np.exp(H, out=H)  # (B, n)  e^-z: inf where it overflows, 0 where it underflows
            H += 1.0
            np.reciprocal(H, out=H)  # (B, n)  1 / inf = 0
            deep = z < low  # (B, n)  σ(z) is subnormal there and 1 / (1 + e^-z) rounds it
            H[deep] = np.exp(z[deep])  # σ(z) = e^z / (1 + e^z) = e^z to float precision there
        return H

    def derivative(self, H, z):
        return H * (1.0 - H)  # σ'(z) = σ(z)(1 − σ(z)) = H(1 − H)


class Tanh(Activation):
    name = "tanh"
    latex = r"\tanh"
    derivative_latex = r"1 - H^2"
    derivative_text = "1 − H²"
    max_slope = 1.0

    def apply(self, z):
        return np.tanh(z)

    def derivative(self, H, z):
        return 1.0 - H * H  # tanh'(z) = 1 − tanh(z)²


class ReLU(Activation):
    name = "relu"
    latex = r"\operatorname{relu}"
    derivative_latex = r"\mathbb{1}[z > 0]"
    derivative_text = "1[z > 0]"
    max_slope = 1.0

    def apply(self, z):
        return np.maximum(z, 0)

    def derivative(self, H, z):
        return (z > 0).astype(z.dtype)  # relu'(0) taken as 0


#: Hidden-layer activations by name.
ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (Sigmoid(), Tanh(), ReLU())}


def get_activation(name: str) -> Activation:
    """Look an activation up by name; an unknown name's error lists the known ones."""
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ConfigError(
            f"unknown activation {name!r}; supported: {', '.join(sorted(ACTIVATIONS))}. "
            f'Pass one of them, e.g. activation="sigmoid".'
        )
    return ACTIVATIONS[name.lower()]


# ---------------------------------------------------------------------- softmax
class Softmax:
    """``ŷ = softmax(z)`` row by row; its Jacobian is diag(ŷ) − ŷᵀŷ per sample."""

    name = "softmax"
    roles = ("input",)

    @staticmethod
    def forward(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        e = np.exp(z - z.max(axis=1, keepdims=True))  # (B, C)  shifted: no overflow
        y_hat = e / e.sum(axis=1, keepdims=True)  # (B, C)
        return y_hat, y_hat

    @staticmethod
    def backward(dy_hat: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
        # g · (diag(ŷ) − ŷᵀŷ) = ŷ ⊙ (g − (g · ŷᵀ)) for each row
        return y_hat * (dy_hat - (dy_hat * y_hat).sum(axis=1, keepdims=True))  # (B, C)

    @staticmethod
    def jacobian_info(y_hat, role: str = "input", *, of: str = "ŷ", wrt: str = "z") -> JacobianInfo:
        B, C = y_hat.shape
        batch = () if B == 1 else (B,)
        return JacobianInfo(
            of=of, wrt=wrt, shape=batch + (C,) + batch + (C,), of_ndim=len(batch) + 1,
            structure="dense" if B == 1 else "block-diagonal",
            efficient="ŷ ⊙ (g − g·ŷᵀ), or with cross-entropy simply ŷ − y",
            efficient_entries=B * C,
            note="diag(ŷ) − ŷᵀŷ: every output depends on every input",
        )

    @classmethod
    def jacobian(cls, y_hat, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        guard_size(cls.jacobian_info(y_hat), max_entries)
        B, C = y_hat.shape
        per_sample = np.einsum("bj,jk->bjk", y_hat, np.eye(C, dtype=y_hat.dtype)) - np.einsum(
            "bj,bk->bjk", y_hat, y_hat
        )  # (B, C, C)
        J = np.einsum("bc,bjk->bjck", np.eye(B, dtype=y_hat.dtype), per_sample)
        return _unbatch(J, B)


# ----------------------------------------------------------------- the loss
def one_hot(y: np.ndarray, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Integer labels (B,) -> one-hot rows (B, n_classes)."""
    Y = np.zeros((len(y), n_classes), dtype=dtype)
    Y[np.arange(len(y)), y] = 1
    return Y


class CrossEntropy:
    """``L = −(1/B) Σ_b log ŷ[b, y_b]``, the mean over the batch."""

    name = "cross-entropy"
    roles = ("input",)

    @staticmethod
    def forward(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        p = y_hat[np.arange(len(y)), y]  # (B,)  probability of the true class
        tiny = np.finfo(y_hat.dtype).tiny
        return float(-np.log(np.maximum(p, tiny)).mean()), (y_hat, y)

    @staticmethod
    def backward(dL: float, cache) -> np.ndarray:
        y_hat, y = cache
        B = len(y)
        d = np.zeros_like(y_hat)  # (B, C)  zero except at the true class
        d[np.arange(B), y] = -1.0 / (B * y_hat[np.arange(B), y])
        return dL * d

    @staticmethod
    def jacobian_info(cache, role: str = "input", *, of: str = "L", wrt: str = "ŷ") -> JacobianInfo:
        y_hat, _ = cache
        shape = y_hat.shape[1:] if len(y_hat) == 1 else y_hat.shape
        return JacobianInfo(
            of=of, wrt=wrt, shape=shape, of_ndim=0, structure="gradient",
            efficient="−y ⊘ ŷ" if len(y_hat) == 1 else "−y ⊘ (B ŷ)", efficient_entries=y_hat.size,
            note="L is a scalar, so its Jacobian is a gradient: one number per entry of ŷ",
        )

    @classmethod
    def jacobian(cls, cache, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        """∂L/∂ŷ = −y ⊘ (B ŷ), written out from the one-hot y (not through ``backward``)."""
        guard_size(cls.jacobian_info(cache), max_entries)
        y_hat, y = cache
        B = len(y)
        g = np.zeros_like(y_hat)  # (B, C)  zero where y is 0
        with np.errstate(divide="ignore"):  # ŷ_y = 0 (underflow): the slope is −inf
            g[np.arange(B), y] = -1.0 / (B * y_hat[np.arange(B), y])  # (B,)  −y ⊘ (B ŷ) at the labels
        return g[0] if B == 1 else g


def mean_residual(dL: float, cache) -> np.ndarray:
    """``dL · (ŷ − y) / B`` from a cache (ŷ (B, C), labels (B,)): the gradient of a mean loss whose
    per-sample gradient is ŷ − y (softmax + cross-entropy w.r.t. z, the quadratic cost w.r.t. ŷ)."""
    y_hat, y = cache
    d = y_hat.copy()  # (B, C)
    d[np.arange(len(y)), y] -= 1.0  # ŷ − y   (y one-hot)
    d *= dL / len(y)  # (B, C)  the mean over the batch
    return d


def residual_gradient(cache) -> np.ndarray:
    """(ŷ − y) / B written out from the one-hot y (not through ``mean_residual``); (C,) for one sample."""
    y_hat, y = cache
    g = (y_hat - one_hot(y, y_hat.shape[1], y_hat.dtype)) / len(y)  # (B, C)
    return g[0] if len(g) == 1 else g


def residual_gradient_info(cache, *, of: str, wrt: str, note: str) -> JacobianInfo:
    """What :func:`residual_gradient` is: a scalar's gradient, one number per entry of ``wrt``."""
    y_hat, _ = cache
    shape = y_hat.shape[1:] if len(y_hat) == 1 else y_hat.shape
    return JacobianInfo(
        of=of, wrt=wrt, shape=shape, of_ndim=0, structure="gradient",
        efficient="ŷ − y" if len(y_hat) == 1 else "(ŷ − y) / B", efficient_entries=y_hat.size, note=note,
    )


class SoftmaxCrossEntropy:
    """Softmax and cross-entropy fused: ``dL/dz = (ŷ − y) / B``.

    The shortcut is valid only because the softmax is followed by cross-entropy
    with one-hot (or any rows-sum-to-one) targets: multiplying −y/ŷ by the softmax
    Jacobian diag(ŷ) − ŷᵀŷ gives −y + ŷ (Σ_k y_k) = ŷ − y. With another loss, or
    targets whose rows do not sum to one, use the composed ops.
    """

    name = "softmax + cross-entropy"
    roles = ("input",)

    @staticmethod
    def forward(z: np.ndarray, y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        shifted = z - z.max(axis=1, keepdims=True)  # (B, C)
        e = np.exp(shifted)  # (B, C)
        s = np.add.reduce(e, axis=1, keepdims=True)  # (B, 1)
        y_hat = e / s  # (B, C)
        rows = np.arange(len(y))
        # log-softmax straight from z: −log ŷ_y = log Σ e − shifted_y, exact even when ŷ_y underflows
        loss = float(np.add.reduce(np.log(s[:, 0]) - shifted[rows, y])) / len(y)
        return loss, (y_hat, y)

    backward = staticmethod(mean_residual)  # dL · (ŷ − y) / B

    @staticmethod
    def jacobian_info(cache, role: str = "input", *, of: str = "L", wrt: str = "z") -> JacobianInfo:
        return residual_gradient_info(cache, of=of, wrt=wrt,
                                      note="the fused shortcut: valid for softmax followed by cross-entropy")

    @classmethod
    def jacobian(cls, cache, role: str = "input", *, max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
        """∂L/∂z = (ŷ − y) / B, written out from the one-hot y (not through ``backward``)."""
        guard_size(cls.jacobian_info(cache), max_entries)
        return residual_gradient(cache)
