"""ipywidgets panels: compose stock widgets around the core; no math here.

* :mod:`.base` - what every panel shares: the error area, ``control``, ``shown``, ``__repr__``;
* :mod:`.step_through` - :class:`StepThroughPanel` and ``step_through()`` (its parts in :mod:`.steps`);
* :mod:`.training` - :class:`TrainingPanel` and ``training_dashboard()`` (a package: session, views);
* :mod:`.draw` - :class:`DrawDigitPanel` and ``draw_digit()``;
* :mod:`.scale` - ``use_scale(panel, 1.5)`` and :class:`ProjectorToggle`, for a projector;
* :mod:`.keys`, :mod:`.alt_image` - a panel's keyboard shortcuts, pictures with text alternatives;
* :mod:`.quiz`, :mod:`.diagram`, :mod:`.kinds` - pure helpers (no widgets).

``backproplab.step_through(...)`` is :func:`backproplab.panels.step_through.step_through`
(the module keeps its name: ``import backproplab.panels.step_through`` gives the module).
"""

from .step_through import StepThroughPanel
from .training import TrainingPanel, training_dashboard
from .draw import DrawDigitPanel, draw_digit
from .scale import ProjectorToggle

__all__ = ["DrawDigitPanel", "ProjectorToggle", "StepThroughPanel", "TrainingPanel", "draw_digit",
           "training_dashboard"]
