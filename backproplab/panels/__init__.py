"""ipywidgets panels: compose stock widgets around the core; no math here.

``step_through()`` opens :class:`StepThroughPanel` on an MNIST test image;
``training_dashboard()`` opens :class:`TrainingPanel` on MNIST.
"""

from .step_through import StepThroughPanel, step_through
from .training import TrainingPanel, training_dashboard
from .draw import DrawDigitPanel, draw_digit

__all__ = ["StepThroughPanel", "TrainingPanel", "step_through", "training_dashboard"]
