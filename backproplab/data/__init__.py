"""Locate, verify and parse MNIST (NumPy only): the copy bundled with the package, or yours.

``load_mnist()`` is the entry point; ``mnist_source`` / ``verify_mnist`` serve
the ``backproplab data`` command; ``read_idx`` / ``write_idx`` handle the IDX
file format in general.
"""

from backproplab.data.idx import read_idx, write_idx
from backproplab.data.mnist import (
    MNIST,
    MNISTSource,
    balanced_subset,
    bundled_dir,
    load_mnist,
    locate_mnist,
    mnist_source,
    verify_mnist,
)

__all__ = [
    "MNIST",
    "MNISTSource",
    "balanced_subset",
    "bundled_dir",
    "load_mnist",
    "locate_mnist",
    "mnist_source",
    "read_idx",
    "verify_mnist",
    "write_idx",
]
