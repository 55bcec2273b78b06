"""What a name means: the trace's arrays in the learner's convention.

Conventions (issue 16): ``"row-folded"`` (the package's own: z_k = [1 H_{k-1}] W_k, bias row
first), ``"row-separate"`` (PyTorch's Linear: z = x Wᵀ + b, W = W_k[1:]ᵀ, b = W_k[0]) and
``"column"`` (Ng, Nielsen: Z = W A + b, a sample is a column: W = W_k[1:]ᵀ, b = W_k[0]ᵀ,
A_k = H_kᵀ). Gradients are of the mean loss, except Ng's ``dZ_k`` and ``dA_k`` in the column
convention, which stack the per-sample gradients (dZ_n = A_n − Y, no 1/m), so B times the
mean-loss gradient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...errors import ConfigError
from ..ops import get_activation

CONVENTIONS = ("row-folded", "row-separate", "column")
#: The largest local Jacobian materialised for a comparison (entries).
MAX_LOCAL_JACOBIAN = 2_000_000

_KEY = re.compile(r"^(d?)(δ|delta|Delta|[A-Za-z]+?)(\d*)$")
_ALIASES = {"x": "x", "X": "x", "H": "H", "h": "H", "a": "H", "A": "H", "z": "z", "Z": "z",
            "W": "W", "w": "W", "b": "b", "yhat": "yhat", "Yhat": "yhat", "y": "y", "Y": "y",
            "δ": "δ", "delta": "δ", "Delta": "δ", "B": "B", "m": "B"}


@dataclass(frozen=True)
class Quantity:
    """A named array in the convention's orientation, with where it comes from."""

    key: str  # canonical: ("H", 1) -> "H1"
    value: np.ndarray  # float64
    label: str  # shown to the learner, e.g. "A1 = H1ᵀ"
    kind: str  # input, activation, pre-activation, weight, bias, output, labels, gradient, batch
    layer: int = 0
    grad_of: str = ""  # for a gradient, what it is the gradient of: "z", "H", "W", "b"


@dataclass(frozen=True)
class Target:
    """What the learner's expression should equal."""

    name: str  # as the package writes it: "dL/dW2", "∂H2/∂z2", "dZ2"
    shape: tuple[int, ...]
    value: np.ndarray | None  # None when too large to build
    kind: str  # "gradient", "local", "quantity"
    grad_of: str = ""  # "z", "H", "W", "b" for a gradient
    layer: int = 0
    structure: str = ""  # of a local Jacobian: diagonal, dense, outer
    local: tuple[str, str] | None = None
    reading: str = ""  # which meaning of the name was used
    answer: str = ""  # the right expression in the learner's convention


class UnknownName(Exception):
    def __init__(self, key: str, hint: str) -> None:
        super().__init__(hint)
        self.key, self.hint = key, hint


class Network:
    """The facts of one trace in the package's own convention, as float64 arrays."""

    def __init__(self, trace, weights: Sequence[np.ndarray] | None = None) -> None:
        names = set(trace.names)
        self.trace = trace
        self.n = sum(1 for s in trace.names if re.fullmatch(r"z\d+", s))
        self.B = int(trace.batch_size)
        get = lambda name: np.asarray(trace[name].value, dtype=np.float64)  # noqa: E731
        self.x = get("x")  # (B, n_0)
        self.z = {k: get(f"z{k}") for k in range(1, self.n + 1)}  # (B, n_k)
        self.H = {k: get(f"H{k}") for k in range(1, self.n)}  # (B, n_k)
        self.H[0] = self.x
        self.y_hat = get("y_hat")  # (B, C)
        self.dz = {k: get(f"dL/dz{k}") for k in range(1, self.n + 1)}  # (B, n_k)
        self.dW = {k: get(f"dL/dW{k}") for k in range(1, self.n + 1)}  # (n_{k-1} + 1, n_k)
        self.dH = {k: get(f"dL/dH{k}") for k in range(1, self.n)}  # (B, n_k)
        # the one-hot labels: ŷ − y = B · dL/dz_n, rounded back to exact 0/1
        self.y = get("y") if "y" in names else np.rint(self.y_hat - self.B * self.dz[self.n])  # (B, C)
        act = getattr(trace["H1"], "activation", None) if self.n > 1 else None
        self.activation = get_activation(str(act or (trace["H1"].operator if self.n > 1 else "sigmoid")))
        self.D = {k: self.activation.derivative(self.H[k], self.z[k]) for k in range(1, self.n)}  # (B, n_k)
        self._weights = list(weights) if weights is not None else None

    def W(self, k: int) -> np.ndarray:
        """W_k with its bias row first, (n_{k-1} + 1, n_k)."""
        if self._weights is not None:
            return np.asarray(self._weights[k - 1], dtype=np.float64)
        if f"W{k}" in self.trace.names:
            return np.asarray(self.trace[f"W{k}"].value, dtype=np.float64)
        # Until the trace records W_k as steps: the array its lazy Jacobian ∂z_k/∂W_k reads,
        try:
            info = self.trace._jacobian_pair(f"z{k}", f"W{k}")[0]
            return np.asarray(info.args[0].W, dtype=np.float64)
        except (AttributeError, IndexError, KeyError, TypeError, ConfigError):
            pass
        # else, through the public API: W_k[1:]ᵀ is ∂z_k/∂H_{k-1} of one sample, and the bias
        # row is what z_k holds beyond H_{k-1} · W_k[1:].
        below = "x" if k == 1 else f"H{k - 1}"
        try:
            if self.trace.jacobian_info(f"z{k}", below).entries <= MAX_LOCAL_JACOBIAN:
                J = np.asarray(self.trace.jacobian(f"z{k}", below), dtype=np.float64)
                rows = (J if J.ndim == 2 else J[0, :, 0, :]).T  # (n_in, n_out) = W_k[1:]
                bias = self.z[k][0] - self.H[k - 1][0] @ rows  # (n_out,)
                return np.vstack([bias, rows])  # (n_in + 1, n_out)
        except (AttributeError, KeyError, ConfigError):
            pass
        raise UnknownName(f"W{k}", f"this trace does not carry W{k}; pass weights=net.weights")


