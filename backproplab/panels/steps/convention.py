"""The convention selector: the whole panel in row-folded, row-separate or column notation.

:class:`ConventionView` links a ``ToggleButtons`` (CSS class ``bpl-convention``) to the
state's ``convention`` and says how the convention's arrays come from the stored weights
(``bpl-convention-mapping``). Every other view observes ``convention`` and redraws from
``trace.view(convention)``.
"""

from __future__ import annotations

import ipywidgets as widgets

from ...core.derivation import CONVENTIONS
from .._common import with_class
from ..base import ErrorArea
from .html import esc
from .state import StepState

__all__ = ["ConventionView"]

_LABELS = {"row-folded": "rows, bias in W", "row-separate": "rows, separate b",
           "column": "columns (W x + b)"}


class ConventionView:
    """The selector and the mapping line (``box``)."""

    def __init__(self, state: StepState, errors: ErrorArea) -> None:
        self.state = state
        self.selector = with_class(widgets.ToggleButtons(
            options=[(_LABELS[c], c) for c in CONVENTIONS], value=state.convention,
            tooltips=[f"the {c} convention" for c in CONVENTIONS], style={"button_width": "auto"}),
            "bpl-convention")
        widgets.link((state, "convention"), (self.selector, "value"))
        self.mapping = with_class(widgets.HTML(), "bpl-convention-mapping")
        state.observe(errors.guard(self.render, "convention"), names=["convention"])
        self.box = widgets.VBox([widgets.HBox([widgets.HTML("<b>notation</b>&nbsp;"), self.selector],
                                              layout=widgets.Layout(align_items="center")),
                                 self.mapping])
        self.render()

    def render(self, change=None) -> None:
        trace = self.state.trace
        if self.state.convention == "row-folded":
            text = ("row-folded: a sample is a row, z = [1 H] W with the bias as row 0 of W "
                    "(how the package stores the weights)")
        else:
            text = f"{trace.mapping}"
        self.mapping.value = f'<span style="font-size:12px;color:#455a64">{esc(text)}</span>'
