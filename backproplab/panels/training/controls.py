"""The training dashboard's buttons and settings: widgets and how to read them."""

from __future__ import annotations

import ipywidgets as widgets

from ...core import ACTIVATIONS
from ...errors import ConfigError
from .._common import with_class

__all__ = ["TrainingControls", "parse_hidden"]


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden layer widths from text such as "100,10" or "100 10" (empty: no hidden layer)."""
    parts = [p for p in str(text).replace(",", " ").split() if p]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        sizes = None
    if sizes is None or any(n < 1 for n in sizes):
        raise ConfigError(f"hidden sizes must be positive whole numbers separated by commas, "
                          f"e.g. 100,10; got {text!r}.")
    return sizes


#: The speed control's stops, slowest first: steps per second (0 = full speed).
SPEEDS = ((("1 step/s", 1), ("3 steps/s", 3), ("10 steps/s", 10), ("30 steps/s", 30),
           ("100 steps/s", 100), ("300 steps/s", 300), ("full speed", 0)))


class TrainingControls:
    """Start / Pause / Stop / Step / Reset, the speed, and the run's settings.

    Settings that shape the run (epochs, learning rate and its decay, batch size,
    momentum, seed, training-set size) are read when a run begins; the
    architecture (hidden sizes, activation) when Reset builds a new network. The
    speed (``bpl-train-speed``) is linked to the dashboard's ``speed`` and can
    change while training. The buttons' enabled states follow the dashboard's ``state``.
    """

    def __init__(self, dash, *, settings: dict, n_train: int, n_train_max: int,
                 hidden: tuple[int, ...], activation: str) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        small = L(width="180px")
        style = {"description_width": "90px"}

        def button(text, icon, key, tip):
            return B(W.Button(description=text, icon=icon, tooltip=tip, layout=L(width="auto")),
                     f"bpl-train-{key}")

        self.start = button("Start", "play", "start", "train in the background")
        self.start.button_style = "success"
        self.pause = button("Pause", "pause", "pause", "pause after the current batch")
        self.stop = button("Stop", "stop", "stop", "end the run; the network keeps its weights")
        self.step = button("Step", "step-forward", "step", "train on one batch")
        self.reset = button("Reset", "refresh", "reset",
                            "a new network with the hidden sizes and activation below")
        self.buttons = (self.start, self.pause, self.stop, self.step, self.reset)
        self.speed = B(W.SelectionSlider(options=SPEEDS, value=0, description="speed",
                                         continuous_update=False, layout=L(width="300px"),
                                         tooltip="slow the training down to watch it; "
                                                 "changeable while training"), "bpl-train-speed")
        widgets.link((dash, "speed"), (self.speed, "value"),
                     transform=(lambda s: 0 if s is None else _nearest_speed(s),
                                lambda v: None if v == 0 else float(v)))
        self.epochs = B(W.BoundedIntText(value=settings["epochs"], min=1, max=1000,
                                         description="epochs", layout=small, style=style),
                        "bpl-train-epochs")
        self.lr = B(W.FloatText(value=settings["lr"], description="learning rate", layout=small,
                                style=style), "bpl-train-lr")
        self.lr_decay = B(W.BoundedFloatText(value=settings["lr_decay"], min=0.0, max=1.0, step=0.05,
                                             description="lr decay", layout=small, style=style),
                          "bpl-train-lr-decay")
        self.batch_size = B(W.BoundedIntText(value=settings["batch_size"], min=1, max=n_train_max,
                                             description="batch size", layout=small, style=style),
                            "bpl-train-batch-size")
        self.momentum = B(W.BoundedFloatText(value=settings["momentum"], min=0.0, max=0.999, step=0.05,
                                             description="momentum", layout=small, style=style),
                          "bpl-train-momentum")
        self.seed = B(W.IntText(value=settings["seed"] or 0, description="seed", layout=small,
                                style=style), "bpl-train-seed")
        self.n_train = B(W.BoundedIntText(value=n_train, min=1, max=n_train_max,
                                          description="train images", layout=small, style=style),
                         "bpl-train-n-train")
        self.hidden = B(W.Text(value=",".join(str(n) for n in hidden), description="hidden sizes",
                               placeholder="e.g. 100,10", layout=small, style=style,
                               tooltip="applied on Reset"), "bpl-train-hidden")
        self.activation = B(W.Dropdown(options=sorted(ACTIVATIONS), value=activation,
                                       description="activation", layout=small, style=style),
                            "bpl-train-activation")
        self.run_settings = (self.epochs, self.lr, self.lr_decay, self.batch_size, self.momentum,
                             self.seed, self.n_train)
        self.show_state(dash.state)
        dash.observe(self.show_state, names="state")

    def trainer_settings(self) -> dict:
        """The Trainer keyword arguments the widgets hold now."""
        return {"epochs": int(self.epochs.value), "lr": float(self.lr.value),
                "lr_decay": float(self.lr_decay.value), "batch_size": int(self.batch_size.value),
                "momentum": float(self.momentum.value), "seed": int(self.seed.value)}

    def architecture(self) -> tuple[tuple[int, ...], str]:
        return parse_hidden(self.hidden.value), self.activation.value

    def button_row(self) -> widgets.HBox:
        return widgets.HBox([*self.buttons, self.speed],
                            layout=widgets.Layout(align_items="center", flex_flow="row wrap"))

    def settings_box(self) -> widgets.VBox:
        W, L = widgets, widgets.Layout
        note = W.HTML('<span style="font-size:12px;color:#616161">applied on Reset (a new '
                      "network)</span>")
        return W.VBox([
            W.HBox([self.epochs, self.lr, self.lr_decay, self.batch_size],
                   layout=L(flex_flow="row wrap")),
            W.HBox([self.momentum, self.seed, self.n_train], layout=L(flex_flow="row wrap")),
            W.HBox([self.hidden, self.activation, note], layout=L(flex_flow="row wrap",
                                                                   align_items="center")),
        ])

    def show_state(self, change) -> None:
        """Enable what makes sense in the new state (see session.STATES); an observer of ``state``."""
        state = change["new"] if isinstance(change, dict) else change
        over = state in ("finished", "stopped", "failed")
        self.start.description = "Resume" if state == "paused" else "Start"
        self.start.disabled = state == "running" or over
        self.pause.disabled = state != "running"
        self.stop.disabled = state not in ("running", "paused")
        self.step.disabled = over
        for w in self.run_settings:  # a run's settings are fixed once it has begun
            w.disabled = state != "ready"


def _nearest_speed(steps_per_second: float) -> int:
    """The slider stop closest to a speed set from code (the session runs at the exact one)."""
    return min((v for _, v in SPEEDS if v), key=lambda v: abs(v - steps_per_second))
