"""Gradient checks by central differences, in float64.

``check_gradients`` compares a network's backpropagated gradients with
numerical ones; ``check_vjp`` does the same for one op's backward rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import ConfigError


#: Relative errors below AGREE mean backprop is right (in float64); above BUG, a bug.
AGREE = 1e-6
BUG = 1e-4


@dataclass(frozen=True)
class EntryCheck:
    """The check of one parameter's gradient on a few entries."""

    param: str
    entries: tuple[tuple[int, int], ...]
    analytic: np.ndarray  # (n_entries,)
    numeric: np.ndarray  # (n_entries,)

    @property
    def relative_error(self) -> float:
        """Over all checked entries together."""
        return relative_error(self.analytic, self.numeric)

    @property
    def entry_errors(self) -> np.ndarray:
        """The relative error of each entry on its own (n_entries,)."""
        return np.array([relative_error(np.array([a]), np.array([n]))
                         for a, n in zip(self.analytic, self.numeric)])

    @property
    def verdict(self) -> str:
        err = self.relative_error
        return ("backprop agrees with finite differences" if err < AGREE else
                "suspicious: look closer" if err < BUG else "they disagree: a bug in the gradient")


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12): near 1e-7 or below means they agree in float64."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def check_parameter(net, X, y, *, param: int | str, entries: int | Sequence[tuple[int, int]] = 5,
                    eps: float = 1e-5, seed: int = 0) -> EntryCheck:
    """Check dL/dW_k on a few entries (random ones, or the given (row, column) pairs).

    ``param`` is the layer number k (1-based) or the name "W2". The network is
    copied to float64 first; ``net`` itself is never changed.
    """
    net64 = net.copy(dtype=np.float64)
    X = net64._inputs(X)
    y = net64._labels(y, len(X))
    k = _param_index(net64, param)
    W = net64.weights[k]
    if isinstance(entries, int):
        rng = np.random.default_rng(seed)
        flat = rng.choice(W.size, size=min(entries, W.size), replace=False)
        entries = [tuple(int(i) for i in np.unravel_index(f, W.shape)) for f in flat]
    entries = tuple(tuple(e) for e in entries)
    analytic = net64._loss_and_gradients(X, y)[1][k]
    numeric = np.empty(len(entries))
    for n, (i, j) in enumerate(entries):
        old = W[i, j]
        W[i, j] = old + eps
        up = net64.loss(X, y)
        W[i, j] = old - eps
        down = net64.loss(X, y)
        W[i, j] = old
        numeric[n] = (up - down) / (2 * eps)
    return EntryCheck(f"W{k + 1}", entries, np.array([analytic[e] for e in entries]), numeric)


def check_gradients(net, X, y, *, entries: int = 20, eps: float = 1e-5, seed: int = 0) -> dict[str, float]:
    """Relative error of every dL/dW_k against central differences (float64).

    Checks ``entries`` random entries of each W_k. Values near 1e-7 or below mean
    backpropagation is right; above 1e-4 means a bug.
    """
    return {f"W{k + 1}": check_parameter(net, X, y, param=k + 1, entries=entries, eps=eps, seed=seed + k)
            .relative_error for k in range(net.n_layers)}


def check_vjp(f: Callable[..., np.ndarray], vjp: Callable[[np.ndarray], tuple], inputs: Sequence[np.ndarray],
              *, eps: float = 1e-6, seed: int = 0) -> list[float]:
    """Check one op's backward rule against finite differences.

    ``f(*inputs)`` is the op's forward output; ``vjp(g)`` returns the gradients
    of ``sum(g * f(*inputs))`` with respect to each input, for an upstream
    gradient ``g``. A random ``g`` is drawn; returns one relative error per input.
    """
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(np.shape(f(*inputs)))
    analytic = vjp(g)
    errors = []
    for a, grad in zip(inputs, analytic):
        if grad is None:
            continue
        numeric = np.empty_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            up = np.sum(g * f(*inputs))
            a[idx] = old - eps
            down = np.sum(g * f(*inputs))
            a[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        errors.append(relative_error(np.asarray(grad), numeric))
    return errors


def _param_index(net, param: int | str) -> int:
    names = [f"W{k + 1}" for k in range(net.n_layers)]
    k = param - 1 if isinstance(param, int) else (names.index(param) if param in names else -1)
    if not 0 <= k < net.n_layers:
        raise ConfigError(f"unknown parameter {param!r}; this network has {', '.join(names)}.")
    return k
