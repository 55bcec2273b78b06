"""A network trained in a few seconds, for panels that need one that already reads digits.

:func:`quick_train` trains the classic MLP on given images (pure NumPy, seeded);
:func:`session_net` does it once per Python session on MNIST and hands out copies.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from .network import MLP
from .training import Trainer

__all__ = ["QUICK_EPOCHS", "quick_train", "session_net"]

QUICK_EPOCHS = 3  # 60,000 images: 4.6 s with loading on a quiet 2-core machine, 7 s on a busy one; 96.74 % test accuracy


def quick_train(x, y, *, epochs: int = QUICK_EPOCHS, seed: int = 0) -> MLP:
    """The classic MLP (784 → 100 → 10 → 10) after ``epochs`` of the default SGD on x (N, 784), y (N,).

    Deterministic for given data and seed (one BLAS thread, seeded shuffles).
    """
    net = MLP(seed=seed)
    for _ in Trainer(net, epochs=epochs, seed=seed).run(x, y):
        pass
    return net


@functools.lru_cache(maxsize=4)
def _trained_on_mnist(data_dir: str | None, epochs: int) -> MLP:
    from ..data import load_mnist  # the data layer reads files; the core only uses it here

    data = load_mnist(data_dir=data_dir, dtype=np.uint8, progress=False)
    return quick_train(data.x_train, data.y_train, epochs=epochs)


def session_net(*, data_dir: str | os.PathLike | None = None, epochs: int = QUICK_EPOCHS) -> MLP:
    """A copy of the classic MLP trained on all of MNIST's training images, once per session.

    The first call loads MNIST (``backproplab.data.load_mnist(data_dir=...)``) and
    trains for ``epochs`` (a few seconds); later calls with the same arguments return
    a fresh copy of that network at once, so training a copy never changes the next.
    """
    key = None if data_dir is None else os.fspath(data_dir)
    return _trained_on_mnist(key, int(epochs)).copy()
