"""Where the learner is: the title, the navigation row, the options, the diagram and the step's name.

:class:`NavView` observes :class:`~.state.StepState`; its slider, batch toggle
and quiz checkbox are linked to the state's traits (``widgets.link``), and its
buttons call the state's moves. CSS classes: ``bpl-step-title``,
``bpl-step-reset`` / ``-prev`` / ``-next`` / ``-end``, ``bpl-step-slider``,
``bpl-step-counter``, ``bpl-step-phase``, ``bpl-batch``, ``bpl-quiz-toggle``,
``bpl-diagram``, ``bpl-step-name``, ``bpl-step-formula``.
"""

from __future__ import annotations

import ipywidgets as widgets

from .._common import with_class
from ..base import ErrorArea
from ..diagram import diagram_html
from ..kinds import kind_name
from .html import esc
from .state import StepState

__all__ = ["NavView"]

# the word says the phase; the colours only echo it (contrast on white ≥ 4.5:1: 5.1 and 5.9)
_PHASE_COLORS = {"forward": "#2e7d32", "backward": "#b33c00"}


class NavView:
    """The panel's head: title, navigation, options, diagram, name and formula of the step."""

    def __init__(self, state: StepState, errors: ErrorArea) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.state, n = state, state.n_steps
        self.title = B(W.HTML(), "bpl-step-title")
        moves = [("Reset", "fast-backward", "reset", "back to step 1 (x)", state.first),
                 ("Previous", "chevron-left", "prev", "previous step", state.previous),
                 ("Next", "chevron-right", "next", "next step", state.next),
                 ("End", "fast-forward", "end", f"the last step ({n})", state.last)]
        self.buttons = {}
        for text, icon, key, tip, move in moves:
            button = B(W.Button(description=text, icon=icon, tooltip=tip, layout=L(width="auto")),
                       f"bpl-step-{key}")
            button.on_click(errors.guard(lambda _, move=move: move(), f"{key} button"))
            self.buttons[key] = button
        self.slider = B(W.IntSlider(value=1, min=1, max=n, description="step", readout=True,
                                    layout=L(width="300px")), "bpl-step-slider")
        widgets.link((state, "step"), (self.slider, "value"),
                     transform=(lambda step: step + 1, lambda value: value - 1))
        self.counter = B(W.HTML(), "bpl-step-counter")
        self.phase = B(W.HTML(), "bpl-step-phase")
        one_row = state.batch_size == 1
        self.batch = B(W.ToggleButtons(
            options=[("one sample", False), (f"batch of {state.batch_size}", True)],
            value=state.batch, disabled=one_row,
            tooltip="x has one row: pass several samples to compare" if one_row else
            "re-show every step for one sample or for the whole batch",
            style={"button_width": "auto"}), "bpl-batch")
        widgets.link((state, "batch"), (self.batch, "value"))
        self.quiz = B(W.Checkbox(value=state.quiz, description="predict the shape (quiz)", indent=False,
                                 layout=L(width="auto")), "bpl-quiz-toggle")
        widgets.link((state, "quiz"), (self.quiz, "value"))
        self.diagram = B(W.HTML(), "bpl-diagram")
        self.name = B(W.HTML(), "bpl-step-name")
        self.formula = B(W.HTMLMath(), "bpl-step-formula")
        state.observe(errors.guard(self._resize, "convention"), names=["length"])
        state.observe(errors.guard(self.render, "moving"), names=["step", "batch", "convention"])
        self.render()

    def nav_row(self) -> widgets.HBox:
        b = self.buttons
        return widgets.HBox([b["reset"], b["prev"], b["next"], b["end"], self.slider, self.counter,
                             self.phase], layout=widgets.Layout(align_items="center",
                                                                flex_flow="row wrap"))

    def options_row(self) -> widgets.HBox:
        return widgets.HBox([self.batch, self.quiz], layout=widgets.Layout(align_items="center"))

    def _resize(self, change=None) -> None:  # row-separate and column have the dL/db_k steps too
        self.slider.max = self.state.length
        self.buttons["end"].tooltip = f"the last step ({self.state.length})"

    def render(self, change=None) -> None:
        s = self.state
        trace, step, i, n = s.trace, s.current, s.step, s.n_steps
        net = s.net
        self.title.value = f"<b>Step through backprop</b> · {esc(trace.description)}"
        for key, off in (("reset", i == 0), ("prev", i == 0), ("next", i == n - 1), ("end", i == n - 1)):
            self.buttons[key].disabled = off
        self.counter.value = f"step <b>{i + 1}</b> of {n}"
        color = _PHASE_COLORS.get(step.phase, "#424242")
        self.phase.value = f'<span style="color:{color};font-weight:bold">{esc(step.phase)}</span>'
        self.diagram.value = diagram_html(net.sizes, [W.shape for W in trace.weights], step,
                                          batch_size=trace.batch_size)
        self.name.value = (f'<span style="font-size:20px;font-weight:bold">{esc(step.name)}'
                           f'</span> <span style="color:#757575">({esc(kind_name(step))}, '
                           f"layer {step.layer})</span>")
        self.formula.value = f"$${step.latex}$$"
