"""What a step holds: its value, note, ledger, full Jacobian, gradient check and export.

:class:`DetailsView` observes :class:`~.state.StepState` (``step``, ``batch``,
``show_jacobian``, ``export_format``) and indexes the trace; the HTML and PNGs
come from :mod:`.html`. CSS classes: ``bpl-step-value-image``, ``bpl-step-value``,
``bpl-step-note``, ``bpl-ledger``, ``bpl-full-jacobian``, ``bpl-jacobian-info``,
``bpl-jacobian-image``, ``bpl-gradcheck``, ``bpl-gradcheck-result``,
``bpl-export-format``, ``bpl-export``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ...core import check_parameter
from ...errors import ConfigError, JacobianTooLargeError
from .._common import show, with_class
from ..alt_image import AltImage
from ..base import ErrorArea
from . import html
from .state import StepState

__all__ = ["DetailsView"]

_IMAGE_FEATURES = 784  # n_features of 28×28 images


def _image(cls: str) -> AltImage:
    # natural size (heatmaps are drawn with whole-pixel blocks), narrowed only to fit
    layout = widgets.Layout(max_width="100%", width="auto", align_self="flex-start")
    return with_class(AltImage(layout=layout), cls)


def _scroller(image: AltImage) -> widgets.Box:
    # a tall heatmap (dL/dW1 is 785 rows) scrolls instead of stretching the panel
    return widgets.Box([image], layout=widgets.Layout(max_height="340px", overflow="auto"))


class DetailsView:
    """The part of the panel the quiz gates (``box``)."""

    def __init__(self, state: StepState, errors: ErrorArea) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.state = state
        self._pngs: dict[tuple, tuple] = {}  # (batch, step) -> value PNG and caption, drawn once
        self.value_image = _image("bpl-step-value-image")
        self.value = B(W.HTML(), "bpl-step-value")
        self.callout = B(W.HTML(), "bpl-step-note")
        self.ledger = B(W.HTML(), "bpl-ledger")
        self.jacobian_button = B(W.Button(description="Show the full Jacobian", layout=L(width="auto")),
                                 "bpl-full-jacobian")
        self.jacobian_info = B(W.HTML(), "bpl-jacobian-info")
        self.jacobian_image = _image("bpl-jacobian-image")
        self.gradcheck_button = B(W.Button(description="Check this gradient numerically",
                                           layout=L(width="auto")), "bpl-gradcheck")
        self.gradcheck_result = B(W.HTML(), "bpl-gradcheck-result")
        self.export_format = B(W.ToggleButtons(options=["LaTeX", "Markdown"], value=state.export_format,
                                               style={"button_width": "auto"}), "bpl-export-format")
        widgets.link((state, "export_format"), (self.export_format, "value"))
        self.export = B(W.Textarea(rows=6, layout=L(width="100%")), "bpl-export")
        self.jacobian_button.on_click(errors.guard(self._toggle_jacobian, "jacobian"))
        self.gradcheck_button.on_click(errors.guard(self.check_gradient, "gradcheck"))
        self.export.observe(errors.guard(self._undo_edit, "export"), names="value")
        state.observe(errors.guard(self.render, "moving"), names=["step", "batch", "convention"])
        state.observe(errors.guard(self.render_jacobian, "jacobian"), names=["show_jacobian"])
        state.observe(errors.guard(self.render_export, "export"), names=["export_format"])
        self.box = self._layout()
        self.render()

    def _layout(self) -> widgets.VBox:
        W, L = widgets, widgets.Layout
        value = W.VBox([_scroller(self.value_image), self.value], layout=L(width="50%", padding="0 8px 0 0"))
        tools = W.VBox([
            W.HBox([self.jacobian_button, self.gradcheck_button]),
            self.jacobian_info, _scroller(self.jacobian_image), self.gradcheck_result,
            W.HBox([W.HTML("<b>export</b>"), self.export_format], layout=L(align_items="center")),
            self.export])
        return W.VBox([self.callout, W.HBox([value, W.VBox([self.ledger], layout=L(width="50%"))]), tools])

    # ---------------------------------------------------------- actions
    def _toggle_jacobian(self, _=None) -> None:
        self.state.show_jacobian = not self.state.show_jacobian

    def check_gradient(self, _=None) -> None:
        """Compare the step's parameter gradient with central differences (float64)."""
        s = self.state
        step = s.current
        if s.convention != "row-folded":
            raise ConfigError("the gradient check compares the stored (row-folded) weights' gradient; "
                              "switch the notation to row-folded first: panel.convention = 'row-folded'.")
        if not step.target:
            raise ConfigError(f"the gradient check works on parameter gradients (dL/dW1, ...); "
                              f"{step.name} is not one.")
        n = s.trace.batch_size
        check = check_parameter(s.net, s.x[:n], s.y[:n], param=step.target,
                                entries=_entries_to_check(step.value))
        self.gradcheck_result.value = html.gradcheck_html(check, step.value)

    def _undo_edit(self, change) -> None:  # read-only: undo edits, keep it selectable for copying
        text = self._export_text()
        if change["new"] != text:
            self.export.value = text

    # ---------------------------------------------------------- drawing
    def render(self, change=None) -> None:
        step = self.state.current
        png, caption = self._value_png()
        self.value_image.value = png or b""
        side = 28 if self.state.net.n_features == _IMAGE_FEATURES else None
        self.value_image.alt = html.value_alt(step, image_side=side) if png is not None else ""
        show(self.value_image, png is not None)
        self.value.value = caption
        self.ledger.value = html.ledger_html(step)
        self.callout.value = html.callout_html(step)
        show(self.callout, bool(self.callout.value))
        self.gradcheck_result.value = ""
        self.jacobian_button.disabled = step.jacobian is None
        self.jacobian_button.tooltip = (
            "this step has no local Jacobian of its own" if step.jacobian is None else
            f"∂{step.jacobian[0]}/∂{step.jacobian[1]}: its size next to the efficient form")
        stored = self.state.convention == "row-folded"
        self.gradcheck_button.disabled = not step.target or not stored
        self.gradcheck_button.tooltip = (f"compare dL/d{step.target} with central differences"
                                         if step.target and stored else "available at dL/dW steps"
                                         if stored else "available in the row-folded notation")
        self.render_export()
        self.render_jacobian()

    def _value_png(self) -> tuple:
        s = self.state
        if s.key not in self._pngs:
            side = 28 if s.net.n_features == _IMAGE_FEATURES else None
            bias_row = s.convention == "row-folded" and s.net.bias  # row 0 of dL/dW_k is the bias's
            self._pngs[s.key] = html.value_view(s.current, image_side=side, bias_row=bias_row)  # once per step
        return self._pngs[s.key]

    def render_jacobian(self, change=None) -> None:
        s = self.state
        step = s.current
        shown = s.show_jacobian and step.jacobian is not None
        self.jacobian_button.description = "Hide the full Jacobian" if shown else "Show the full Jacobian"
        show(self.jacobian_info, shown)
        show(self.jacobian_image, False)
        if not shown:
            self.jacobian_info.value = ""
            return
        of, wrt = step.jacobian
        info = s.trace.jacobian_info(of, wrt)
        text = html.jacobian_summary_html(info)
        if info.entries > html.MAX_DRAWN_JACOBIAN:
            self.jacobian_info.value = text + html.refusal_html(info)
            return
        try:
            J = s.trace.jacobian(of, wrt, max_entries=html.MAX_DRAWN_JACOBIAN)
        except JacobianTooLargeError as exc:
            self.jacobian_info.value = text + f"<div>{html.esc(exc)}</div>"
            return
        png, how = html.jacobian_view(J, info)
        self.jacobian_info.value = text + how
        self.jacobian_image.value = png
        self.jacobian_image.alt = html.jacobian_alt(J, info)
        show(self.jacobian_image, True)

    def _export_text(self) -> str:
        step = self.state.current
        return step.to_latex() if self.state.export_format == "LaTeX" else step.to_markdown()

    def render_export(self, change=None) -> None:
        self.export.value = self._export_text()


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
