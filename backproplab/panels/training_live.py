"""The training dashboard's live part: status, progress, figures, snapshots, saturation.

:class:`LiveView` owns the widgets that show a run and keeps them up to date:
in the caller's thread when nothing trains (:meth:`LiveView.draw`), and from a
redraw thread while a run trains in the background (:meth:`LiveView.start`).
That thread updates the text every tick (``redraw_hz``) and sends the figures
to a :class:`~.training_render.RenderProcess`, showing each answer when it
comes; only the copying of W1 and the widget updates happen in the kernel.

The weights of a live frame are published by the training thread between two
steps, and the filters' title names that step (``Frame.weights_at``), never a
later one. When the run pauses, stops or ends, the redraw thread leaves at once
(dropping any frame still being drawn) and the panel redraws in the kernel,
figures first and the status last, so the page is consistent once it says
"paused".

Each redraw takes a ticket under the view lock; a figure is shown only if no
later ticket's figure is on show, so a slow frame never overwrites a newer one.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Callable

import ipywidgets as widgets

from . import training_views as views
from ._common import with_class
from .training_render import FigureSet, RenderProcess
from .training_session import Checkpoint, Frame, TrainingSession

__all__ = ["LIVE", "LiveView"]

LIVE = -1  # the snapshot slider's "live" position
SLOTS = ("filters", "curves", "confusion")
#: How long a live frame waits for the training thread to publish the weights of its next
#: step (a step takes milliseconds); after that it draws the last published ones.
FRESH_WEIGHTS_SECONDS = 0.25


def _image(cls: str) -> widgets.Image:
    # natural size (no stretching to the box), narrowed only to fit
    layout = widgets.Layout(max_width="100%", width="auto", align_self="flex-start")
    return with_class(widgets.Image(format="png", layout=layout), cls)


class LiveView:
    """The live widgets of one dashboard and their redrawing.

    Parameters (all keyword-only)
    ----------
    redraw_hz : text updates per second while training (figures as fast as they render, at most that)
    render_process : draw figures in a helper process while training
    expected : () -> (epochs, steps per epoch, training images), for before a run begins
    on_state : called with the session's state whenever a redraw sees it change
    on_confusion : called with the checkpoint whose confusion matrix was just shown
    on_replay_choice : called with a snapshot index (None = live) chosen on the slider
    on_end : called (no arguments) in the redraw thread when a run ends by itself
    on_error : called with (exception, where) for an error in the redraw thread
    """

    def __init__(self, *, redraw_hz: float, render_process: bool, expected: Callable,
                 on_state: Callable, on_confusion: Callable, on_replay_choice: Callable,
                 on_end: Callable, on_error: Callable) -> None:
        self.lock = threading.RLock()
        self._interval = 1.0 / float(redraw_hz)
        self._expected, self._on_state, self._on_confusion = expected, on_state, on_confusion
        self._on_replay_choice, self._on_end, self._on_error = on_replay_choice, on_end, on_error
        self._figures = FigureSet()
        self._figures_lock = threading.Lock()  # one thread at a time draws with them
        self.renderer = _start_renderer() if render_process else None
        if self.renderer is not None:
            weakref.finalize(self, self.renderer.close)
        # while training: text ticks and figure frames, and the seconds each took
        self.stats = {"ticks": 0, "tick_seconds": 0.0, "frames": 0, "render_seconds": 0.0}
        self._session: TrainingSession | None = None
        self._generation = 0
        self._ticker: threading.Thread | None = None
        self._replayed: Checkpoint | None = None
        self._quiet_slider = False
        self._build()

    # ------------------------------------------------------------ widgets
    def _build(self) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.progress = B(W.IntProgress(value=0, min=0, max=1, description="epoch 0",
                                        layout=L(width="420px"), style={"description_width": "90px"}),
                          "bpl-train-progress")
        self.status = B(W.HTML(), "bpl-train-status")
        self.images = {"filters": _image("bpl-filters"), "curves": _image("bpl-curves"),
                       "confusion": _image("bpl-confusion")}
        self.per_class = B(W.HTML(), "bpl-per-class")
        self.snapshots = B(W.SelectionSlider(options=[("live", LIVE)], value=LIVE,
                                             description="snapshot", continuous_update=False,
                                             layout=L(width="520px")), "bpl-snapshots")
        self.snapshots.observe(self._on_slider, names="value")
        self.replay_caption = B(W.HTML(), "bpl-replay-caption")
        self.saturation = B(W.HTML(), "bpl-saturation")

    def live_tab(self) -> widgets.VBox:
        W, L = widgets, widgets.Layout
        return W.VBox([
            self.images["curves"],
            W.HBox([self.snapshots, self.replay_caption], layout=L(align_items="center",
                                                                   flex_flow="row wrap")),
            W.HBox([self.images["filters"], W.VBox([self.images["confusion"], self.per_class])],
                   layout=L(flex_flow="row wrap")),
        ])

    def _on_slider(self, change) -> None:
        if not self._quiet_slider:
            self._on_replay_choice(None if change["new"] == LIVE else int(change["new"]))

    # ------------------------------------------------------------ state
    def attach(self, session: TrainingSession) -> None:
        """Show a new session (after a reset): forget what is on show."""
        with self.lock:
            self._session = session
            self._generation += 1
            self._replayed = None
            self._ticket = 0
            self._shown = dict.fromkeys(SLOTS)  # what each figure shows (its key)
            self._applied = dict.fromkeys(SLOTS, 0)  # the ticket of the figure on show
            self._text_version = -1  # the frame version of the text on show
            self._n_snapshot_options = -1

    def replay(self, checkpoint: Checkpoint | None, index: int | None) -> None:
        """Show a snapshot (None: follow training), then redraw."""
        with self.lock:
            self._replayed = checkpoint
            self._quiet_slider = True
            try:
                self.snapshots.value = LIVE if index is None else index
            finally:
                self._quiet_slider = False
        self.refresh()

    def refresh(self) -> None:
        """Redraw everything for the session's current state, in this thread."""
        self._session.request_weights()
        self.draw(self._session.frame())

    # ------------------------------------------------------------ drawing
    def show_text(self, frame: Frame) -> None:
        """Update the status, progress and slider for ``frame`` now (no figures)."""
        with self.lock:
            self._apply_text(frame)

    def draw(self, frame: Frame, *, live: bool = False) -> None:
        """Redraw for ``frame`` now, in this thread: the figures first, then the text.

        The status changes only once the figures of the same moment are on show,
        so the page never says "paused" above figures of the run as it was.
        ``live`` frames (drawn while training) are counted in ``stats``.
        """
        with self.lock:
            job, ticket, checkpoint = self._plan(frame)
        pngs = {}
        if job:
            started = time.perf_counter()
            try:
                with self._figures_lock:
                    pngs = self._figures.render(job)
            except Exception:
                with self.lock:
                    self._shown = dict.fromkeys(SLOTS)  # draw everything again next time
                raise
            if live:
                self._count_frame(time.perf_counter() - started)
        with self.lock:
            self._apply(pngs, ticket, checkpoint)
            self._apply_text(frame)

    def _plan(self, frame: Frame) -> tuple[dict, int, Checkpoint | None]:
        """What to redraw for ``frame`` (lock held): a job, a ticket, the confusion's checkpoint."""
        gen, replayed = self._generation, self._replayed
        job, keys = {}, {}
        if replayed is not None:
            keys["filters"] = ("snapshot", gen, replayed.uid)
            job["filters"] = (replayed.weights[0], f"W1 filters at {replayed.label} (replay)")
        elif frame.weights is not None:
            keys["filters"] = ("live", gen, frame.weights_version)
            # the step the weights were published at, not frame.latest: training moves on
            job["filters"] = (frame.weights[0], views.filters_title(frame.weights_at))
        keys["curves"] = ("curves", gen, len(frame.steps), len(frame.test_steps))
        job["curves"] = {"steps": frame.steps, "train_loss": frame.train_loss,
                         "train_acc": frame.train_accuracy, "test_steps": frame.test_steps,
                         "test_acc": frame.test_accuracy}
        checkpoint = replayed or frame.evaluation
        if checkpoint is not None:
            keys["confusion"] = ("checkpoint", gen, checkpoint.uid)
            job["confusion"] = (checkpoint.confusion, f"test set, {checkpoint.label}")
        for slot in SLOTS:
            if slot in keys and keys[slot] == self._shown[slot]:
                del keys[slot], job[slot]
        self._shown.update(keys)
        self._ticket += 1
        return job, self._ticket, checkpoint

    def _apply(self, pngs: dict, ticket: int, checkpoint: Checkpoint | None) -> None:
        """Show rendered PNGs unless a later ticket's are on show (lock held)."""
        for slot, png in pngs.items():
            if ticket > self._applied[slot]:
                self.images[slot].value = png
                self._applied[slot] = ticket
                if slot == "confusion" and checkpoint is not None:
                    self.per_class.value = views.per_class_html(checkpoint.confusion)
                    self._on_confusion(checkpoint)

    def _apply_text(self, frame: Frame) -> None:
        """Status, progress, snapshot slider, saturation table (lock held), unless newer are on show."""
        if frame.version < self._text_version:
            return
        self._text_version = frame.version
        s, latest = self._session, frame.latest
        if s.trainer is not None:
            epochs, per_epoch, n_train = s.trainer.epochs, s.steps_per_epoch, s.n_train
        else:
            epochs, per_epoch, n_train = self._expected()
        self.status.value = views.status_html(
            state=frame.state, latest=latest, epochs=epochs, steps_per_epoch=per_epoch,
            evaluation=frame.evaluation, samples_per_second=frame.samples_per_second, n_train=n_train)
        with self.progress.hold_sync():
            self.progress.max = max(epochs * per_epoch, 1)
            self.progress.value = latest.step if latest else 0
            self.progress.description = views.progress_text(latest, epochs)
        self._on_state(frame.state)
        if frame.n_snapshots != self._n_snapshot_options:
            snaps = s.snapshots[:frame.n_snapshots]
            value = self.snapshots.value
            self._quiet_slider = True  # new options reset the value for a moment: not a choice
            try:
                self.snapshots.options = [(c.label, i) for i, c in enumerate(snaps)] + [("live", LIVE)]
                self.snapshots.value = value if value in (LIVE, *range(len(snaps))) else LIVE
            finally:
                self._quiet_slider = False
            self._n_snapshot_options = frame.n_snapshots
            self.saturation.value = views.saturation_html(snaps, s.net.activation)
        replayed = self._replayed
        self.replay_caption.value = views.replay_html(replayed or frame.evaluation,
                                                      live=replayed is None)

    def _count_frame(self, seconds: float) -> None:
        self.stats["frames"] += 1
        self.stats["render_seconds"] += seconds

    # ------------------------------------------------------ redraw thread
    def start(self) -> None:
        """Start the redraw thread for the attached session's background run."""
        self._ticker = threading.Thread(target=self._tick_loop, args=(self._session, self._generation),
                                        daemon=True, name="backproplab-redraw")
        self._ticker.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the redraw thread to end; True if it has (or never ran)."""
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(timeout)
            return not ticker.is_alive()
        return True

    def close(self) -> None:
        if self.renderer is not None:
            self.renderer.close()

    def _tick_loop(self, session: TrainingSession, gen: int) -> None:
        """Text every tick, figures as fast as they render, until the worker ends.

        The redraw after a pause, a stop or a step is not this thread's: the panel
        draws it in the kernel at once. After a run's own end, ``on_end`` draws it
        here. A frame still being drawn by the helper then is dropped: it shows the
        run as it was, and the final redraw replaces it.
        """
        proc = self.renderer if self.renderer is not None and self.renderer.alive else None
        pending = None  # (ticket, checkpoint) of the job in flight
        next_local = 0.0
        try:
            while gen == self._generation:
                if session.ended.wait(self._interval):
                    break
                t0 = time.perf_counter()
                if pending is not None and proc.poll():
                    pending = self._collect(proc, pending)
                elif pending is not None and not proc.alive:
                    pending = None
                helper = proc is not None and proc.alive
                submit = helper and pending is None and proc.idle()
                local = not helper and t0 >= next_local  # no helper: draw here, now and then
                # fresh weights for a figure frame: published at most a step before the record shown
                frame = session.frame(fresh_weights=FRESH_WEIGHTS_SECONDS if submit or local else 0.0)
                if local:
                    self.draw(frame, live=True)
                    # leave training most of the time
                    next_local = time.perf_counter() + max(self._interval, 3 * (time.perf_counter() - t0))
                else:
                    with self.lock:
                        self._apply_text(frame)
                        job, ticket, checkpoint = self._plan(frame) if submit else ({}, 0, None)
                    if job:
                        proc.submit(job)
                        pending = (ticket, checkpoint)
                self.stats["ticks"] += 1
                self.stats["tick_seconds"] += time.perf_counter() - t0
            if pending is not None:
                proc.discard()
                with self.lock:
                    self._shown = dict.fromkeys(SLOTS)  # its figures never came: the next redraw draws all
            if gen == self._generation and session.state in ("finished", "failed"):
                self._on_end()
        except Exception as exc:  # noqa: BLE001 - a redraw thread's error is shown, not lost
            with self.lock:
                self._on_error(exc, "redraw")

    def _collect(self, proc: RenderProcess, pending) -> None:
        """Show the helper's answer to the job in flight; returns the new ``pending`` (None)."""
        ticket, checkpoint = pending
        pngs, seconds = proc.receive(timeout=10.0)
        self._count_frame(seconds)
        with self.lock:
            self._apply(pngs, ticket, checkpoint)
        return None


def _start_renderer() -> RenderProcess | None:
    try:
        return RenderProcess()
    except Exception:  # noqa: BLE001 - no helper process: figures are drawn in the kernel
        return None
