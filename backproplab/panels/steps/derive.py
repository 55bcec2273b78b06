""""Check your derivation" and the whole chain: two views of a backward step.

:class:`DeriveView` is a text box, a Check button and the feedback; it calls
:meth:`~.state.StepState.check_derivation` and draws the state's ``derivation`` (the last
result), so a check made from code shows too. :class:`ChainView` lists the Jacobian factors
from L down to the step on show (``trace.chain``) in the state's convention. Both hide at
forward steps. CSS classes: ``bpl-derive``, ``bpl-derive-input``, ``bpl-derive-submit``,
``bpl-derive-title``, ``bpl-derive-feedback``, ``bpl-chain``.
"""

from __future__ import annotations

import ipywidgets as widgets

from .._common import show, with_class
from ..base import ErrorArea
from .derive_html import chain_html, check_html
from .html import esc
from .state import StepState

__all__ = ["ChainView", "DeriveView"]

_EXAMPLE = {"row-folded": "e.g. dL/dW2 = [1 H1]^T δ2", "row-separate": "e.g. dL/dW2 = δ2^T H1",
            "column": "e.g. dW2 = 1/m * np.dot(dZ2, A1.T)"}


class DeriveView:
    """The "check your derivation" box (``box``) of the step on show."""

    def __init__(self, state: StepState, errors: ErrorArea) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.state = state
        self.title = B(W.HTML(), "bpl-derive-title")
        self.input = B(W.Text(layout=L(flex="1 1 auto", width="auto"), continuous_update=False),
                       "bpl-derive-input")
        self.submit = B(W.Button(description="Check my derivation", icon="check",
                                 layout=L(width="auto", flex="0 0 auto"),
                                 tooltip="evaluate every sub-expression with this pass's arrays"),
                        "bpl-derive-submit")
        self.feedback = B(W.HTML(), "bpl-derive-feedback")
        self.submit.on_click(errors.guard(self.check, "derivation"))
        state.observe(errors.guard(self.render, "derivation"), names=["step", "batch", "convention"])
        state.observe(errors.guard(self.render_feedback, "derivation"), names=["derivation"])
        self.box = B(W.VBox([self.title, W.HBox([self.input, self.submit]), self.feedback],
                            layout=L(border="1px solid #e0e0e0", padding="4px 8px", margin="4px 0")),
                     "bpl-derive")
        self.render()

    def check(self, _=None) -> None:
        """Check what the box holds (the Check button)."""
        self.state.check_derivation(self.input.value)

    def render(self, change=None) -> None:
        s = self.state
        step = s.current
        show(self.box, step.phase == "backward")
        self.title.value = (f"<b>Check your derivation</b> of {esc(step.name)} ({s.convention} convention): "
                            "type it in plain text, LaTeX or NumPy code; every sub-expression is "
                            "evaluated with this pass's arrays.")
        self.input.placeholder = _EXAMPLE[s.convention]
        self.render_feedback()

    def render_feedback(self, change=None) -> None:
        result = self.state.derivation
        self.feedback.value = "" if result is None else check_html(result)
        show(self.feedback, result is not None)


class ChainView:
    """The chain of Jacobian factors from L down to the step on show (``box``)."""

    def __init__(self, state: StepState, errors: ErrorArea) -> None:
        self.state = state
        self.box = with_class(widgets.HTML(), "bpl-chain")
        state.observe(errors.guard(self.render, "chain"), names=["step", "batch", "convention"])
        self.render()

    def render(self, change=None) -> None:
        s = self.state
        step = s.current
        on = step.phase == "backward"
        self.box.value = chain_html(s.trace.chain(step.name)) if on else ""
        show(self.box, on)
