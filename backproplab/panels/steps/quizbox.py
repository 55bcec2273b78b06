""""Predict the shape": the answer box, its feedback, the score, the gate and the shape label.

:class:`QuizView` observes :class:`~.state.StepState` (``step``, ``batch``,
``quiz``, ``revealed``, ``grade``, ``score``, ``attempts``); Check and Reveal
call ``state.answer`` / ``state.reveal``. Grading lives in :mod:`..quiz`.
CSS classes: ``bpl-step-shape``, ``bpl-quiz-input``, ``bpl-quiz-submit``,
``bpl-quiz-reveal``, ``bpl-quiz-feedback``, ``bpl-quiz-score``, ``bpl-quiz-gate``.
"""

from __future__ import annotations

import ipywidgets as widgets

from ...core import format_shape
from .._common import show, with_class
from ..base import ErrorArea
from .html import esc
from .state import StepState

__all__ = ["QuizView"]

#: The colour of each outcome. Its message starts with a word saying it ("Right", "Not quite"),
#: and the CSS class ``bpl-quiz-<status>`` puts a symbol before it (✓ right, ✗ wrong; see
#: :mod:`..keys`), so nothing is told by colour alone. Contrast on white ≥ 4.5:1.
_COLORS = {"right": "#2e7d32", "wrong": "#c62828", "invalid": "#6d4c41", "revealed": None}


class QuizView:
    """The quiz row and what it gates: the step's shape, and (in the panel) its details."""

    def __init__(self, state: StepState, errors: ErrorArea, *, gated: widgets.Widget) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.state, self._gated = state, gated
        self.shape = B(W.HTML(), "bpl-step-shape")
        self.input = B(W.Text(placeholder="e.g. 101x10, (101, 10) or scalar", description="shape?",
                              layout=L(width="260px")), "bpl-quiz-input")
        self.submit = B(W.Button(description="Check", button_style="primary", tooltip="grade my answer",
                                 layout=L(width="auto")), "bpl-quiz-submit")
        self.reveal = B(W.Button(description="Reveal", tooltip="show the shape without answering "
                                 "(no point lost)", layout=L(width="auto")), "bpl-quiz-reveal")
        self.feedback = B(W.HTML(), "bpl-quiz-feedback")
        self.score = B(W.HTML(), "bpl-quiz-score")
        self.gate = B(W.HTML(), "bpl-quiz-gate")
        self.submit.on_click(errors.guard(self._on_submit, "check"))
        self.reveal.on_click(errors.guard(lambda _: state.reveal(), "reveal"))
        self.box = W.VBox([W.HBox([self.input, self.submit, self.reveal, self.score],
                                  layout=L(align_items="center")), self.feedback])
        state.observe(errors.guard(self._on_move, "moving"), names=["step", "batch", "convention"])
        state.observe(errors.guard(self.render_gate, "quiz"), names=["quiz", "revealed", "step", "batch", "convention"])
        state.observe(errors.guard(self.render_feedback, "quiz"), names=["grade"])
        state.observe(errors.guard(self.render_score, "quiz"), names=["score", "attempts"])
        self.render_gate()
        self.render_score()

    def _on_submit(self, _=None) -> None:
        if self.state.open:  # already answered (the buttons are disabled): nothing to grade
            return
        self.state.answer(self.input.value)

    def _on_move(self, change=None) -> None:
        self.input.value = ""

    def render_feedback(self, change=None) -> None:
        result = self.state.grade
        if result is None:
            self.feedback.value = ""
            return
        color = _COLORS[result.status]
        style = f"color:{color};line-height:1.4" if color else "line-height:1.4"
        self.feedback.value = (f'<div class="bpl-quiz-{result.status}" style="{style}">'
                               f"{esc(result.message)}</div>")

    def render_gate(self, change=None) -> None:
        s = self.state
        step, open_ = s.current, s.open
        shape = format_shape(step.shape) if open_ else "?"
        self.shape.value = f'<span style="font-size:16px">shape <b>{shape}</b></span>'
        show(self.box, s.quiz)
        for w in (self.input, self.submit, self.reveal):
            w.disabled = s.answered
        self.gate.value = ("" if open_ else
                           f'<div style="color:#616161">Predict the shape of {esc(step.name)} above '
                           "(or click Reveal) to see its value, its ledger and its Jacobian.</div>")
        show(self.gate, not open_)
        show(self._gated, open_)

    def render_score(self, change=None) -> None:
        self.score.value = f"score <b>{self.state.score}</b> / {self.state.attempts}"