def _split(key: str) -> tuple[str, str, int | None]:
    """ "dZ2" -> ("d", "z", 2); "H1" -> ("", "H", 1); "δ3" -> ("", "δ", 3)."""
    m = _KEY.match(key)
    if not m:
        return "", key, None
    d, base, digits = m.groups()
    if d and base in ("elta", "iag", "ot"):  # delta2, diag, dot are not d-prefixed names
        d, base = "", d + base
    if base not in _ALIASES and d + base in _ALIASES:
        d, base = "", d + base
    return d, _ALIASES.get(base, base), int(digits) if digits else None


class Names:
    """Resolve the learner's names in one convention."""

    def __init__(self, net: Network, convention: str = "row-folded") -> None:
        if convention not in CONVENTIONS:
            raise ConfigError(f"convention must be one of {', '.join(CONVENTIONS)}; got {convention!r}.")
        self.net = net
        self.convention = convention
        self.column = convention == "column"
        self._cache: dict[str, Quantity] = {}

    # ------------------------------------------------------------ orientation
    def orient(self, a: np.ndarray) -> np.ndarray:
        """A row-convention array (B, n) in this convention: transposed for "column"."""
        return a.T if self.column else a

    def weight(self, k: int) -> np.ndarray:
        W = self.net.W(k)
        return W if self.convention == "row-folded" else W[1:].T  # (n_out, n_in) when separate

    def bias(self, k: int) -> np.ndarray:
        W = self.net.W(k)
        return W[:1].T if self.column else W[:1]  # (n_out, 1) or (1, n_out)

    def derivative(self, k: int) -> np.ndarray:
        """f′(z_k) of the hidden activation, in this convention's orientation."""
        return self.orient(self.net.D[k])

    def derivative_text(self, k: int) -> str:
        """How the derivative of layer k's activation is written: "H2 ⊙ (1 − H2)"."""
        a = f"A{k}" if self.column else f"H{k}"
        z = f"Z{k}" if self.column else f"z{k}"
        return {"sigmoid": f"{a} ⊙ (1 − {a})", "tanh": f"(1 − {a}^2)"}.get(
            self.net.activation.name, f"relu′({z})")

    # -------------------------------------------------------------- lookups
    def lookup(self, key: str) -> Quantity:
        if key not in self._cache:
            self._cache[key] = self._lookup(key)
        return self._cache[key]

    def _lookup(self, key: str) -> Quantity:
        net, o = self.net, self.orient
        if re.fullmatch(r"@D[0-9]+", key) and int(key[2:]) in net.D:  # internal: f′ of layer k
            k = int(key[2:])
            return Quantity(key, self.derivative(k), self.derivative_text(k), "derivative", k)
        d, base, k = _split(key)
        t = "ᵀ" if self.column else ""
        if base == "B" and not d and k is None:
            return Quantity(key, np.array(float(net.B)), f"{key} = {net.B}, the batch size", "batch")
        if not d and base in ("yhat", "y") and k is None:
            v = net.y_hat if base == "yhat" else net.y
            label = "ŷ" if base == "yhat" else "y (one-hot)"
            return Quantity(key, o(v), label + t, "output" if base == "yhat" else "labels", net.n)
        if not d and base == "x" and k is None:
            return Quantity(key, o(net.x), "X = xᵀ" if self.column else "x", "input", 0)
        if k is None:
            raise UnknownName(key, self._hint(key))
        if not d and base == "H" and 0 <= k < net.n:
            label = ("x" if k == 0 else f"H{k}") if not self.column else \
                ("A0 = xᵀ" if k == 0 else f"A{k} = H{k}ᵀ")
            return Quantity(key, o(net.H[k]), label, "input" if k == 0 else "activation", k)
        if not d and base == "H" and k == net.n and self.column:
            return Quantity(key, o(net.y_hat), "ŷᵀ (the output layer's activation, the softmax)", "output", k)
        if not d and base == "z" and 1 <= k <= net.n:
            return Quantity(key, o(net.z[k]), f"Z{k} = z{k}ᵀ" if self.column else f"z{k}", "pre-activation", k)
        if not d and base == "W" and 1 <= k <= net.n:
            label = f"W{k}" if self.convention == "row-folded" else f"W{k}[1:]ᵀ (W{k} without its bias row, transposed)"
            return Quantity(key, self.weight(k), label, "weight", k)
        if not d and base == "b" and 1 <= k <= net.n and self.convention != "row-folded":
            return Quantity(key, self.bias(k), f"W{k}[0]{t} (the bias row)", "bias", k)
        if (base == "δ" and not d) or (d and base == "z"):
            if 1 <= k <= net.n:
                ng = bool(d) and self.column
                v = o(net.dz[k]) * (net.B if ng else 1)
                label = (f"dZ{k} = B·(dL/dz{k})ᵀ, Ng's stack of per-sample gradients" if ng
                         else f"δ{k} = (dL/dz{k}){t}" if t else f"δ{k} = dL/dz{k}")
                return Quantity(key, v, label, "gradient", k, "z")
        if d and base == "H" and 1 <= k < net.n:
            ng = self.column
            v = o(net.dH[k]) * (net.B if ng else 1)
            return Quantity(key, v, f"dA{k} = B·(dL/dH{k})ᵀ (Ng's stack)" if ng else f"dL/dH{k}",
                            "gradient", k, "H")
        if d and base == "W" and 1 <= k <= net.n:
            dW = net.dW[k]
            v = dW if self.convention == "row-folded" else dW[1:].T
            return Quantity(key, v, f"dL/dW{k}", "gradient", k, "W")
        if d and base == "b" and 1 <= k <= net.n and self.convention != "row-folded":
            dW = net.dW[k]
            return Quantity(key, dW[:1].T if self.column else dW[:1], f"dL/db{k}", "gradient", k, "b")
        raise UnknownName(key, self._hint(key))

    def gradient(self, wrt: str) -> Quantity:
        """dL/d<wrt> of the mean loss (never Ng's per-sample stack)."""
        d, base, k = _split(wrt)
        if not d and base in ("z", "H", "W", "b") and k is not None:
            q = self.lookup(("δ" if base == "z" else "d" + {"H": "A", "W": "W", "b": "b"}[base]) + str(k))
            if base == "H" and self.column:
                q = Quantity(q.key, q.value / self.net.B, f"dL/dA{k} = (dL/dH{k})ᵀ", "gradient", k, "H")
            return q
        raise UnknownName("dL/d" + wrt, f"dL/d{wrt} is not a gradient in this trace; the gradients "
                                        f"are dL/dz_k, dL/dH_k and dL/dW_k"
                                        + (", dL/db_k" if self.convention != "row-folded" else ""))

    def local(self, of: str, wrt: str) -> tuple[str, str]:
        """The trace's names of a local Jacobian ∂of/∂wrt, e.g. ("H2", "z2")."""
        names = []
        for key in (of, wrt):
            d, base, k = _split(key)
            if d or base not in ("x", "H", "z", "W", "yhat"):
                raise UnknownName(key, f"∂{of}/∂{wrt} is not a local Jacobian of this network")
            names.append("x" if base == "x" or (base == "H" and k == 0) else
                         "y_hat" if base == "yhat" else f"{base}{k}")
        pair = tuple(names)
        if pair not in self.net.trace.jacobian_pairs or (self.convention != "row-folded" and "W" in pair[1]):
            raise UnknownName(f"{of}/{wrt}", f"∂{of}/∂{wrt} is not a local Jacobian of this network "
                                             f"in the {self.convention} convention")
        return pair  # type: ignore[return-value]

    def candidates(self) -> list[Quantity]:
        """Every named array, for the search of a wrong tensor."""
        n, out = self.net.n, []
        keys = ["x", "yhat", "y"] + [f"H{k}" for k in range(1, n)] + [f"z{k}" for k in range(1, n + 1)]
        keys += [f"W{k}" for k in range(1, n + 1)] + [f"δ{k}" for k in range(1, n + 1)]
        keys += [f"dH{k}" for k in range(1, n)] + [f"dW{k}" for k in range(1, n + 1)]
        for key in keys:
            try:
                out.append(self.lookup(key))
            except UnknownName:
                pass
        return out

    def _hint(self, key: str) -> str:
        d, base, k = _split(key)
        n = self.net.n
        if base == "b" and self.convention == "row-folded":
            return (f"{key}: in the row-folded convention the bias is row 0 of W{k or ''}: write "
                    f"W{k or 'k'}[0], or pass convention=\"row-separate\" or \"column\"")
        if base == "H" and k == n:
            return f"{key}: the output layer has no H{n}; its activation is the softmax, ŷ (y_hat)"
        if k is not None and k > n:
            return (f"{key}: this network has {n} layers, so layer numbers run from 1 to {n}; use a "
                    f"layer in that range")
        return (f"{key} is not a name the checker knows; use x, z1…z{n}, H1…H{n - 1}, W1…W{n}, "
                f"y_hat (ŷ), y, δ1…δ{n} (= dL/dz), dL/dW2, B")
