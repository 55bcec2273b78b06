"""The step-through panel's parts: its state and the views that observe it.

* :mod:`.state` - :class:`StepState`, what is on show and what the learner did (no widgets);
* :mod:`.nav` - title, navigation, options, diagram, the step's name and formula;
* :mod:`.quizbox` - "predict the shape": answer box, feedback, score, the gate;
* :mod:`.details` - value, note, ledger, full Jacobian, gradient check, export;
* :mod:`.html` - how each of those is worded and drawn (HTML snippets, PNGs).

A new box is a new view: a class that takes the state and the panel's
``ErrorArea``, builds its widgets, observes the traits it needs, and is placed
in :meth:`backproplab.panels.step_through.StepThroughPanel._layout`.
"""

from .state import StepState

__all__ = ["StepState"]
