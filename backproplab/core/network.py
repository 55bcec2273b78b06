"""The multilayer perceptron: ``z_k = [1 H_{k-1}] · W_k``, ``H_k = f(z_k)``, softmax out.

Row vectors, batch along axis 0, bias folded into row 0 of each W_k, so the
classic network (784, 100, 10, 10) has W1 785×100, W2 101×10, W3 11×10.
Variants: ``bias=False`` (``z_k = H_{k-1} · W_k``, W_k of shape n_in × n_out) and
``loss="quadratic"`` (a sigmoid output layer and the quadratic cost, Nielsen's network.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from .._files import atomic_write, check_output_file
from ..errors import ConfigError, DTypeError, InputTypeError, ModelFileError, NonFiniteError, ShapeError
from .heads import get_head
from .linear import Linear
from .ops import Affine, AffineCache, get_activation
from .validation import as_inputs, as_labels, check_batch_size, check_seed, check_sizes

FORMAT = "backproplab-mlp-1"
CLASSIC_SIZES = (784, 100, 10, 10)
_INIT_CHUNK = 1 << 20  # numbers drawn at once when initialising a layer


class LayerRecord(NamedTuple):
    """What one layer's forward pass leaves behind for the backward pass."""

    affine: AffineCache  # its input H_{k-1} (B, n_in) and W_k (n_in + 1, n_out), or (n_in, n_out) without bias
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
    ``loss="quadratic"`` gives a sigmoid output layer with the quadratic cost
    C = (1/2B) Σ‖ŷ − y‖² instead; ``bias=False`` a network without biases, whose
    W_{k+1} is (n_in, n_out).
    Sizes needing more than ``validation.MAX_WEIGHTS`` weights are refused
    (:class:`~backproplab.errors.TooLargeError`) before anything is allocated.
    """

    def __init__(
        self,
        sizes: Sequence[int] = CLASSIC_SIZES,
        *,
        activation: str = "sigmoid",
        seed: int | None = 0,
        dtype: type | np.dtype = np.float32,
        loss: str = "cross_entropy",
        bias: bool = True,
    ) -> None:
        self._configure(sizes, activation, dtype, seed, loss, bias)
        rng = np.random.default_rng(self.seed)
        self.weights = [self._init_weight(rng, a, b) for a, b in zip(self.sizes, self.sizes[1:])]

    def _configure(self, sizes, activation, dtype, seed, loss="cross_entropy", bias=True) -> None:
        self.sizes = check_sizes(sizes)
        self._activation = get_activation(activation)
        self.dtype = _check_dtype(dtype)
        self.seed = check_seed(seed)
        self._head = get_head(loss)
        if not isinstance(bias, (bool, np.bool_)):
            raise ConfigError(f"bias must be True (a bias per unit) or False (none); got {bias!r}.")
        self._layer = Affine if bias else Linear

    def _init_weight(self, rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
        # Glorot/Xavier uniform, He uniform for ReLU; the bias row starts at zero.
        # Glorot suggest a gain of 4 for sigmoid (its slope at 0 is 1/4); half of
        # that trains the classic net's 10-unit sigmoid layer to higher accuracy.
        if self.activation == "relu":
            bound = np.sqrt(6.0 / n_in)
        else:
            bound = {"sigmoid": 2.0, "tanh": 1.0}[self.activation] * np.sqrt(6.0 / (n_in + n_out))
        first = int(self.bias)  # row 0 is the bias row, which starts at zero
        W = np.zeros((n_in + first, n_out), dtype=self.dtype)  # (n_in + 1, n_out), or (n_in, n_out)
        rows = max(1, _INIT_CHUNK // n_out)  # drawn in blocks of rows: the same numbers, no float64 copy
        for start in range(0, n_in, rows):
            stop = min(start + rows, n_in)
            W[first + start:first + stop] = rng.uniform(-bound, bound, size=(stop - start, n_out))  # (rows, n_out)
        return W

    # ----------------------------------------------------------------- facts
    @property
    def activation(self) -> str:
        """The hidden layers' activation name."""
        return self._activation.name

    @property
    def loss_name(self) -> str:
        """The loss: "cross_entropy" (softmax output) or "quadratic" (sigmoid output)."""
        return self._head.name

    @property
    def bias(self) -> bool:
        """True when each W_k has a bias row (row 0), False for a network without biases."""
        return self._layer is Affine

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
        return [(a + self.bias, b) for a, b in zip(self.sizes, self.sizes[1:])]

    def __repr__(self) -> str:
        arrows = " → ".join(str(n) for n in self.sizes)
        extra = ("" if self.loss_name == "cross_entropy" else ", sigmoid output, quadratic cost") + (
            "" if self.bias else ", no bias")
        return f"MLP({arrows}, {self.activation}{extra}, {np.dtype(self.dtype).name})"

    # ----------------------------------------------------------- the passes
    def _forward(self, X: np.ndarray) -> list[LayerRecord]:
        """Unchecked forward pass; the last record's z are the logits (B, C)."""
        records, H = [], X
        for k, W in enumerate(self.weights):
            z, cache = self._layer.forward(H, W)  # (B, n_out)
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
            dH_prev, dW[k] = self._layer.backward(dz[k], records[k].affine, need_input_grad=k > 0)
            if k > 0:  # dL/dH_{k} of the layer below, then through its activation
                dH[k - 1] = dH_prev  # (B, n_k)
                dz[k - 1] = self._activation.backward(dH_prev, (records[k - 1].H, records[k - 1].z))
        return Backward(dW, dz, dH)

    def _loss_and_gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Unchecked: X (B, n_features) of self.dtype, y (B,) int labels."""
        records = self._forward(X)
        loss, cache = self._head.fused.forward(records[-1].z, y)
        return loss, self._backward(self._head.fused.backward(1.0, cache), records).dW

    def _predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self._head.predict(self._forward(X)[-1].z)  # (B, C)

    # -------------------------------------------------------- public methods
    def predict_proba(self, X) -> np.ndarray:
        """The outputs ŷ (n, n_classes) for inputs X (n, n_features).

        Class probabilities (softmax) with cross-entropy; with the quadratic cost
        the sigmoid outputs, each in [0, 1], which need not sum to 1.

        Raises NonFiniteError rather than return NaN when the pass overflows.
        """
        X = self._inputs(X)
        with np.errstate(over="ignore", invalid="ignore"):
            P = self._predict_proba(X)  # (n, C)
        return self._finite(P, X)

    def predict(self, X) -> np.ndarray:
        """Predicted class labels (n,) for inputs X (n, n_features)."""
        return self.predict_proba(X).argmax(axis=1)

    def loss(self, X, y) -> float:
        """Mean loss (cross-entropy, or the quadratic cost) on X (n, n_features) with labels y (n,)."""
        X = self._inputs(X)
        y = self._labels(y, len(X))
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self._head.fused.forward(self._forward(X)[-1].z, y)[0]
        return self._finite(loss, X)

    def loss_and_gradients(self, X, y) -> tuple[float, list[np.ndarray]]:
        """Mean loss (cross-entropy, or the quadratic cost) and its gradients dL/dW_k, each shaped like W_k."""
        X = self._inputs(X)
        y = self._labels(y, len(X))
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grads = self._loss_and_gradients(X, y)
        self._finite(loss, X)
        for g in grads:
            self._finite(g, X)
        return loss, grads

    def trace(self, x, y):
        """Record one forward and backward pass on x (B, n_features), y (B,) labels.

        Returns a read-only :class:`~backproplab.core.trace.Trace`.
        """
        from .recording import record_pass

        return record_pass(self, x, y)

    def _inputs(self, X) -> np.ndarray:
        X = as_inputs(X, self.n_features, np.dtype(self.dtype))
        check_batch_size(len(X), self.sizes, fix="Pass at most {largest:,} rows at a time, or use "
                         "backproplab.evaluate(net, X, y), which works in chunks.")
        return X

    def _labels(self, y, n: int) -> np.ndarray:
        return as_labels(y, n, self.n_classes)

    def _finite(self, result, X: np.ndarray):
        """Return ``result`` if it is finite, else say why the pass overflowed."""
        if np.all(np.isfinite(result)):
            return result
        largest_x = float(np.abs(X).max())
        largest_w = max(float(np.abs(W).max()) for W in self.weights)
        cause = (f"the inputs reach |x| = {largest_x:.3g}: scale them to about [0, 1], e.g. X / 255 for pixels"
                 if largest_x > 1e3 else
                 f"the weights reach |W| = {largest_w:.3g}: the network has diverged; train it again "
                 f"with a smaller learning rate")
        raise NonFiniteError(f"the network's pass overflowed to NaN or infinity in {np.dtype(self.dtype).name}: "
                             f"{cause}.")

    # -------------------------------------------------------------- copies
    def copy(self, *, dtype=None) -> "MLP":
        """An independent copy, optionally in another float dtype."""
        new = MLP.__new__(MLP)
        new.sizes, new._activation, new.seed = self.sizes, self._activation, self.seed
        new._head, new._layer = self._head, self._layer
        new.dtype = _check_dtype(dtype if dtype is not None else self.dtype)
        new.weights = [W.astype(new.dtype, copy=True) for W in self.weights]
        return new

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Replace every W_k, checking the kind, shapes and finiteness first.

        Raises InputTypeError (not a list of arrays), DTypeError (not real numbers),
        ShapeError or NonFiniteError (NaN or ±inf, or beyond the network's dtype);
        on any error the old weights are kept.
        """
        if weights is None or isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__len__"):
            raise InputTypeError(
                f"weights must be a list of {self.n_layers} arrays W1..W{self.n_layers} with shapes "
                f"{self.weight_shapes}; got {type(weights).__name__}. Pass e.g. other.weights.")
        try:
            weights = [np.asarray(W) for W in weights]
        except (ValueError, TypeError) as exc:
            raise ShapeError(f"weights must be a list of rectangular arrays; one is ragged ({exc}).") from None
        if [W.shape for W in weights] != self.weight_shapes:
            raise ShapeError(
                f"weights must have shapes {self.weight_shapes}{' (bias row first)' if self.bias else ''}; got "
                f"{[W.shape for W in weights]}."
            )
        limit = float(np.finfo(self.dtype).max)
        for k, W in enumerate(weights, start=1):
            if W.dtype.kind not in "fiub" or W.dtype.hasobject:
                raise DTypeError(f"W{k} must hold real numbers; got dtype {W.dtype}. Convert it first, "
                                 f"e.g. W.astype(np.float32) (complex weights are not supported).")
            finite = np.isfinite(W) if W.dtype.kind == "f" else np.ones(W.shape, bool)
            if not finite.all():
                bad = np.argwhere(~finite)[0]
                raise NonFiniteError(
                    f"W{k} holds {np.count_nonzero(~finite)} NaN or infinite value(s), the first at "
                    f"row {bad[0]}, column {bad[1]}. Use weights from a network that trained without "
                    f"diverging, or re-initialise it: MLP({self.sizes}).")
            if W.size and float(np.abs(W).max()) > limit:
                raise NonFiniteError(f"W{k} holds values beyond {np.dtype(self.dtype).name}'s range "
                                     f"(±{limit:.3g}); they would become infinite. Use "
                                     f"MLP(..., dtype=np.float64) or smaller weights.")
        self.weights = [np.array(W, dtype=self.dtype) for W in weights]

    # ------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Save to an ``.npz`` file, atomically (temp file, then rename); return the path.

        ``.npz`` is appended when missing. Missing folders are created; an unusable
        path raises :class:`~backproplab.errors.OutputPathError`. A save that is
        killed midway leaves the old file intact; its temp file is removed by the
        next save to the same path.
        """
        path = _as_path(path, "save to")
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        path = check_output_file(path)
        arrays = {f"W{k + 1}": W for k, W in enumerate(self.weights)}
        with atomic_write(path) as f:
            np.savez(f, format=np.array(FORMAT), sizes=np.array(self.sizes),
                     activation=np.array(self.activation), loss=np.array(self.loss_name),
                     bias=np.array(self.bias), **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MLP":
        """Load a network saved by :meth:`save`.

        No pickles are ever loaded, and only the members a model has are read,
        each after its declared shape was checked against ``sizes``; sizes over
        the limit are refused before any weight is read. Raises
        :class:`~backproplab.errors.ModelFileError` naming what is wrong.
        """
        from .model_file import read_model

        path = _as_path(path, "load")
        sizes, activation, weights, loss, bias = read_model(path, FORMAT)
        net = cls.__new__(cls)
        try:
            net._configure(sizes, activation, weights[0].dtype, None, loss, bias)
            net.set_weights(weights)
        except (ValueError, TypeError) as exc:
            raise ModelFileError(f"{path} is a damaged backproplab model: {exc}") from None
        return net


def _as_path(path, verb: str) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not Path(path).name:
        raise InputTypeError(f"give a file path to {verb}, such as 'model.npz'; got {path!r}.")
    return Path(path)


def _check_dtype(dtype) -> type:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise DTypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}.")
    return dt.type
