"""Shared fixtures: where the real MNIST is, and small seeded subsets of it.

Tests that need the real MNIST read it from $BACKPROPLAB_DATA_DIR, or else from
../shared/mnist beside the checkout. Where neither exists they are skipped on a
developer's machine and fail in CI (CI=true), where a missing data set is a bug.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_MNIST = Path(os.environ.get("BACKPROPLAB_DATA_DIR") or ROOT.parent / "shared" / "mnist")

# The notebooks, which nbval runs in this session's environment, find MNIST through this variable.
if not os.environ.get("BACKPROPLAB_DATA_DIR") and REAL_MNIST.is_dir():
    os.environ["BACKPROPLAB_DATA_DIR"] = str(REAL_MNIST)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder with the real MNIST files."""
    if not REAL_MNIST.is_dir():
        message = f"real MNIST not found at {REAL_MNIST}; set BACKPROPLAB_DATA_DIR to its folder"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REAL_MNIST


@pytest.fixture(scope="session")
def mnist_small(mnist_dir):
    """A balanced, seeded subset of real MNIST as uint8: 6,000 train and 1,000 test images."""
    from backproplab.data import load_mnist

    return load_mnist(data_dir=mnist_dir, n_train=6000, n_test=1000, dtype=np.uint8, progress=False)
