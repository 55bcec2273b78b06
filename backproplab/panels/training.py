"""The live training dashboard: train an MLP on MNIST and watch it learn.

``TrainingPanel(net, data)`` drives the core's Trainer (through a
:class:`~backproplab.panels.training_session.TrainingSession`) and draws with
backproplab.viz. Training runs in a background thread; a second thread redraws
at a few frames per second, and the figures themselves are drawn in a helper
process (:mod:`.training_render`) so that drawing does not take the GIL from
training. Pause and Stop end the training thread after its current batch;
Step, ``step_batch()`` and ``run_steps(n)`` train in the caller's thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import traitlets

from .._files import atomic_write
from ..core import MLP, Progress, Trainer
from ..errors import ConfigError, ShapeError
from ..viz import save_png
from . import training_views as views
from ._common import Controls, error_html, routes_errors, show, walk, with_class
from .drilldown import DrillDown
from .training_controls import TrainingControls
from .training_live import LiveView
from .training_session import STATES, Checkpoint, TrainingSession

__all__ = ["TrainingPanel", "training_dashboard"]

_DRILL_TAB = 1  # the drill-down's tab


class TrainingPanel(Controls, widgets.VBox):
    """Train ``net`` on ``data`` (what ``load_mnist(...)`` returns) and watch it learn.

    Keyword-only settings: the Trainer's ``epochs``, ``lr``, ``batch_size``,
    ``momentum``, ``lr_decay`` and ``seed`` (editable in the panel until a run
    begins), ``n_train`` (training images used; all by default), ``redraw_hz``
    (redraws per second while training), ``render_process`` (draw figures in a
    helper process while training; False draws them in the kernel, slowing
    training) and ``probe`` (test images for the saturation diagnostics).

    State (traitlets): ``state`` (ready, paused, running, finished, stopped,
    failed), ``replay`` (the snapshot on show, None = live) and ``folder`` (where
    Save writes). Methods: ``start()``, ``pause()``, ``stop()``, ``step_batch()``,
    ``run_steps(n)``, ``reset()``, ``wait(timeout)``, ``refresh()``, ``save()``;
    ``control(css_class)`` is a control (``panel.control("bpl-train-step").click()``)
    and ``shown(css_class)`` the text an element shows (``panel.shown("bpl-train-status")``).
    """

    state = traitlets.Enum(STATES, default_value="ready")
    replay = traitlets.Int(allow_none=True, default_value=None)
    folder = traitlets.Unicode("backproplab-run")

    def __init__(self, net: MLP, data, *, epochs: int = 10, lr: float = 0.1, batch_size: int = 32,
                 momentum: float = 0.9, lr_decay: float = 0.8, seed: int = 0, n_train: int | None = None,
                 redraw_hz: float = 4.0, render_process: bool = True, probe: int = 256) -> None:
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
        self._net, self._data, self._probe = net, data, probe
        self._callback_depth = 0
        self._session = TrainingSession(net, data, probe=probe)
        self._controls = TrainingControls(settings=settings, n_train=int(n_train), n_train_max=n_all,
                                          hidden=net.sizes[1:-1], activation=net.activation)
        self._live = LiveView(redraw_hz=redraw_hz, render_process=render_process,
                              expected=self._expected, on_state=self._view_saw_state,
                              on_confusion=self._confusion_shown, on_replay_choice=self._choose_replay,
                              on_end=self._settle, on_error=self._show_error)
        self._live.attach(self._session)
        self._build()
        super().__init__(children=self._layout())
        self.add_class("bpl-training")
        self.observe(self._on_state, names="state")
        self.observe(self._on_replay, names="replay")
        self._controls.show_state(self.state)
        self._live.refresh()

    # ------------------------------------------------------------ facts
    @property
    def net(self) -> MLP:
        """The network being trained (a new one after each reset)."""
        return self._net

    @property
    def session(self) -> TrainingSession:
        return self._session

    @property
    def history(self):
        """The run's :class:`~backproplab.core.history.History` (read it when not running)."""
        return self._session.history

    @property
    def snapshots(self) -> list[Checkpoint]:
        """The untrained network and one checkpoint per finished epoch."""
        return list(self._session.snapshots)

    @property
    def latest(self) -> Progress | None:
        """The last progress record the panel took."""
        return self._session.latest

    @property
    def drilldown(self) -> DrillDown:
        return self._drill

    @property
    def samples_per_second(self) -> float:
        """Training throughput of this run (the trainer's own clock: evaluation excluded)."""
        latest = self._session.latest
        return latest.samples_per_second if latest else 0.0

    @property
    def run_seconds(self) -> float:
        """Wall-clock seconds the training thread ran (pauses excluded, evaluations included)."""
        return self._session.run_seconds

    @property
    def redraw_stats(self) -> dict:
        """Redraws while training, since the panel opened: ticks and figure frames.

        ``ticks`` update the text (at ``redraw_hz``); ``tick_ms`` is the kernel's
        cost per tick (copying data, updating widgets, handing figures over).
        ``frames`` are figure redraws, ``render_ms`` the time to draw one (in the
        helper process when it runs). Redraws after a step, a pause or a replay
        are not counted.
        """
        s, renderer = dict(self._live.stats), self._live.renderer
        return {"ticks": s["ticks"], "tick_ms": 1e3 * s["tick_seconds"] / max(s["ticks"], 1),
                "frames": s["frames"], "render_ms": 1e3 * s["render_seconds"] / max(s["frames"], 1),
                "render_process": renderer is not None and renderer.alive}

    def wait_for_renderer(self, timeout: float = 30.0) -> bool:
        """Wait until the helper process that draws figures during training has started.

        It starts with the panel and takes about a second (importing matplotlib);
        until then, training shows only the text. False if there is none.
        """
        renderer = self._live.renderer
        return renderer is not None and renderer.ready(timeout)

    def __repr__(self) -> str:
        s, c = self._session, self._controls
        n_train = s.n_train if s.trainer else c.n_train.value
        epochs = s.trainer.epochs if s.trainer else c.epochs.value
        return (f"TrainingPanel({self._net!r}, {n_train} train / {len(self._data.y_test)} test images, "
                f"epoch {s.epochs_done} of {epochs})")

    # ------------------------------------------------------ the run
    def start(self) -> None:
        """Train in the background (or resume a paused run); returns at once."""
        s = self._session
        if s.running:
            return
        if s.state == "ready":
            self._begin()
        s.start()
        self._sync_state()
        self._live.show_text(s.frame())  # "running" at once, not at the first tick
        self._live.start()

    def pause(self, timeout: float = 10.0) -> bool:
        """Pause after the current batch; the views then show the paused network."""
        ok = self._halt(self._session.pause, timeout)
        self._settle()
        return ok

    def stop(self, timeout: float = 10.0) -> bool:
        """End the run after the current batch; the weights and the history stay."""
        ok = self._halt(self._session.stop, timeout)
        self._settle()
        return ok

    def step_batch(self) -> Progress | None:
        """Train on one batch in this thread (pausing a background run first)."""
        records = self.run_steps(1)
        return records[-1] if records else None

    def run_steps(self, n: int) -> list[Progress]:
        """Train on up to ``n`` batches in this thread, then redraw once."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be a whole number ≥ 1; got {n!r}.")
        s = self._session
        if s.running:
            self.pause()
        if s.state == "ready":
            self._begin()
        try:
            return s.step(int(n))
        finally:
            self._settle()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until training and the redraw thread have ended; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._session.wait(timeout):
            return False
        return self._live.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def wait_for_steps(self, n: int, timeout: float | None = None) -> bool:
        """Wait until the run has taken ``n`` steps (or stopped running); True if it has."""
        return self._session.wait_for_steps(n, timeout)

    def reset(self) -> None:
        """End any run and build a new network from the hidden sizes, activation and seed."""
        hidden, activation = self._controls.architecture()
        seed = int(self._controls.seed.value)
        net = MLP((self._net.n_features, *hidden, self._net.n_classes), activation=activation,
                  seed=seed, dtype=self._net.dtype)  # before stopping: a bad setting changes nothing
        self._halt(self._session.close, 10.0)
        with self._live.lock:
            self._net = net
            self._session = TrainingSession(net, self._data, probe=self._probe)
            self._live.attach(self._session)
            self.replay = None
            self._drill.clear()
            self._save_result.value = ""
            self._title.value = self._title_html()
        self._settle()

    def refresh(self) -> None:
        """Redraw everything now, in this thread."""
        self._live.refresh()

    def save(self, folder: str | Path | None = None) -> list[Path]:
        """Write model.npz, the figures on show (PNG) and metrics.json into ``folder``."""
        folder = Path(self.folder if folder is None else folder).expanduser().resolve()
        s = self._session
        net = s.network_with(s.weights())  # a consistent copy, even while training
        paths = [net.save(folder / "model.npz")]
        for name in ("filters", "confusion", "curves"):
            png = self._live.images[name].value
            if png:
                paths.append(save_png(png, folder / f"{name}.png"))
        metrics = {**s.history_dict(), "model": repr(net), "settings": s.settings,
                   "n_train": s.n_train, "n_test": len(self._data.y_test)}
        with atomic_write(folder / "metrics.json") as f:
            f.write(json.dumps(metrics, indent=2).encode())
        paths.append(folder / "metrics.json")
        self._save_result.value = views.saved_html(paths)
        return paths

    def close(self) -> None:
        """Stop training, end the helper process and close every widget of the panel."""
        if getattr(self, "_live", None) is not None:
            self._halt(self._session.close, 5.0)
            self._live.close()
        inner = list(walk(self))[1:]
        super().close()
        for widget in inner:
            widget.close()

    # ---------------------------------------------------------- helpers
    def _begin(self) -> None:
        c = self._controls
        self._session.begin(n_train=int(c.n_train.value), **c.trainer_settings())
        self._sync_state()

    def _expected(self) -> tuple[int, int, int]:
        """(epochs, steps per epoch, training images) that the settings would give."""
        c = self._controls
        n_train = int(c.n_train.value)
        return int(c.epochs.value), -(-n_train // max(int(c.batch_size.value), 1)), n_train

    def _halt(self, how, timeout: float) -> bool:
        """Run ``how(timeout)`` (pause, stop or close the session), then join the redraw thread."""
        ok = how(timeout) is not False
        return self._live.join(timeout) and ok

    def _settle(self) -> None:
        """After a run paused, stopped, ended or stepped: evaluate, redraw, show any error.

        The redraw happens in this thread, at once: figures first, then the status
        (see :meth:`LiveView.draw`).
        """
        s = self._session
        if not s.running and s.latest is not None and s.state != "failed":
            s.evaluate_now()  # (after a divergence, the last evaluation stays on show)
        s.request_weights()
        self._live.draw(s.frame())
        if s.error is not None:
            with self._live.lock:
                self._show_error(s.error, "training")

    def _sync_state(self) -> None:
        with self._live.lock:
            self.state = self._session.state

    def _view_saw_state(self, state: str) -> None:
        if state != self.state:
            self.state = state

    def _confusion_shown(self, checkpoint: Checkpoint) -> None:
        self._drill.set_checkpoint(checkpoint, draw=self._tabs.selected_index == _DRILL_TAB)

    def _replayed(self) -> Checkpoint | None:
        snaps = self._session.snapshots
        return None if self.replay is None else snaps[self.replay]

    # --------------------------------------------------------- building
    def _build(self) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self._error = B(W.HTML(), "bpl-error", "bpl-train-error")
        show(self._error, False)
        self._title = B(W.HTML(self._title_html()), "bpl-train-title")
        self._why = B(W.HTML(views.why_slow_html(self._net.activation)), "bpl-why-slow")
        self._folder_text = B(W.Text(value=self.folder, description="folder",
                                     layout=L(width="420px")), "bpl-save-folder")
        widgets.link((self._folder_text, "value"), (self, "folder"))
        self._save_button = B(W.Button(description="Save model and figures", icon="save",
                                       layout=L(width="auto")), "bpl-save")
        self._save_result = B(W.HTML(), "bpl-save-result")
        self._drill = DrillDown(self._data.x_test, self._data.y_test,
                                predictions=lambda c: self._session.predictions(c),
                                network_at=lambda c: self._session.network_at(c),
                                show_error=self._show_error, clear_error=self._clear_error,
                                lock=self._live.lock, n_classes=self._net.n_classes)
        c = self._controls
        for button, handler in ((c.start, self._on_start), (c.pause, self._on_pause),
                                (c.stop, self._on_stop), (c.step, self._on_step),
                                (c.reset, self._on_reset), (self._save_button, self._on_save)):
            button.on_click(handler)

    def _layout(self) -> list[widgets.Widget]:
        W, L = widgets, widgets.Layout
        saturation = W.VBox([self._why, self._live.saturation])
        save = W.VBox([W.HBox([self._folder_text, self._save_button]), self._save_result])
        tabs = with_class(W.Tab(children=[self._live.live_tab(), self._drill, saturation, save]),
                          "bpl-train-tabs")
        tabs.titles = ("Live", "Drill-down", "Saturation", "Save")
        tabs.observe(self._on_tab, names="selected_index")
        self._tabs = tabs
        top = W.HBox([self._controls.button_row(), self._live.progress],
                     layout=L(align_items="center", flex_flow="row wrap"))
        return [self._error, self._title, top, self._live.status, self._controls.settings_box(), tabs]

    def _title_html(self) -> str:
        d = self._data
        return (f"<b>Training dashboard</b> · {views.esc(repr(self._net))} · "
                f"{len(d.y_train):,} training / {len(d.y_test):,} test images")

    # ---------------------------------------------------------- callbacks
    @routes_errors
    def _on_start(self, _=None):
        self.start()

    @routes_errors
    def _on_pause(self, _=None):
        self.pause()

    @routes_errors
    def _on_stop(self, _=None):
        self.stop()

    @routes_errors
    def _on_step(self, _=None):
        self.step_batch()

    @routes_errors
    def _on_reset(self, _=None):
        self.reset()

    @routes_errors
    def _on_save(self, _=None):
        self.save()

    @routes_errors
    def _choose_replay(self, index):
        self.replay = index

    @routes_errors
    def _on_replay(self, change=None):
        self._live.replay(self._replayed(), self.replay)

    @routes_errors
    def _on_tab(self, change):
        if change["new"] == _DRILL_TAB:
            self._drill.draw_grid()

    def _on_state(self, change) -> None:
        self._controls.show_state(change["new"])
        self._why.value = views.why_slow_html(self._net.activation)

    @traitlets.validate("replay")
    def _valid_replay(self, proposal):
        value, n = proposal["value"], len(self._session.snapshots)
        if value is not None and not 0 <= value < n:
            raise traitlets.TraitError(f"replay must be a snapshot 0..{n - 1} (or None for live); "
                                       f"got {value}.")
        return value

    def _show_error(self, exc: BaseException, where: str) -> None:
        self._error.value = error_html(exc, where)
        show(self._error, True)

    def _clear_error(self) -> None:
        self._error.value = ""
        show(self._error, False)


def _check_data(net: MLP, data) -> None:
    names = ("x_train", "y_train", "x_test", "y_test")
    if not all(hasattr(data, n) for n in names):
        raise TypeError(f"data must have {', '.join(names)} (what load_mnist(...) returns); got "
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
    ``momentum``, ``lr_decay``, ``seed``; ``redraw_hz``, ``render_process``).
    """
    from ..data import load_mnist

    data = load_mnist(data_dir=data_dir, n_train=n_train, n_test=n_test, dtype=np.uint8)
    return TrainingPanel(MLP(seed=settings.get("seed", 0)), data, **settings)
