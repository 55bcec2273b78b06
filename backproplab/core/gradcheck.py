"""Gradient checks by central differences, in float64.

``check_gradients`` compares a network's backpropagated gradients with
numerical ones; ``check_vjp`` does the same for one op's backward rule.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import ConfigError


#: Relative errors below AGREE mean backprop is right (in float64); above BUG, a bug.
AGREE = 1e-6
BUG = 1e-4


@dataclass(frozen=True)
class EntryCheck:
    """The check of one parameter's gradient on some entries.

    ``kinks[i]`` is True where the central difference of entry i straddles a
    ReLU kink (some pre-activation changes sign between W − eps and W + eps):
    the loss has no derivative there, so that entry cannot judge backprop and
    is left out of ``relative_error``.
    """

    param: str
    entries: tuple[tuple[int, int], ...]
    analytic: np.ndarray  # (n_entries,)
    numeric: np.ndarray  # (n_entries,)
    kinks: tuple[bool, ...] = ()
    #: Directional derivatives along random unit directions v of the whole W_k:
    #: Σ dL/dW ⊙ v against (L(W + εv) − L(W − εv)) / 2ε. They see a wrong entry anywhere.
    direction_analytic: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_directions,)
    direction_numeric: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_directions,)
    direction_kinks: tuple[bool, ...] = ()

    @property
    def relative_error(self) -> float:
        """Over all checked entries and directions together, those at a kink left out."""
        smooth = ~np.array(self.kinks + self.direction_kinks, dtype=bool).reshape(-1)
        a = np.concatenate([self.analytic, self.direction_analytic])
        n = np.concatenate([self.numeric, self.direction_numeric])
        if len(smooth) != len(a):
            smooth = np.ones(len(a), bool)
        return relative_error(a[smooth], n[smooth])

    @property
    def entry_errors(self) -> np.ndarray:
        """The relative error of each entry on its own (n_entries,)."""
        return np.array([relative_error(np.array([a]), np.array([n]))
                         for a, n in zip(self.analytic, self.numeric)])

    @property
    def n_kinks(self) -> int:
        return int(sum(self.kinks))

    @property
    def verdict(self) -> str:
        err = self.relative_error
        text = ("backprop agrees with finite differences" if err < AGREE else
                "suspicious: look closer" if err < BUG else "they disagree: a bug in the gradient")
        if self.n_kinks:
            text += (f" (on the smooth entries; at {self.n_kinks} of {len(self.entries)} entries the "
                     f"finite difference straddles a ReLU kink, z = 0, where the loss has no "
                     f"derivative: a difference there is not a bug)")
        return text


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12): near 1e-7 or below means they agree in float64."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def check_parameter(net, X, y, *, param: int | str,
                    entries: int | str | Sequence[tuple[int, int]] = 5,
                    eps: float = 1e-5, seed: int = 0, directions: int = 3) -> EntryCheck:
    """Check dL/dW_k against central differences (float64) on some of its entries.

    ``param`` is the layer number k (1-based) or the name "W2". ``entries`` is
    ``"all"``, explicit (row, column) pairs, or a number n: then the whole bias
    row, the n largest-magnitude entries of the gradient and n random ones, and
    ``directions`` directional derivatives along random directions of all of W_k
    (a wrong entry anywhere changes them).
    The check runs on a float64 copy of ``net`` of the same class, so a
    subclass's own gradients are what is checked; ``net`` itself never changes.
    """
    net64 = _float64_twin(net)
    k = _param_index(net64, param)
    W = net64.weights[k]
    analytic = np.asarray(net64.loss_and_gradients(X, y)[1][k], dtype=np.float64)  # (n_in + 1, n_out)
    sampled = isinstance(entries, (int, np.integer)) and not isinstance(entries, bool)
    entries = _choose_entries(entries, analytic, seed)
    numeric = np.empty(len(entries))
    kinks = []
    for n, (i, j) in enumerate(entries):
        old = W[i, j]
        W[i, j] = old + eps
        up, up_signs = net64.loss(X, y), _relu_signs(net64, X)
        W[i, j] = old - eps
        down, down_signs = net64.loss(X, y), _relu_signs(net64, X)
        W[i, j] = old
        numeric[n] = (up - down) / (2 * eps)
        kinks.append(up_signs is not None and not np.array_equal(up_signs, down_signs))
    rng = np.random.default_rng([seed, 1])
    d_analytic, d_numeric, d_kinks = [], [], []
    for _ in range(directions if sampled else 0):
        v = rng.standard_normal(W.shape)  # (n_in + 1, n_out)
        v /= np.linalg.norm(v)
        old = W.copy()
        W += eps * v
        up, up_signs = net64.loss(X, y), _relu_signs(net64, X)
        W[...] = old - eps * v
        down, down_signs = net64.loss(X, y), _relu_signs(net64, X)
        W[...] = old
        d_analytic.append(float(np.sum(analytic * v)))
        d_numeric.append((up - down) / (2 * eps))
        d_kinks.append(up_signs is not None and not np.array_equal(up_signs, down_signs))
    return EntryCheck(f"W{k + 1}", entries, np.array([analytic[e] for e in entries]), numeric,
                      tuple(kinks), np.array(d_analytic), np.array(d_numeric), tuple(d_kinks))


def check_gradients(net, X, y, *, entries: int | str = 20, eps: float = 1e-5,
                    seed: int = 0) -> dict[str, float]:
    """Relative error of every dL/dW_k against central differences (float64).

    Checks, of each W_k, the whole bias row, the ``entries`` largest-magnitude
    entries, ``entries`` random ones and three random directions of all of W_k
    (or every entry with ``entries="all"``).
    Values near 1e-7 or below mean backpropagation is right; above 1e-4 a bug.
    """
    return {f"W{k + 1}": check_parameter(net, X, y, param=k + 1, entries=entries, eps=eps, seed=seed + k)
            .relative_error for k in range(net.n_layers)}


def _float64_twin(net):
    """A float64 copy of the same class as ``net`` (a learner's subclass stays itself)."""
    twin = copy.copy(net)
    twin.dtype = np.float64
    twin.weights = [np.array(W, dtype=np.float64) for W in net.weights]
    return twin


def _choose_entries(entries, analytic: np.ndarray, seed: int) -> tuple[tuple[int, int], ...]:
    if isinstance(entries, str):
        if entries != "all":
            raise ConfigError(f'entries must be a number, "all" or (row, column) pairs; got {entries!r}.')
        return tuple(tuple(int(i) for i in e) for e in np.ndindex(analytic.shape))
    if not isinstance(entries, (int, np.integer)) or isinstance(entries, bool):
        return tuple(tuple(int(i) for i in e) for e in entries)
    if entries < 1:
        raise ConfigError(f'entries must be at least 1 (or "all"); got {entries}.')
    n_rows, n_cols = analytic.shape
    rng = np.random.default_rng(seed)
    flat = list(range(n_cols))  # the bias row: row 0
    flat += np.argsort(-np.abs(analytic), axis=None, kind="stable")[:entries].tolist()  # the largest
    flat += rng.choice(analytic.size, size=min(entries, analytic.size), replace=False).tolist()
    chosen = dict.fromkeys(int(f) for f in flat)  # keeps the order, drops repeats
    return tuple((f // n_cols, f % n_cols) for f in chosen)


def _relu_signs(net, X) -> np.ndarray | None:
    """Which hidden pre-activations are > 0, for a ReLU network (else None)."""
    if getattr(net, "activation", "") != "relu":
        return None
    records = net._forward(net._inputs(X))
    return np.concatenate([(r.z > 0).ravel() for r in records[:-1]]) if len(records) > 1 else None


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
