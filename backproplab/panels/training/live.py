"""The dashboard's live part: progress, status, the figures and the step they show.

:class:`LiveView` draws one :class:`~.checkpoints.Frame` at a time, figures
first and then the text, so that the status never runs ahead of the figures:
``bpl-frame-step`` names the training step the figures show ("step N"), and
``bpl-train-status`` the latest step of the same frame. It is driven by the
redraw thread while a run trains (:mod:`.redraw`) and by the panel after a
step, a pause, a stop or a replay (:meth:`LiveView.settle`, :meth:`refresh`).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import ipywidgets as widgets

from .._common import show, with_class
from ..alt_image import AltImage
from ..base import ErrorArea
from . import text
from .checkpoints import Frame
from .render import FigureRenderer
from .snapshots import SnapshotsView
from .state import DashboardState

__all__ = ["LiveView"]

SLOTS = ("filters", "curves", "confusion")
#: How long a live frame waits for the training thread to publish the weights of its next
#: step (a step takes milliseconds); after that it draws the last published ones.
FRESH_WEIGHTS_SECONDS = 0.25


def _image(cls: str) -> AltImage:
    # natural size (no stretching to the box), narrowed only to fit
    layout = widgets.Layout(max_width="100%", width="auto", align_self="flex-start")
    return with_class(AltImage(layout=layout), cls)


class LiveView:
    """The live widgets of one dashboard and how a frame is drawn into them.

    ``expected()`` gives (epochs, steps per epoch, training images) that the
    settings would give, for before a run begins.
    """

    def __init__(self, dash: DashboardState, errors: ErrorArea, *, expected: Callable,
                 render_process: bool) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.dash, self.errors, self._expected = dash, errors, expected
        self.renderer = FigureRenderer(helper=render_process)
        self.progress = B(W.IntProgress(value=0, min=0, max=1, description="epoch 0",
                                        layout=L(width="420px"), style={"description_width": "90px"}),
                          "bpl-train-progress")
        self.status = B(W.HTML(), "bpl-train-status")
        self.frame_step = B(W.HTML(layout=L(margin="0 0 0 12px")), "bpl-frame-step")
        self.render_note = B(W.HTML(), "bpl-render-note")
        show(self.render_note, False)
        self.images = {"filters": _image("bpl-filters"), "filters_caption": B(W.HTML(), "bpl-filters-caption"),
                       "curves": B(W.HTML(), "bpl-curves"), "confusion": B(W.HTML(), "bpl-confusion")}
        self.shown: dict = {}  # slot -> what it shows (its job entry), for Save
        self.per_class = B(W.HTML(), "bpl-per-class")
        self.snapshots = SnapshotsView(dash, errors)
        # while training: frames drawn and the seconds they took (rendering, and all of it)
        self.stats = {"ticks": 0, "tick_seconds": 0.0, "frames": 0, "render_seconds": 0.0}
        self._drawing = threading.Lock()  # one frame at a time, whichever thread draws it
        self.forget()
        dash.observe(lambda change: self.forget(), names="session")

    def live_tab(self) -> widgets.VBox:
        W, L = widgets, widgets.Layout
        return W.VBox([
            self.images["curves"],
            W.HBox([self.snapshots.slider, self.snapshots.caption],
                   layout=L(align_items="center", flex_flow="row wrap")),
            W.HBox([W.VBox([self.images["filters_caption"], self.images["filters"]],
                           layout=L(max_width="600px", margin="0 12px 0 0")),
                    W.VBox([self.images["confusion"], self.per_class])],
                   layout=L(flex_flow="row wrap")),
        ])

    def forget(self) -> None:
        """A new session: draw every figure again at the next frame."""
        self._shown = dict.fromkeys(SLOTS)  # what each figure shows (its key)
        self.snapshots.forget()

    # ------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Redraw everything for the session's current state, in this thread."""
        session = self.dash.session
        session.request_weights()
        self.draw(session.frame())

    def settle(self) -> None:
        """After a run paused, stopped, ended or stepped: evaluate, redraw, show any error."""
        s = self.dash.session
        if not s.running and s.latest is not None and s.state != "failed":
            s.evaluate_now()  # (after a divergence, the last evaluation stays on show)
        s.request_weights()
        self.draw(s.frame())
        if s.error is not None and not s.diverged:  # a divergence is told in the status
            with self.dash.lock:
                self.errors.show(s.error, "training")

    def draw(self, frame: Frame, *, live: bool = False) -> None:
        """Draw ``frame`` now, in this thread: the figures first, then the frame step and the text.

        ``live`` frames (drawn while training) are counted in ``stats``.
        """
        started = time.perf_counter()
        with self._drawing:
            job, keys, step_html, checkpoint = self._plan(frame)
            pngs = self.renderer.render(job) if job else {}
            rendered = time.perf_counter()
            # one frame's updates go out back to back: the figures, then what names their step,
            # then the status (training is not held up: under load that would cost throughput)
            with self.dash.lock:
                for slot in ("curves", "confusion", "filters", "filters_caption"):
                    if slot in pngs:
                        self.images[slot].value = pngs[slot]
                if "filters" in pngs:
                    self.images["filters"].alt = text.filters_alt(*job["filters"])
                self.frame_step.value = step_html
                self._apply_text(frame)
                self._shown.update(keys)
                self.shown.update(job)
                if "confusion" in pngs:
                    self.per_class.value = text.per_class_html(checkpoint.confusion)
                    self.dash.checkpoint = checkpoint
        if live:
            self.stats["frames"] += 1
            self.stats["render_seconds"] += rendered - started
            self.stats["ticks"] += 1
            self.stats["tick_seconds"] += time.perf_counter() - started

    def show_text(self, frame: Frame) -> None:
        """Update the status, progress and snapshot slider for ``frame`` now (no figures)."""
        with self.dash.lock:
            self._apply_text(frame)

    def _plan(self, frame: Frame):
        """What to redraw for ``frame``: the job, the keys of what it shows, the frame-step text."""
        gen, replayed = self.dash.generation, self.dash.replayed
        job, keys = {}, {}
        if replayed is not None:
            keys["filters"] = ("snapshot", gen, replayed.uid)
            job["filters"] = (replayed.weights[0], f"W1 filters at {replayed.label} (replay)")
            step_html = text.frame_step_html(replayed.step, replayed.epoch, replay=replayed.label)
        else:
            at = frame.weights_at  # the step the weights were published at, not frame.latest
            if frame.weights is not None:
                keys["filters"] = ("live", gen, frame.weights_version)
                job["filters"] = (frame.weights[0], text.filters_title(at))
            step_html = text.frame_step_html(at.step if at else 0, at.epoch_fraction if at else 0.0)
        keys["curves"] = ("curves", gen, len(frame.steps), len(frame.test_steps))
        job["curves"] = {"steps": frame.steps, "train_loss": frame.train_loss,
                         "train_acc": frame.train_accuracy, "test_steps": frame.test_steps,
                         "test_acc": frame.test_accuracy, "x_max": self._epochs(), "run": gen}
        checkpoint = replayed or frame.evaluation
        if checkpoint is not None:
            keys["confusion"] = ("checkpoint", gen, checkpoint.uid)
            job["confusion"] = (checkpoint.confusion, f"test set, {checkpoint.label}")
        for slot in SLOTS:
            if slot in keys and keys[slot] == self._shown[slot]:
                del keys[slot], job[slot]
        return job, keys, step_html, checkpoint

    def _epochs(self) -> int:
        trainer = self.dash.session.trainer
        return trainer.epochs if trainer is not None else self._expected()[0]

    def _apply_text(self, frame: Frame) -> None:
        """Status, progress, snapshot slider, render note (lock held)."""
        s, latest = self.dash.session, frame.latest
        if s.trainer is not None:
            epochs, per_epoch, n_train = s.trainer.epochs, s.steps_per_epoch, s.n_train
        else:
            epochs, per_epoch, n_train = self._expected()
        self.status.value = text.status_html(
            state=frame.state, latest=latest, epochs=epochs, steps_per_epoch=per_epoch,
            evaluation=frame.evaluation, samples_per_second=frame.samples_per_second, n_train=n_train,
            error=frame.error, lr=s.settings.get("lr"), speed=s.speed)
        with self.progress.hold_sync():
            self.progress.max = max(epochs * per_epoch, 1)
            self.progress.value = latest.step if latest else 0
            self.progress.description = text.progress_text(latest, epochs)
        self.snapshots.update(frame)
        note = self.renderer.note
        if note and self.render_note.value != note:
            self.render_note.value = f'<div style="font-size:12px;color:#6d4c41">{text.esc(note)}</div>'
            show(self.render_note, True)

    def close(self) -> None:
        self.renderer.close()
