"""ipywidgets panels: compose stock widgets around a recorded pass; no math here.

``step_through()`` opens :class:`StepThroughPanel` on an MNIST test image.
"""

from .step_through import StepThroughPanel, step_through

__all__ = ["StepThroughPanel", "step_through"]
