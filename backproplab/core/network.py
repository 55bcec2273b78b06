"""The multilayer perceptron: ``z_k = [1 H_{k-1}] · W_k``, ``H_k = f(z_k)``, softmax out.

Row vectors, batch along axis 0, bias folded into row 0 of each W_k, so the
classic network (784, 100, 10, 10) has W1 785×100, W2 101×10, W3 11×10.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from .._files import atomic_write
from ..errors import ConfigError, DTypeError, ModelFileError, ShapeError
from .ops import Affine, AffineCache, Softmax, SoftmaxCrossEntropy, get_activation
from .validation import as_inputs, as_labels

FORMAT = "backproplab-mlp-1"
CLASSIC_SIZES = (784, 100, 10, 10)


class LayerRecord(NamedTuple):
    """What one layer's forward pass leaves behind for the backward pass."""

    affine: AffineCache  # its input H_{k-1} (B, n_in) and W_k (n_in + 1, n_out)
    z: np.ndarray  # (B, n_out)
    H: np.ndarray | None  # (B, n_out) f(z); None for the output layer


class Backward(NamedTuple):
    """The gradients of one backward pass, layer k at index k - 1."""

    dW: list[np.ndarray]  # dL/dW_k, each with W_k's shape
    dz: list[np.ndarray]  # dL/dz_k (B, n_k)
    dH: list[np.ndarray | None]  # dL/dH_k (B, n_k); None for the output layer


