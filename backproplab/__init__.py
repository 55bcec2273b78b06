"""backproplab: see backpropagation, one layer and one Jacobian at a time.

``MLP``, ``check_gradients`` and the rest of the pure-NumPy core load eagerly;
the data loader, figures and widget panels load on first use, so importing the
core never pulls in matplotlib or ipywidgets.
"""

from __future__ import annotations

from importlib import import_module

from .core import MLP, Trainer, check_gradients, check_parameter, evaluate
from .errors import BackproplabError

__version__ = "0.1.0"

_LAZY = {
    "load_mnist": "backproplab.data",
    "step_through": "backproplab.panels.step_through",
    "draw_digit": "backproplab.panels",
    "training_dashboard": "backproplab.panels",
}

__all__ = ["MLP", "BackproplabError", "Trainer", "check_gradients", "check_parameter", "evaluate",
           "__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'backproplab' has no attribute {name!r}")
