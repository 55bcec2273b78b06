"""The live training dashboard, as logic and views.

Logic (no widgets):

* :mod:`.session` - :class:`TrainingSession`: one run of the Trainer, pulled in a thread or by hand;
* :mod:`.checkpoints` - checkpoints (the network at a moment, its test results) and frames;
* :mod:`.state` - :class:`DashboardState`: which session, what is replayed, the speed.

Views (observe the state):

* :mod:`.controls` - Start / Pause / Stop / Step / Reset, the speed, the settings (``bpl-train-*``);
* :mod:`.live` - progress, status, the figures and the step they show; :mod:`.redraw` its thread;
* :mod:`.render` - the figures as PNGs, in the kernel or in a helper process;
* :mod:`.snapshots` - the snapshot slider, replay caption, saturation table;
* :mod:`.drilldown` - the confusion matrix's cells, their images, one image's pass;
* :mod:`.text` - how all of it is worded (HTML).

:mod:`.panel` puts them together: :class:`TrainingPanel` and ``training_dashboard()``.
"""

from .panel import TrainingPanel, training_dashboard

__all__ = ["TrainingPanel", "training_dashboard"]
