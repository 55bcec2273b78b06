"""The layers point one way: the core never imports plotting or widget code."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module,forbidden", [
    ("backproplab", ["matplotlib", "ipywidgets"]),
    ("backproplab.core", ["matplotlib", "ipywidgets"]),
    ("backproplab.data", ["matplotlib", "ipywidgets"]),
    ("backproplab.viz", ["ipywidgets", "matplotlib.pyplot"]),
])
def test_imports_do_not_pull_in_higher_layers(module, forbidden):
    code = (f"import sys, {module}\n"
            f"bad = [m for m in {forbidden!r} if m in sys.modules]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imported {out.stdout.strip()}"
