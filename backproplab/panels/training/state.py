"""The dashboard's own state, apart from any widget: which session, what is replayed, where to save.

:class:`DashboardState` is what the dashboard's views observe. Its ``session``
is replaced by Reset (a new network, a new run); ``state`` follows that
session's state (a ``dlink``); ``replay`` is the snapshot on show (None: live);
``checkpoint`` is the one whose confusion matrix is on show (the drill-down
follows it). ``lock`` is the one lock for widget updates shared by the kernel
thread and the redraw thread.
"""

from __future__ import annotations

import math
import threading

import traitlets

from .checkpoints import Checkpoint
from .session import STATES, TrainingSession

__all__ = ["DashboardState"]


class DashboardState(traitlets.HasTraits):
    """Observable: ``session``, ``state``, ``replay``, ``checkpoint``, ``folder``, ``speed``."""

    session = traitlets.Instance(TrainingSession)
    state = traitlets.Enum(STATES, default_value="ready")
    replay = traitlets.Int(allow_none=True, default_value=None)
    checkpoint = traitlets.Instance(Checkpoint, allow_none=True)
    folder = traitlets.Unicode("backproplab-run")
    speed = traitlets.Float(None, allow_none=True)  # steps per second; None = full speed

    def __init__(self, session: TrainingSession) -> None:
        self.lock = threading.RLock()
        self.generation = 0  # counts sessions: what is drawn for one is never taken for another's
        self._links: list = []
        super().__init__(session=session)
        self._follow({"new": session})
        self.observe(self._follow, names="session")

    def _follow(self, change) -> None:
        """Mirror the new session's state, and hand it the speed (now and on every change)."""
        for link in self._links:
            link.unlink()
        session: TrainingSession = change["new"]
        self.generation += 1
        with self.hold_trait_notifications():
            self.replay = None
            self.checkpoint = None
        self._links = [traitlets.dlink((session, "state"), (self, "state")),
                       traitlets.dlink((self, "speed"), (session, "speed"))]

    @property
    def replayed(self) -> Checkpoint | None:
        """The snapshot on show, or None when following training."""
        return None if self.replay is None else self.session.snapshots[self.replay]

    @traitlets.validate("speed")
    def _valid_speed(self, proposal):
        value = proposal["value"]
        if value is not None and not (math.isfinite(value) and value > 0):
            raise traitlets.TraitError(f"speed must be steps per second > 0, or None for full speed; "
                                       f"got {value!r}.")
        return value

    @traitlets.validate("replay")
    def _valid_replay(self, proposal):
        value, n = proposal["value"], len(self.session.snapshots)
        if value is not None and not 0 <= value < n:
            raise traitlets.TraitError(f"replay must be a snapshot 0..{n - 1} (or None for live); "
                                       f"got {value}.")
        return value
