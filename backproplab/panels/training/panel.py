"""The live training dashboard: train an MLP on MNIST and watch it learn.

:class:`TrainingPanel` composes a :class:`~.state.DashboardState` (which
session, what is replayed) with the views that observe it: the controls
(:mod:`.controls`), the live figures and status (:mod:`.live`, drawn by the
thread of :mod:`.redraw`), the snapshots (:mod:`.snapshots`) and the
drill-down (:mod:`.drilldown`). Training runs in a background thread
(:mod:`.session`); Pause and Stop end it after its current batch; Step,
``step_batch()`` and ``run_steps(n)`` train in the caller's thread.
"""

from __future__ import annotations

import time
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from ...core import MLP, Progress, Trainer
from ...errors import ConfigError, ShapeError
from .._common import with_class
from .._common import PanelTypeError
from ..base import ErrorArea, Panel, assign
from ..keys import PanelKeys
from ..scale import use_scale
from . import text
from .checkpoints import Checkpoint
from .controls import TrainingControls
from .drilldown import DrillDown
from .live import LiveView
from .redraw import Redrawer
from .save import SaveView
from .session import TrainingSession
from .state import DashboardState

__all__ = ["TrainingPanel", "training_dashboard"]

_DRILL_TAB = 1  # the drill-down's tab


def _dash_trait(name: str) -> property:
    """``panel.<name>`` reads and assigns the dashboard state's ``<name>``."""
    return property(lambda self: getattr(self.dash, name),
                    lambda self, value: assign(self.dash, name, value),
                    doc=f"``dash.{name}`` (assignable; a bad value: ConfigError).")


