"""The snapshot slider, the replay caption and the saturation table (per-epoch checkpoints).

:class:`SnapshotsView` links its slider (``bpl-snapshots``) to the dashboard's
``replay`` trait ("live" is None) and words the checkpoints (``bpl-replay-caption``,
``bpl-saturation``) for each frame it is given.
"""

from __future__ import annotations

import contextlib

import ipywidgets as widgets

from .._common import with_class
from ..base import ErrorArea
from . import text
from .checkpoints import Frame
from .state import DashboardState

__all__ = ["LIVE", "SnapshotsView"]

LIVE = -1  # the slider's "live" position


class SnapshotsView:
    def __init__(self, dash: DashboardState, errors: ErrorArea) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.dash = dash
        self.slider = B(W.SelectionSlider(options=[("live", LIVE)], value=LIVE, description="snapshot",
                                          continuous_update=False, layout=L(width="520px")),
                        "bpl-snapshots")
        self.caption = B(W.HTML(), "bpl-replay-caption")
        self.saturation = B(W.HTML(), "bpl-saturation")
        self._link = None
        self._connect()
        self.forget()

    def _connect(self) -> None:
        self._link = widgets.link((self.dash, "replay"), (self.slider, "value"),
                                  transform=(lambda r: LIVE if r is None else r,
                                             lambda v: None if v == LIVE else int(v)))

    @contextlib.contextmanager
    def _unlinked(self):
        """New options reset the slider's value for a moment: that is not a learner's choice."""
        self._link.unlink()
        try:
            yield
        finally:
            self._connect()

    def forget(self) -> None:
        self._n_options = -1

    def update(self, frame: Frame) -> None:
        """Options for the frame's snapshots, the caption and the saturation table (lock held)."""
        s = self.dash.session
        if frame.n_snapshots != self._n_options:
            snaps = s.snapshots[:frame.n_snapshots]
            replay = self.dash.replay
            with self._unlinked():
                self.slider.options = [(c.label, i) for i, c in enumerate(snaps)] + [("live", LIVE)]
                self.slider.value = LIVE if replay is None or replay >= len(snaps) else replay
            self._n_options = frame.n_snapshots
            self.saturation.value = text.saturation_html(snaps, s.net.activation)
        replayed = self.dash.replayed
        self.caption.value = text.replay_html(replayed or frame.evaluation, live=replayed is None)
