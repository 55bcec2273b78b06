"""The same network in PyTorch and scikit-learn, one epoch per call, for interleaving.

Both are optional: :func:`available` says which are installed (neither is a
dependency of backproplab). Both train 784 → 100 sigmoid → 10 sigmoid → 10
softmax with cross-entropy and SGD, learning rate 0.1, momentum 0.9, on one thread.
"""

from __future__ import annotations

import importlib.util
import time
import warnings

import numpy as np


def available() -> dict[str, str | None]:
    """{"torch": version or None, "sklearn": version or None}."""
    out = {}
    for name in ("torch", "sklearn"):
        if importlib.util.find_spec(name) is None:
            out[name] = None
        else:
            out[name] = importlib.import_module(name).__version__
    return out


class TorchEpochs:
    """PyTorch on the CPU, written the idiomatic way, with manual batching.

    ``nn.Sequential(Linear(784, 100), Sigmoid(), Linear(100, 10), Sigmoid(),
    Linear(10, 10))``, ``CrossEntropyLoss``, ``optim.SGD(lr=0.1, momentum=0.9)``
    with the same 0.8-per-epoch decay (``ExponentialLR``), ``torch.set_num_threads(1)``.
    Batches are taken by hand from a ``torch.randperm`` order (no DataLoader, whose
    per-sample collation would dominate) and converted from uint8 per batch, as
    backproplab does. Each step also sums the loss and counts correct predictions,
    as backproplab's progress records do.
    """

    name = "PyTorch"
    how = ("nn.Sequential + CrossEntropyLoss + optim.SGD(momentum=0.9), manual batching "
           "(randperm, uint8→float per batch), torch.set_num_threads(1)")

    def __init__(self, X, y, *, batch_size: int, epochs: int = 1) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(1)
        torch.manual_seed(0)
        self.torch, self.batch_size = torch, batch_size
        self.model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10), nn.Sigmoid(),
                                   nn.Linear(10, 10))
        self.loss_fn = nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9)
        self.schedule = torch.optim.lr_scheduler.ExponentialLR(self.opt, gamma=0.8)
        self.X = torch.from_numpy(np.ascontiguousarray(X))  # uint8, shares memory
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.generator = torch.Generator().manual_seed(0)
        blas = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
        self.version = f"{torch.__version__} ({blas}, {torch.get_num_threads()} thread)"

    def epoch(self) -> float:
        torch, B, n = self.torch, self.batch_size, len(self.y)
        t0 = time.perf_counter()
        order = torch.randperm(n, generator=self.generator)
        loss_sum, correct = 0.0, 0
        for start in range(0, n, B):
            idx = order[start:start + B]
            xb = self.X[idx].float().mul_(1 / 255)
            yb = self.y[idx]
            logits = self.model(xb)
            loss = self.loss_fn(logits, yb)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(dim=1) == yb).sum())
        self.schedule.step()
        return time.perf_counter() - t0

    def accuracy(self, X, y) -> float:
        with self.torch.no_grad():
            logits = self.model(self.torch.from_numpy(np.asarray(X, dtype=np.float32) / 255))
        return float((logits.argmax(dim=1).numpy() == np.asarray(y)).mean())

    def close(self) -> None:
        pass


class SklearnEpochs:
    """scikit-learn's MLPClassifier, one ``partial_fit`` (one epoch of minibatches) per call.

    ``MLPClassifier(hidden_layer_sizes=(100, 10), activation="logistic", solver="sgd",
    batch_size=B, learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=False,
    alpha=0.0, max_iter=1)``. scikit-learn takes whole float arrays, so the pixels
    are converted to float32 once, outside the timing (it keeps float32). Warnings
    raised while training are collected in ``warnings``.
    """

    name = "scikit-learn"
    how = ("MLPClassifier(hidden_layer_sizes=(100, 10), activation='logistic', solver='sgd', "
           "momentum=0.9, nesterovs_momentum=False, alpha=0), one partial_fit per epoch, "
           "float32 input converted once")

    def __init__(self, X, y, *, batch_size: int, epochs: int = 1) -> None:
        import sklearn
        from sklearn.neural_network import MLPClassifier

        self.X = np.asarray(X, dtype=np.float32)
        self.X *= np.float32(1 / 255)
        self.y = np.asarray(y)
        self.classes = np.arange(10)
        self.model = MLPClassifier(hidden_layer_sizes=(100, 10), activation="logistic", solver="sgd",
                                   batch_size=batch_size, learning_rate_init=0.1, momentum=0.9,
                                   nesterovs_momentum=False, alpha=0.0, shuffle=True, random_state=0,
                                   max_iter=1)
        self.warnings: set[str] = set()
        self.version = sklearn.__version__

    def epoch(self) -> float:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            self.model.partial_fit(self.X, self.y, classes=self.classes)
            seconds = time.perf_counter() - t0
        self.warnings.update(f"{w.category.__name__}: {w.message}" for w in caught)
        return seconds

    def accuracy(self, X, y) -> float:
        return float((self.model.predict(np.asarray(X, dtype=np.float32) / 255) == np.asarray(y)).mean())

    def close(self) -> None:
        pass
