"""Step through one recorded forward and backward pass, one quantity at a time.

The panel records the pass once per batch setting (``net.trace``) and then only
indexes the trace: every name, formula, value, shape, ledger line, note and
Jacobian it shows comes from the trace; the gradient check comes from
``check_parameter``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import traitlets

from ..core import MLP, check_parameter, format_shape
from ..errors import ConfigError, JacobianTooLargeError
from . import views
from ._common import Controls, error_html, routes_errors, show, with_class
from .diagram import diagram_html
from .quiz import grade, hint_for

__all__ = ["StepThroughPanel", "step_through"]

_IMAGE_FEATURES = 784  # n_features of 28×28 images


def _image_layout() -> widgets.Layout:
    # natural size (heatmaps are drawn with whole-pixel blocks), narrowed only to fit
    return widgets.Layout(max_width="100%", width="auto", align_self="flex-start")


def _scroller(image: widgets.Image) -> widgets.Box:
    # a tall heatmap (dL/dW1 is 785 rows) scrolls instead of stretching the panel
    return widgets.Box([image], layout=widgets.Layout(max_height="340px", overflow="auto"))


class StepThroughPanel(Controls, widgets.VBox):
    """Walk through backprop's steps: x, z1, H1, ..., L, dL/dz3, dL/dW3, ..., dL/dW1.

    Parameters
    ----------
    net : MLP
        Any network the core supports.
    x : array (B, n_features), float or uint8 pixels
        One or more samples; the batch toggle switches between ``x[:1]`` and all of x.
    y : array (B,) of int labels
    step : int
        The step to open at, 0-based (0 is x).
    batch : bool
        Open with the whole batch instead of the first sample.
    quiz : bool
        "Predict the shape": hide each step's shape (and the value, ledger and
        tools that give it away) until the learner answers or clicks Reveal.

    State (traitlets, assign to change): ``step`` (0-based), ``batch``,
    ``quiz``, ``score`` and ``attempts`` of the quiz, ``revealed`` (the
    (batch, step) pairs whose shape was answered or revealed),
    ``show_jacobian`` and ``export_format`` ("LaTeX" or "Markdown").

    The panel keeps copies of ``net``, x and y: training the network later does
    not change what it shows (open a new panel to see the trained network).

    From code: ``go_to(step)``; ``answer(text)`` types a quiz answer and checks it;
    ``control(css_class)`` is a control (``panel.control("bpl-step-next").click()``)
    and ``shown(css_class)`` the text an element shows (``panel.shown("bpl-ledger")``).

    Keyboard: every button is focusable (Tab, then Enter or Space clicks it);
    the step slider takes the arrow keys once focused.
    """

    step = traitlets.Int(0)
    batch = traitlets.Bool(False)
    quiz = traitlets.Bool(True)
    score = traitlets.Int(0)
    attempts = traitlets.Int(0)
    revealed = traitlets.Set()
    show_jacobian = traitlets.Bool(False)
    export_format = traitlets.Enum(("LaTeX", "Markdown"), default_value="LaTeX")

    def __init__(self, net: MLP, x, y, *, step: int = 0, batch: bool = False, quiz: bool = True) -> None:
        full = net.trace(x, y)  # validates x and y, with the core's messages
        # Snapshots: training net afterwards must not put the gradient check out of step.
        net, x, y = net.copy(), np.array(x), np.array(y).reshape(-1)
        one = full if full.batch_size == 1 else net.trace(x[:1], y[:1])
        self._net, self._x, self._y = net, x, y
        self._traces = {False: one, True: full}
        self._pngs: dict[tuple, tuple] = {}
        self._callback_depth = 0
        self._build()
        super().__init__(children=self._layout())
        self.add_class("bpl-step-through")
        self.batch = bool(batch)
        self.quiz = bool(quiz)
        self.step = step
        self.observe(self._on_position, names=["step", "batch"])
        self.observe(self._on_gate, names=["quiz", "revealed"])
        self.observe(self._on_score, names=["score", "attempts"])
        self.observe(self._on_jacobian, names=["show_jacobian"])
        self.observe(self._on_export, names=["export_format"])
        self._render()

    # ------------------------------------------------------------ public
    @property
    def net(self) -> MLP:
        return self._net

    @property
    def trace(self):
        """The trace on show: of ``x[:1]``, or of all of x when ``batch`` is on."""
        return self._traces[self.batch]

    @property
    def current(self):
        """The :class:`~backproplab.core.Step` on show."""
        return self.trace[self.step]

    def go_to(self, where: int | str) -> None:
        """Show a step by 0-based index or by name ("dL/dW2")."""
        self.step = where if isinstance(where, int) else self.trace[where].index - 1

    def answer(self, text: str) -> str:
        """Type ``text`` as the shape of the step on show and click Check; return the feedback shown.

        As a learner's answer: a right one scores and opens the step, a wrong one
        costs a point and gets a hint, one that is not a shape costs nothing.
        """
        if not self.quiz:
            raise ConfigError("the quiz is off, so there is nothing to answer; switch it on "
                              "first: panel.quiz = True.")
        if self._key() in self.revealed:
            raise ConfigError(f"{self.current.name} is already answered or revealed here; go to "
                              "another step (panel.go_to(...)) or switch the batch toggle.")
        self._quiz_input.value = str(text)
        self._quiz_submit.click()
        return self.shown("bpl-quiz-feedback")

    def __repr__(self) -> str:
        extra = f", batch of {self.trace.batch_size}" if self.batch else ""
        return (f"StepThroughPanel({self._net!r}, step {self.step + 1} of {len(self.trace)}: "
                f"{self.current.name}{extra})")

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        n = len(self._traces[False])
        value = proposal["value"]
        if not 0 <= value < n:
            raise traitlets.TraitError(f"step must be 0..{n - 1} (0 is x, {n - 1} is "
                                       f"{self._traces[False][n - 1].name}); got {value}.")
        return value

    @traitlets.validate("batch")
    def _valid_batch(self, proposal):
        if proposal["value"] and self._traces[True].batch_size == 1:
            raise traitlets.TraitError("x has one row, so there is no batch to show; pass several "
                                       "samples, e.g. x[:8] and y[:8].")
        return proposal["value"]

    # --------------------------------------------------------- building
    def _build(self) -> None:
        n, B = len(self._traces[False]), self._traces[True].batch_size
        W, L, B_ = widgets, widgets.Layout, with_class
        self._error = B_(W.HTML(), "bpl-error")
        self._title = B_(W.HTML(), "bpl-step-title")
        nav = [("Reset", "fast-backward", "reset", "back to step 1 (x)"),
               ("Previous", "chevron-left", "prev", "previous step"),
               ("Next", "chevron-right", "next", "next step"),
               ("End", "fast-forward", "end", f"the last step ({n})")]
        self._buttons = {}
        for text, icon, key, tip in nav:
            button = B_(W.Button(description=text, icon=icon, tooltip=tip, layout=L(width="auto")),
                        f"bpl-step-{key}")
            button.on_click(getattr(self, f"_on_{key}"))
            self._buttons[key] = button
        self._slider = B_(W.IntSlider(value=1, min=1, max=n, description="step", readout=True,
                                      layout=L(width="300px")), "bpl-step-slider")
        self._slider.observe(self._on_slider, names="value")
        self._phase = B_(W.HTML(), "bpl-step-phase")
        self._counter = B_(W.HTML(), "bpl-step-counter")
        one_row = B == 1
        self._batch_toggle = B_(W.ToggleButtons(
            options=[("one sample", False), (f"batch of {B}", True)], value=False, disabled=one_row,
            tooltip="x has one row: pass several samples to compare" if one_row else
            "re-show every step for one sample or for the whole batch",
            style={"button_width": "auto"}), "bpl-batch")
        self._batch_toggle.observe(self._on_batch_toggle, names="value")
        self._quiz_toggle = B_(W.Checkbox(value=True, description="predict the shape (quiz)",
                                          indent=False, layout=L(width="auto")), "bpl-quiz-toggle")
        self._quiz_toggle.observe(self._on_quiz_toggle, names="value")
        self._diagram = B_(W.HTML(), "bpl-diagram")
        self._name = B_(W.HTML(), "bpl-step-name")
        self._formula = B_(W.HTMLMath(), "bpl-step-formula")
        self._shape = B_(W.HTML(), "bpl-step-shape")
        # quiz
        self._quiz_input = B_(W.Text(placeholder="e.g. 101x10, (101, 10) or scalar",
                                     description="shape?", layout=L(width="260px")), "bpl-quiz-input")
        self._quiz_submit = B_(W.Button(description="Check", button_style="primary",
                                        tooltip="grade my answer", layout=L(width="auto")),
                               "bpl-quiz-submit")
        self._quiz_reveal = B_(W.Button(description="Reveal", tooltip="show the shape without "
                                        "answering (no point lost)", layout=L(width="auto")),
                               "bpl-quiz-reveal")
        self._quiz_submit.on_click(self._on_submit)
        self._quiz_reveal.on_click(self._on_reveal)
        self._quiz_feedback = B_(W.HTML(), "bpl-quiz-feedback")
        self._score_label = B_(W.HTML(), "bpl-quiz-score")
        self._gate = B_(W.HTML(), "bpl-quiz-gate")
        # details
        self._value_image = B_(W.Image(format="png", layout=_image_layout()), "bpl-step-value-image")
        self._value = B_(W.HTML(), "bpl-step-value")
        self._callout = B_(W.HTML(), "bpl-step-note")
        self._ledger = B_(W.HTML(), "bpl-ledger")
        self._jacobian_button = B_(W.Button(description="Show the full Jacobian",
                                            layout=L(width="auto")), "bpl-full-jacobian")
        self._jacobian_button.on_click(self._on_jacobian_button)
        self._jacobian_info = B_(W.HTML(), "bpl-jacobian-info")
        self._jacobian_image = B_(W.Image(format="png", layout=_image_layout()), "bpl-jacobian-image")
        self._gradcheck_button = B_(W.Button(description="Check this gradient numerically",
                                             layout=L(width="auto")), "bpl-gradcheck")
        self._gradcheck_button.on_click(self._on_gradcheck)
        self._gradcheck_result = B_(W.HTML(), "bpl-gradcheck-result")
        self._export_toggle = B_(W.ToggleButtons(options=["LaTeX", "Markdown"], value="LaTeX",
                                                 style={"button_width": "auto"}), "bpl-export-format")
        self._export_toggle.observe(self._on_export_toggle, names="value")
        self._export = B_(W.Textarea(rows=6, layout=L(width="100%")), "bpl-export")
        self._export.observe(self._on_export_edit, names="value")

    def _layout(self) -> list[widgets.Widget]:
        W, L = widgets, widgets.Layout
        b = self._buttons
        nav = W.HBox([b["reset"], b["prev"], b["next"], b["end"], self._slider, self._counter,
                      self._phase], layout=L(align_items="center", flex_flow="row wrap"))
        options = W.HBox([self._batch_toggle, self._quiz_toggle], layout=L(align_items="center"))
        head = W.HBox([self._name, self._shape], layout=L(align_items="baseline"))
        self._quiz_box = W.VBox([W.HBox([self._quiz_input, self._quiz_submit, self._quiz_reveal,
                                         self._score_label], layout=L(align_items="center")),
                                 self._quiz_feedback])
        value = W.VBox([_scroller(self._value_image), self._value],
                       layout=L(width="50%", padding="0 8px 0 0"))
        tools = W.VBox([
            W.HBox([self._jacobian_button, self._gradcheck_button]),
            self._jacobian_info, _scroller(self._jacobian_image), self._gradcheck_result,
            W.HBox([W.HTML("<b>export</b>"), self._export_toggle], layout=L(align_items="center")),
            self._export])
        self._details = W.VBox([self._callout, W.HBox([value, W.VBox([self._ledger],
                                                                     layout=L(width="50%"))]), tools])
        return [self._error, self._title, nav, options, self._diagram, head, self._formula,
                self._quiz_box, self._gate, self._details]

    # ---------------------------------------------------------- callbacks
    @routes_errors
    def _on_reset(self, _=None):
        self.step = 0

    @routes_errors
    def _on_prev(self, _=None):
        self.step = max(0, self.step - 1)

    @routes_errors
    def _on_next(self, _=None):
        self.step = min(len(self.trace) - 1, self.step + 1)

    @routes_errors
    def _on_end(self, _=None):
        self.step = len(self.trace) - 1

    @routes_errors
    def _on_slider(self, change):
        self.step = change["new"] - 1

    @routes_errors
    def _on_batch_toggle(self, change):
        self.batch = change["new"]

    @routes_errors
    def _on_quiz_toggle(self, change):
        self.quiz = change["new"]

    @routes_errors
    def _on_export_toggle(self, change):
        self.export_format = change["new"]

    @routes_errors
    def _on_export_edit(self, change):  # read-only: undo edits, keep it selectable for copying
        text = self._export_text()
        if change["new"] != text:
            self._export.value = text

    @routes_errors
    def _on_position(self, change=None):
        self.show_jacobian = False
        self._quiz_input.value = ""
        self._quiz_feedback.value = ""
        self._gradcheck_result.value = ""
        self._render()

    @routes_errors
    def _on_gate(self, change=None):
        self._render_gate()

    @routes_errors
    def _on_score(self, change=None):
        self._render_score()

    @routes_errors
    def _on_jacobian(self, change=None):
        self._render_jacobian()

    @routes_errors
    def _on_export(self, change=None):
        self._render_export()

    @routes_errors
    def _on_jacobian_button(self, _=None):
        self.show_jacobian = not self.show_jacobian

    @routes_errors
    def _on_submit(self, _=None):
        if not self.quiz or self._is_revealed():
            return
        result = grade(self._quiz_input.value, self.current, self.trace)
        if result.counts:
            self.attempts = self.attempts + 1
        if result.status == "right":
            self.score = self.score + 1
            self.revealed = self.revealed | {self._key()}
        color = {"right": "#2e7d32", "wrong": "#c62828", "invalid": "#6d4c41"}[result.status]
        self._quiz_feedback.value = (f'<div style="color:{color};line-height:1.4">'
                                     f"{views.esc(result.message)}</div>")

    @routes_errors
    def _on_reveal(self, _=None):
        step = self.current
        self.revealed = self.revealed | {self._key()}
        self._quiz_feedback.value = (f'<div style="line-height:1.4">{views.esc(step.name)} is '
                                     f"{format_shape(step.shape)}: "
                                     f"{views.esc(hint_for(step, self.trace))}</div>")

    @routes_errors
    def _on_gradcheck(self, _=None):
        step = self.current
        if not step.target:
            raise ConfigError(f"the gradient check works on parameter gradients (dL/dW1, ...); "
                              f"{step.name} is not one.")
        n = self.trace.batch_size
        check = check_parameter(self._net, self._x[:n], self._y[:n], param=step.target,
                                entries=_entries_to_check(step.value))
        self._gradcheck_result.value = views.gradcheck_html(check, step.value)

    def _show_error(self, exc: BaseException, where: str) -> None:
        self._error.value = error_html(exc, where)
        show(self._error, True)

    def _clear_error(self) -> None:
        self._error.value = ""
        show(self._error, False)

    # ---------------------------------------------------------- rendering
    def _key(self) -> tuple[bool, int]:
        return (self.batch, self.step)

    def _is_revealed(self) -> bool:
        return not self.quiz or self._key() in self.revealed

    def _render(self) -> None:
        trace, step, i, n = self.trace, self.current, self.step, len(self.trace)
        self._title.value = (f"<b>Step through backprop</b> · {views.esc(trace.description)}")
        self._slider.value = i + 1
        self._batch_toggle.value = self.batch
        self._quiz_toggle.value = self.quiz
        self._export_toggle.value = self.export_format
        for key, off in (("reset", i == 0), ("prev", i == 0), ("next", i == n - 1), ("end", i == n - 1)):
            self._buttons[key].disabled = off
        self._counter.value = f"step <b>{i + 1}</b> of {n}"
        color = "#2e7d32" if step.phase == "forward" else "#e65100"
        self._phase.value = f'<span style="color:{color};font-weight:bold">{step.phase}</span>'
        self._diagram.value = diagram_html(self._net.sizes, self._net.weight_shapes, step,
                                           batch_size=trace.batch_size)
        self._name.value = (f'<span style="font-size:20px;font-weight:bold">{views.esc(step.name)}'
                            f'</span> <span style="color:#757575">({views.esc(step.kind)}, '
                            f"layer {step.layer})</span>")
        self._formula.value = f"$${step.latex}$$"
        png, caption = self._value_png(step)
        self._value_image.value = png or b""
        show(self._value_image, png is not None)
        self._value.value = caption
        self._ledger.value = views.ledger_html(step)
        self._callout.value = views.callout_html(step)
        show(self._callout, bool(self._callout.value))
        self._jacobian_button.disabled = step.jacobian is None
        self._jacobian_button.tooltip = (
            "this step has no local Jacobian of its own" if step.jacobian is None else
            f"∂{step.jacobian[0]}/∂{step.jacobian[1]}: its size next to the efficient form")
        self._gradcheck_button.disabled = not step.target
        self._gradcheck_button.tooltip = (f"compare dL/d{step.target} with central differences"
                                          if step.target else "available at dL/dW steps")
        self._render_export()
        self._render_jacobian()
        self._render_gate()
        self._render_score()

    def _value_png(self, step):
        key = (self.batch, self.step)
        if key not in self._pngs:
            side = 28 if self._net.n_features == _IMAGE_FEATURES else None
            self._pngs[key] = views.value_view(step, image_side=side)
        return self._pngs[key]

    def _render_gate(self) -> None:
        step, open_ = self.current, self._is_revealed()
        self._quiz_toggle.value = self.quiz
        self._shape.value = (f'<span style="font-size:16px">shape <b>{format_shape(step.shape)}</b></span>'
                             if open_ else '<span style="font-size:16px">shape <b>?</b></span>')
        show(self._quiz_box, self.quiz)
        answered = self._key() in self.revealed
        for w in (self._quiz_input, self._quiz_submit, self._quiz_reveal):
            w.disabled = answered
        self._gate.value = ("" if open_ else
                            f'<div style="color:#616161">Predict the shape of {views.esc(step.name)} '
                            "above (or click Reveal) to see its value, its ledger and its Jacobian."
                            "</div>")
        show(self._gate, not open_)
        show(self._details, open_)

    def _render_score(self) -> None:
        self._score_label.value = f"score <b>{self.score}</b> / {self.attempts}"

    def _render_jacobian(self) -> None:
        step, shown = self.current, self.show_jacobian and self.current.jacobian is not None
        self._jacobian_button.description = ("Hide the full Jacobian" if shown
                                             else "Show the full Jacobian")
        show(self._jacobian_info, shown)
        show(self._jacobian_image, False)
        if not shown:
            self._jacobian_info.value = ""
            return
        of, wrt = step.jacobian
        info = self.trace.jacobian_info(of, wrt)
        text = views.jacobian_summary_html(info)
        if info.entries > views.MAX_DRAWN_JACOBIAN:
            self._jacobian_info.value = text + views.refusal_html(info)
            return
        try:
            J = self.trace.jacobian(of, wrt, max_entries=views.MAX_DRAWN_JACOBIAN)
        except JacobianTooLargeError as exc:
            self._jacobian_info.value = text + f"<div>{views.esc(exc)}</div>"
            return
        png, how = views.jacobian_view(J, info)
        self._jacobian_info.value = text + how
        self._jacobian_image.value = png
        show(self._jacobian_image, True)

    def _export_text(self) -> str:
        step = self.current
        return step.to_latex() if self.export_format == "LaTeX" else step.to_markdown()

    def _render_export(self) -> None:
        self._export_toggle.value = self.export_format
        self._export.value = self._export_text()


def _entries_to_check(grad: np.ndarray, n: int = 5) -> list[tuple[int, int]]:
    """A few (row, column) entries, preferring ones where the gradient is not zero.

    (Most of dL/dW1 is exactly zero: the rows of blank pixels. Checking 0 against
    0 proves little.) Seeded, so the same step always checks the same entries.
    """
    rng = np.random.default_rng(0)
    nonzero = np.flatnonzero(grad)
    pool = nonzero if len(nonzero) >= n else np.arange(grad.size)
    picked = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))
    return [tuple(int(i) for i in np.unravel_index(f, grad.shape)) for f in picked]


def step_through(net: MLP | None = None, *, sample: int = 0, batch: int = 8,
                 data_dir=None) -> StepThroughPanel:
    """Open the step-through panel on MNIST test image ``sample``.

    Loads MNIST with ``backproplab.data.load_mnist(data_dir=data_dir, dtype=np.uint8)``
    and takes test images ``sample`` .. ``sample + batch - 1`` (fewer at the end
    of the test set) for the batch toggle. ``net`` defaults to ``MLP()``, the
    classic untrained 784 → 100 → 10 → 10 network.
    """
    from ..data import load_mnist

    for name, value, low in (("sample", sample, 0), ("batch", batch, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name} must be a whole number ≥ {low}; got {value!r}.")
    data = load_mnist(data_dir=data_dir, dtype=np.uint8)
    if sample >= len(data.x_test):
        raise ConfigError(f"sample must be 0..{len(data.x_test) - 1}, an index into the MNIST "
                          f"test images; got {sample}.")
    stop = sample + batch
    return StepThroughPanel(net if net is not None else MLP(), data.x_test[sample:stop],
                            data.y_test[sample:stop])
