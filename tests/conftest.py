"""Shared fixtures: the real MNIST (the copy bundled with the package), small subsets of it,
and a guard that keeps every test off the network.

The tests are hermetic: they read MNIST from the package itself (never from ../shared or a
cache), and $BACKPROPLAB_DATA_DIR is unset for the whole session so the notebooks, which
nbval runs in this environment, use the bundled copy too.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import numpy as np
import pytest

from backproplab.data import bundled_dir

ROOT = Path(__file__).resolve().parents[1]
os.environ.pop("BACKPROPLAB_DATA_DIR", None)  # the bundled copy, for tests and notebooks alike


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Any connection to a non-loopback address fails the test that made it."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(sock, address):
        if not _is_local(address):
            raise AssertionError(f"a test tried to reach the network: {address!r}")

    def connect(sock, address):
        refuse(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        refuse(sock, address)
        return real_connect_ex(sock, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of the real MNIST files shipped inside the package."""
    return bundled_dir()


@pytest.fixture(scope="session")
def mnist_small(mnist_dir):
    """A balanced, seeded subset of real MNIST as uint8: 6,000 train and 1,000 test images."""
    from backproplab.data import load_mnist

    return load_mnist(data_dir=mnist_dir, n_train=6000, n_test=1000, dtype=np.uint8, progress=False)