class MLP:
    """A fully connected network with softmax output and cross-entropy loss.

    ``MLP()`` is the classic network 784 → 100 → 10 → 10 with sigmoid hidden
    layers. ``weights[k]`` is W_{k+1} of shape (n_in + 1, n_out), bias row first.
    """

    def __init__(
        self,
        sizes: Sequence[int] = CLASSIC_SIZES,
        *,
        activation: str = "sigmoid",
        seed: int | None = 0,
        dtype: type | np.dtype = np.float32,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        self._activation = get_activation(activation)
        self.dtype = _check_dtype(dtype)
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.weights = [self._init_weight(rng, a, b) for a, b in zip(self.sizes, self.sizes[1:])]

    def _init_weight(self, rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
        # Glorot/Xavier uniform, He uniform for ReLU; the bias row starts at zero.
        # Glorot suggest a gain of 4 for sigmoid (its slope at 0 is 1/4); half of
        # that trains the classic net's 10-unit sigmoid layer to higher accuracy.
        if self.activation == "relu":
            bound = np.sqrt(6.0 / n_in)
        else:
            bound = {"sigmoid": 2.0, "tanh": 1.0}[self.activation] * np.sqrt(6.0 / (n_in + n_out))
        W = np.zeros((n_in + 1, n_out), dtype=self.dtype)
        W[1:] = rng.uniform(-bound, bound, size=(n_in, n_out))
        return W

    # ----------------------------------------------------------------- facts
    @property
    def activation(self) -> str:
        """The hidden layers' activation name."""
        return self._activation.name

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def n_features(self) -> int:
        return self.sizes[0]

    @property
    def n_classes(self) -> int:
        return self.sizes[-1]

    @property
    def weight_shapes(self) -> list[tuple[int, int]]:
        return [(a + 1, b) for a, b in zip(self.sizes, self.sizes[1:])]

    def __repr__(self) -> str:
        arrows = " → ".join(str(n) for n in self.sizes)
        return f"MLP({arrows}, {self.activation}, {np.dtype(self.dtype).name})"

    # ----------------------------------------------------------- the passes
    def _forward(self, X: np.ndarray) -> list[LayerRecord]:
        """Unchecked forward pass; the last record's z are the logits (B, C)."""
        records, H = [], X
        for k, W in enumerate(self.weights):
            z, cache = Affine.forward(H, W)  # (B, n_out)
            H = self._activation.apply(z) if k < self.n_layers - 1 else None  # (B, n_out)
            records.append(LayerRecord(cache, z, H))
            H = H if H is not None else z
        return records

    def _backward(self, dz_out: np.ndarray, records: list[LayerRecord]) -> Backward:
        """Unchecked backward pass from dL/dz of the output layer."""
        n = self.n_layers
        dW: list = [None] * n
        dz: list = [None] * n
        dH: list = [None] * n
        dz[-1] = dz_out  # (B, C)
        for k in range(n - 1, -1, -1):
            dH_prev, dW[k] = Affine.backward(dz[k], records[k].affine, need_input_grad=k > 0)
            if k > 0:  # dL/dH_{k} of the layer below, then through its activation
                dH[k - 1] = dH_prev  # (B, n_k)
                dz[k - 1] = self._activation.backward(dH_prev, (records[k - 1].H, records[k - 1].z))
        return Backward(dW, dz, dH)

    def _loss_and_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Unchecked: X (B, n_features) of self.dtype, y (B,) int labels."""
        records = self._forward(X)
        loss, cache = SoftmaxCrossEntropy.forward(records[-1].z, y)
        return loss, self._backward(SoftmaxCrossEntropy.backward(1.0, cache), records).dW

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return Softmax.forward(self._forward(X)[-1].z)[0]  # (B, C)

    # -------------------------------------------------------- public methods
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ŷ (n, n_classes) for inputs X (n, n_features)."""
        return self._predict_proba(self._inputs(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class labels (n,) for inputs X (n, n_features)."""
        return self.predict_proba(X).argmax(axis=1)

    def loss(self, X, y) -> float:
        """Mean cross-entropy of the network on X (n, n_features) with labels y (n,)."""
        X = self._inputs(X)
        return SoftmaxCrossEntropy.forward(self._forward(X)[-1].z, self._labels(y, len(X)))[0]

    def loss_and_gradients(self, X, y) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy and its gradients dL/dW_k, each shaped like W_k."""
        X = self._inputs(X)
        return self._loss_and_gradients(X, self._labels(y, len(X)))

    def trace(self, x, y):
        """Record one forward and backward pass on x (B, n_features), y (B,) labels.

        Returns a read-only :class:`~backproplab.core.trace.Trace`.
        """
        from .recording import record_pass

        return record_pass(self, x, y)

    def _inputs(self, X) -> np.ndarray:
        return as_inputs(X, self.n_features, np.dtype(self.dtype))

    def _labels(self, y, n: int) -> np.ndarray:
        return as_labels(y, n, self.n_classes)

    # -------------------------------------------------------------- copies
    def copy(self, *, dtype=None) -> "MLP":
        """An independent copy, optionally in another float dtype."""
        new = MLP.__new__(MLP)
        new.sizes, new._activation, new.seed = self.sizes, self._activation, self.seed
        new.dtype = _check_dtype(dtype if dtype is not None else self.dtype)
        new.weights = [W.astype(new.dtype, copy=True) for W in self.weights]
        return new

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Replace every W_k, checking the shapes and finiteness."""
        weights = [np.asarray(W) for W in weights]
        if [W.shape for W in weights] != self.weight_shapes:
            raise ShapeError(
                f"weights must have shapes {self.weight_shapes} (bias row first); got "
                f"{[W.shape for W in weights]}."
            )
        self.weights = [np.array(W, dtype=self.dtype) for W in weights]

    # ------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Save to an ``.npz`` file, atomically (temp file, then rename)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"W{k + 1}": W for k, W in enumerate(self.weights)}
        with atomic_write(path) as f:
            np.savez(f, format=np.array(FORMAT), sizes=np.array(self.sizes),
                     activation=np.array(self.activation), **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MLP":
        """Load a network saved by :meth:`save` (no pickles are ever loaded)."""
        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"no model file at {path}. Train and save one first: "
                                 f"backproplab train --save {path.name}")
        try:
            with np.load(path, allow_pickle=False) as f:
                data = {k: f[k] for k in f.files}
        except Exception as exc:  # zip or npy errors: not a model file at all
            raise ModelFileError(f"{path} is not a backproplab model file ({exc}). "
                                 f"Save models with MLP.save(path).") from None
        if str(data.get("format", "")) != FORMAT:
            raise ModelFileError(f"{path} is an .npz file but not a backproplab model "
                                 f"(no format tag {FORMAT!r}). Save models with MLP.save(path).")
        try:
            sizes = tuple(int(n) for n in data["sizes"])
            weights = [data[f"W{k + 1}"] for k in range(len(sizes) - 1)]
            net = cls(sizes, activation=str(data["activation"]), dtype=weights[0].dtype)
            net.set_weights(weights)
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelFileError(f"{path} is a damaged backproplab model: {exc}") from None
        return net


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    try:
        out = tuple(int(n) for n in sizes)
        ok = len(out) >= 2 and all(n >= 1 and n == m for n, m in zip(out, sizes))
    except (TypeError, ValueError):
        ok = False
    if not ok or out[-1] < 2:
        raise ConfigError(
            f"sizes must list at least two positive whole layer widths, input first and "
            f"at least 2 classes last, e.g. (784, 100, 10, 10); got {sizes!r}."
        )
    return out


def _check_dtype(dtype) -> type:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise DTypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}.")
    return dt.type
