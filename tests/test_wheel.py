"""The wheel carries MNIST: built here, installed non-editable into a fresh venv, loaded offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the fresh venv: every connection fails, then MNIST is loaded and checked.
OFFLINE_CHECK = textwrap.dedent("""
    import socket, sys
    def no_network(*args, **kwargs):
        raise OSError("network unreachable (test)")
    socket.socket.connect = socket.socket.connect_ex = no_network
    socket.create_connection = no_network
    import numpy as np
    import backproplab
    from backproplab.data import load_mnist, mnist_source
    data = load_mnist(dtype=np.uint8)
    print(backproplab.__file__)
    print(mnist_source().origin, mnist_source().folder)
    print(np.bincount(data.y_test).tolist())
""")


def _run(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True, **kwargs)


def test_wheel_installs_with_mnist_and_loads_it_offline(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "backproplab", source / "backproplab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("backproplab-*.whl")
    assert wheel.stat().st_size > 10_000_000  # the 11 MB of MNIST are inside

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                   .stdout.strip())
    # The wheel's dependencies (numpy, tqdm, ...) come from this environment, as plain paths.
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", purelib, wheel)

    env = {k: v for k, v in os.environ.items() if k != "BACKPROPLAB_DATA_DIR"}
    out = _run(python, "-c", OFFLINE_CHECK, cwd=tmp_path, env=env).stdout.splitlines()
    assert out[0].startswith(str(purelib))  # the installed copy, not this checkout
    origin, folder = out[1].split(" ", 1)
    assert origin == "bundled" and folder.startswith(str(purelib))
    assert out[2] == str([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