class TrainingPanel(Panel):
    """Train ``net`` on ``data`` (what ``load_mnist(...)`` returns) and watch it learn.

    Keyword-only settings: the Trainer's ``epochs``, ``lr``, ``batch_size``,
    ``momentum``, ``lr_decay`` and ``seed`` (editable in the panel until a run
    begins), ``n_train`` (training images used; all by default), ``redraw_hz``
    (frames per second while training), ``render_process`` (draw the figures in
    a helper process; False draws them in the kernel), ``probe`` (test images
    for the saturation diagnostics) and ``speed`` (steps per second, None for
    full speed; also the ``bpl-train-speed`` control, changeable while training).

    State: ``panel.dash`` (a :class:`~.state.DashboardState`), whose ``state``
    (ready, paused, running, finished, stopped, failed), ``replay`` (the
    snapshot on show, None = live), ``speed`` and ``folder`` (where Save writes)
    are also readable and assignable on the panel. Methods: ``start()``,
    ``pause()``, ``stop()``, ``step_batch()``, ``run_steps(n)``, ``reset()``,
    ``wait(timeout)``, ``refresh()``, ``save()``; ``control(css_class)`` is a
    control (``panel.control("bpl-train-step").click()``) and ``shown(css_class)``
    the text an element shows (``panel.shown("bpl-train-status")``).
    """

    css_class = "bpl-training"
    state = _dash_trait("state")
    replay = _dash_trait("replay")
    speed = _dash_trait("speed")
    folder = _dash_trait("folder")

    def __init__(self, net: MLP, data, *, epochs: int = 10, lr: float = 0.1, batch_size: int = 32,
                 momentum: float = 0.9, lr_decay: float = 0.8, seed: int = 0, n_train: int | None = None,
                 redraw_hz: float = 4.0, render_process: bool = False, probe: int = 256,
                 speed: float | None = None, scale: float = 1) -> None:
        _check_data(net, data)
        settings = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "momentum": momentum,
                    "lr_decay": lr_decay, "seed": seed}
        Trainer(net, **settings)  # validates them, with the core's messages
        n_all = len(data.y_train)
        n_train = n_all if n_train is None else n_train
        if (isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer))
                or not 1 <= n_train <= n_all):
            raise ConfigError(f"n_train must be a whole number in 1..{n_all}; got {n_train!r}.")
        if not (isinstance(redraw_hz, (int, float)) and 0 < redraw_hz <= 30):
            raise ConfigError(f"redraw_hz must be a number in (0, 30]; got {redraw_hz!r}.")
        self._data, self._probe = data, probe
        errors = ErrorArea("bpl-train-error")
        self.dash = DashboardState(TrainingSession(net, data, probe=probe))
        assign(self.dash, "speed", speed)
        self.controls = TrainingControls(self.dash, settings=settings, n_train=int(n_train),
                                         n_train_max=n_all, hidden=net.sizes[1:-1],
                                         activation=net.activation)
        self.live = LiveView(self.dash, errors, expected=self._expected, render_process=render_process)
        self.redrawer = Redrawer(self.live, redraw_hz=redraw_hz)
        self.drill = DrillDown(data.x_test, data.y_test, dash=self.dash, errors=errors,
                               n_classes=net.n_classes)
        self.saver = SaveView(self.dash, self.live, errors, n_test=len(data.y_test))
        self.shortcuts = PanelKeys(scope=self.css_class, shortcuts=[" "], space_buttons=["bpl-train-start",
                                                                                  "bpl-train-pause"],
                              description="Training dashboard: Space starts and pauses",
                              labels={".bpl-snapshots [role=slider]": "snapshot",
                                      ".bpl-train-speed [role=slider]": "speed"})
        self.shortcuts.on_key(errors.guard(lambda key: self.start_or_pause(), "keyboard"))
        super().__init__([*self._build(errors), self.shortcuts], errors=errors)
        use_scale(self, scale)
        self.dash.observe(errors.guard(lambda change: self.live.refresh(), "replay"), names="replay")
        self.dash.observe(self._on_state, names="state")
        self.live.refresh()

    # ------------------------------------------------------------ facts
    @property
    def net(self) -> MLP:
        """The network being trained (a new one after each reset)."""
        return self.dash.session.net

    @property
    def session(self) -> TrainingSession:
        return self.dash.session

    @property
    def history(self):
        """The run's :class:`~backproplab.core.history.History` (read it when not running)."""
        return self.session.history

    @property
    def snapshots(self) -> list[Checkpoint]:
        """The untrained network and one checkpoint per finished epoch."""
        return list(self.session.snapshots)

    @property
    def latest(self) -> Progress | None:
        """The last progress record the panel took."""
        return self.session.latest

    @property
    def drilldown(self) -> DrillDown:
        return self.drill

    @property
    def samples_per_second(self) -> float:
        """Training throughput of this run (the trainer's own clock: evaluation excluded)."""
        latest = self.session.latest
        return latest.samples_per_second if latest else 0.0

    @property
    def run_seconds(self) -> float:
        """Wall-clock seconds the training thread ran (pauses excluded, evaluations included)."""
        return self.session.run_seconds

    @property
    def redraw_stats(self) -> dict:
        """Frames drawn while training, since the panel opened.

        ``frames`` (= ``ticks``) were drawn by the redraw thread, ``render_ms`` is
        the time to draw one frame's figures (in the helper process when it runs),
        ``tick_ms`` the whole frame in the kernel (copying, drawing, widget updates).
        Redraws after a step, a pause or a replay are not counted.
        """
        s, renderer = dict(self.live.stats), self.live.renderer
        return {"ticks": s["ticks"], "tick_ms": 1e3 * s["tick_seconds"] / max(s["ticks"], 1),
                "frames": s["frames"], "render_ms": 1e3 * s["render_seconds"] / max(s["frames"], 1),
                "render_process": renderer.in_helper}

    def wait_for_renderer(self, timeout: float = 30.0) -> bool:
        """Wait until the helper process that draws figures has started; False if there is none."""
        helper = self.live.renderer.helper
        return helper is not None and helper.ready(timeout)

    def _describe(self) -> str:
        s, c = self.session, self.controls
        n_train = s.n_train if s.trainer else c.n_train.value
        epochs = s.trainer.epochs if s.trainer else c.epochs.value
        return (f"{self.net!r}, {n_train} train / {len(self._data.y_test)} test images, "
                f"epoch {s.epochs_done} of {epochs}")

    # ------------------------------------------------------ the run
    def start(self) -> None:
        """Train in the background (or resume a paused run); returns at once."""
        s = self.session
        if s.running:
            return
        if s.state == "ready":
            self._begin()
        s.start()
        self.live.show_text(s.frame())  # "running" at once, not at the first frame
        self.redrawer.start(s)

    def pause(self, timeout: float = 10.0) -> bool:
        """Pause after the current batch; the views then show the paused network."""
        ok = self._halt(self.session.pause, timeout)
        self.live.settle()
        return ok

    def start_or_pause(self) -> None:
        """The Space key: pause a running run, else start or resume one (if it can: not after it ended)."""
        if self.session.running:
            self.pause()
        elif not self.controls.start.disabled:
            self.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """End the run after the current batch; the weights and the history stay."""
        ok = self._halt(self.session.stop, timeout)
        self.live.settle()
        return ok

    def step_batch(self) -> Progress | None:
        """Train on one batch in this thread (pausing a background run first)."""
        records = self.run_steps(1)
        return records[-1] if records else None

    def run_steps(self, n: int) -> list[Progress]:
        """Train on up to ``n`` batches in this thread, then redraw once."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be a whole number ≥ 1; got {n!r}.")
        s = self.session
        if s.running:
            self.pause()
        if s.state == "ready":
            self._begin()
        try:
            return s.step(int(n))
        finally:
            self.live.settle()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until training and the redraw thread have ended; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self.session.wait(timeout):
            return False
        return self.redrawer.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def wait_for_steps(self, n: int, timeout: float | None = None) -> bool:
        """Wait until the run has taken ``n`` steps (or stopped running); True if it has."""
        return self.session.wait_for_steps(n, timeout)

    def reset(self) -> None:
        """End any run and build a new network from the hidden sizes, activation and seed."""
        hidden, activation = self.controls.architecture()
        seed = int(self.controls.seed.value)
        old = self.net
        net = MLP((old.n_features, *hidden, old.n_classes), activation=activation, seed=seed,
                  dtype=old.dtype)  # before stopping: a bad setting changes nothing
        self._halt(self.session.close, 10.0)
        with self.dash.lock:
            self.dash.session = TrainingSession(net, self._data, probe=self._probe)
            self._title.value = self._title_html()
            self._why.value = text.why_slow_html(net.activation)
        self.live.settle()

    def refresh(self) -> None:
        """Redraw everything now, in this thread."""
        self.live.refresh()

    def save(self, folder: str | Path | None = None) -> list[Path]:
        """Write model.npz, the figures on show (PNG) and metrics.json into ``folder`` (see :mod:`.save`)."""
        return self.saver.save(folder)

    def close(self) -> None:
        """Stop training, end the helper process and close every widget of the panel."""
        if getattr(self, "live", None) is not None:
            self._halt(self.session.close, 5.0)
            self.live.close()
        super().close()

    # ---------------------------------------------------------- helpers
    def _begin(self) -> None:
        c = self.controls
        self.session.begin(n_train=int(c.n_train.value), **c.trainer_settings())

    def _expected(self) -> tuple[int, int, int]:
        """(epochs, steps per epoch, training images) that the settings would give."""
        c = self.controls
        n_train = int(c.n_train.value)
        return int(c.epochs.value), -(-n_train // max(int(c.batch_size.value), 1)), n_train

    def _halt(self, how, timeout: float) -> bool:
        """Run ``how(timeout)`` (pause, stop or close the session), then join the redraw thread."""
        ok = how(timeout) is not False
        return self.redrawer.join(timeout) and ok

    def _on_state(self, change) -> None:
        self._why.value = text.why_slow_html(self.net.activation)

    # --------------------------------------------------------- building
    def _build(self, errors: ErrorArea) -> list[widgets.Widget]:
        W, L, B = widgets, widgets.Layout, with_class
        self._title = B(W.HTML(self._title_html()), "bpl-train-title")
        self._why = B(W.HTML(text.why_slow_html(self.net.activation)), "bpl-why-slow")
        c = self.controls
        for button, action in ((c.start, self.start), (c.pause, self.pause), (c.stop, self.stop),
                               (c.step, self.step_batch), (c.reset, self.reset)):
            button.on_click(errors.guard(lambda _, action=action: action(), button.description.lower()))
        live = self.live
        saturation = W.VBox([self._why, live.snapshots.saturation])
        tabs = B(W.Tab(children=[live.live_tab(), self.drill, saturation, self.saver.box]),
                 "bpl-train-tabs")
        tabs.titles = ("Live", "Drill-down", "Saturation", "Save")
        tabs.observe(errors.guard(self._on_tab, "tab"), names="selected_index")
        top = W.HBox([c.button_row(), live.progress], layout=L(align_items="center", flex_flow="row wrap"))
        status = W.HBox([live.status, live.frame_step], layout=L(align_items="baseline",
                                                                 flex_flow="row wrap"))
        return [self._title, top, status, live.render_note, c.settings_box(), tabs]

    def _on_tab(self, change) -> None:
        if change["new"] == _DRILL_TAB:
            self.drill.on_show()
        else:
            self.drill.visible = False

    def _title_html(self) -> str:
        d = self._data
        return (f"<b>Training dashboard</b> · {text.esc(repr(self.net))} · "
                f"{len(d.y_train):,} training / {len(d.y_test):,} test images")


def _check_data(net: MLP, data) -> None:
    names = ("x_train", "y_train", "x_test", "y_test")
    if not all(hasattr(data, n) for n in names):
        raise PanelTypeError(f"data must have {', '.join(names)} (what load_mnist(...) returns); got "
                        f"{type(data).__name__}.")
    for x_name, y_name in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = np.asarray(getattr(data, x_name)), np.asarray(getattr(data, y_name))
        if x.ndim != 2 or x.shape[1] != net.n_features or len(x) != len(y) or len(x) == 0:
            raise ShapeError(f"data.{x_name} must be (n, {net.n_features}) with one label per row in "
                             f"data.{y_name}; got {x.shape} and {y.shape}. Load it with "
                             "load_mnist(dtype=np.uint8).")


def training_dashboard(*, n_train: int | None = None, n_test: int | None = None, data_dir=None,
                       **settings) -> TrainingPanel:
    """Load MNIST (as uint8) and open a :class:`TrainingPanel` on the classic network.

    ``n_train`` / ``n_test`` load class-balanced subsets; ``settings`` are the
    panel's keyword settings (the Trainer's ``epochs``, ``lr``, ``batch_size``,
    ``momentum``, ``lr_decay``, ``seed``; ``redraw_hz``, ``render_process``, ``speed``,
    ``scale``: 1.5 enlarges the panel for a projector).
    """
    from ...data import load_mnist

    data = load_mnist(data_dir=data_dir, n_train=n_train, n_test=n_test, dtype=np.uint8)
    return TrainingPanel(MLP(seed=settings.get("seed", 0)), data, **settings)
