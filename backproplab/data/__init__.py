"""Locate, download, verify and parse MNIST (NumPy and pooch only).

``load_mnist()`` is the entry point; ``locate_mnist`` / ``verify_mnist`` serve
the ``backproplab data`` command; ``read_idx`` / ``write_idx`` handle the IDX
file format in general.
"""

from backproplab.data.idx import read_idx, write_idx
from backproplab.data.mnist import (
    MNIST,
    balanced_subset,
    cache_dir,
    load_mnist,
    locate_mnist,
    verify_mnist,
)

__all__ = [
    "MNIST",
    "balanced_subset",
    "cache_dir",
    "load_mnist",
    "locate_mnist",
    "read_idx",
    "verify_mnist",
    "write_idx",
]
