"""The redraw thread: while a run trains in the background, draw a frame every tick.

Each tick takes one consistent frame from the session (the weights published
by the training thread at the step of the latest record, or one step later) and
draws it whole, figures then text (:meth:`.live.LiveView.draw`), so the figures
and the status always show the same moment. When the run pauses or stops, the
thread ends and the panel draws the final frame; when the run ends by itself
(finished, failed), this thread draws it.
"""

from __future__ import annotations

import threading

from .live import FRESH_WEIGHTS_SECONDS, LiveView
from .session import TrainingSession

__all__ = ["Redrawer"]


class Redrawer:
    """Draws ``live`` at ``redraw_hz`` frames per second while a session's worker runs."""

    def __init__(self, live: LiveView, *, redraw_hz: float) -> None:
        self.live = live
        self.interval = 1.0 / float(redraw_hz)
        self._thread: threading.Thread | None = None

    def start(self, session: TrainingSession) -> None:
        """Start the thread for ``session``'s background run."""
        self._thread = threading.Thread(target=self._loop, args=(session,), daemon=True,
                                        name="backproplab-redraw")
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it has (or never ran)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _loop(self, session: TrainingSession) -> None:
        live = self.live
        try:
            while live.dash.session is session and not session.ended.wait(self.interval):
                live.draw(session.frame(fresh_weights=FRESH_WEIGHTS_SECONDS), live=True)
            if live.dash.session is session and session.state in ("finished", "failed"):
                live.settle()
        except Exception as exc:  # noqa: BLE001 - a redraw thread's error is shown, not lost
            with live.dash.lock:
                live.errors.show(exc, "redraw")
