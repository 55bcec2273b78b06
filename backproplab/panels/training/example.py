"""One test image opened from the drill-down: its caption, where it pushes W1, its pass.

:class:`ExampleView` shows a :class:`~backproplab.panels.StepThroughPanel` of
the image with a checkpoint's weights, W1 and ∂L/∂W1 as two mosaics in the
same tile order, and the hidden units the image pushes hardest. Every number
indexes the step-through panel's trace; the look-ups are
:mod:`backproplab.core.inspection`'s.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ...core.inspection import top_units, unit_gradient_norms
from ...viz import array_to_png, filter_mosaic
from .._common import show, walk, with_class
from ..alt_image import AltImage
from ..step_through import StepThroughPanel
from .render import image_shape
from .text import number

__all__ = ["ExampleView"]

N_TOP_UNITS = 6  # hidden units shown one by one, largest filter gradient first


def _span(a: np.ndarray) -> str:
    return f"from {number(a.min())} to {number(a.max())}"


class ExampleView:
    """The example part of the drill-down (``box``); empty and hidden until an image is opened."""

    def __init__(self) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.panel: StepThroughPanel | None = None
        self.caption = B(W.HTML(), "bpl-drill-example")
        self.push_caption = B(W.HTML(), "bpl-drill-push-caption")
        self.filters = B(AltImage(), "bpl-drill-filters")
        self.gradients = B(AltImage(), "bpl-drill-gradients")
        self.units = B(W.HBox(layout=L(flex_flow="row wrap")), "bpl-drill-units")
        self.host = B(W.Box(), "bpl-drill-step-through")
        mosaics = W.HBox([
            W.VBox([W.HTML("<b>filters</b> W1[1:, j] (28×28 each)"), self.filters]),
            W.VBox([W.HTML("<b>where this image pushes them</b>: ∂L/∂W1[1:, j]"), self.gradients]),
        ], layout=L(flex_flow="row wrap"))
        self.box = W.VBox([
            self.caption, self.push_caption, mosaics,
            W.HTML("<b>the units this image pushes hardest</b> (filter | its gradient)"),
            self.units, W.HTML("<b>step through this image's pass</b>"), self.host])
        show(self.box, False)

    def open(self, net, x, y, *, index: int, predicted: int, label: str) -> StepThroughPanel:
        """Show test image ``index`` (x (1, n_features), y (1,)) through ``net``, predicted as ``predicted``."""
        panel = StepThroughPanel(net, x, y, quiz=False)
        self.close()
        self.panel = panel
        self.host.children = (panel,)
        trace = panel.trace
        y_hat = trace["y_hat"].value[0]  # (C,)
        true = int(y[0])
        self.caption.value = (
            f'<div style="font-size:13px"><b>test image #{index}</b>: true {true} '
            f"(ŷ = {y_hat[true]:.3f}), predicted {predicted} (ŷ = {y_hat[predicted]:.3f}), "
            f"with the weights of <b>{label}</b></div>")
        self._render_push(net.weights[0], trace["dL/dW1"].value)
        show(self.box, True)
        return panel

    def close(self) -> None:
        """Close the widgets of the open example (they are rebuilt for each one) and hide the box."""
        old = [*self.host.children, *self.units.children]
        self.host.children, self.units.children = (), ()
        self.panel = None
        for widget in old:
            for w in reversed(list(walk(widget))):
                w.close()
        show(self.box, False)

    def _render_push(self, W1: np.ndarray, dW1: np.ndarray) -> None:
        """W1 and ∂L/∂W1 as two mosaics in the same tile order, then the top units."""
        side = image_shape(W1.shape[0] - 1)
        self.filters.value = array_to_png(filter_mosaic(W1, image_shape=side), symmetric=True, scale=2)
        self.gradients.value = array_to_png(filter_mosaic(dW1, image_shape=side), symmetric=True, scale=2)
        tiles = f"{W1.shape[1]} tiles of {side[0]}×{side[1]}"
        self.filters.alt = (f"W1 filters, {tiles}, weights {_span(W1[1:])} "
                            "(blue below 0, white 0, red above).")
        self.gradients.alt = (f"∂L/∂W1 for this image, {tiles} in the same order, values "
                              f"{_span(dW1[1:])} (blue below 0, white 0, red above).")
        self.push_caption.value = (
            '<div style="font-size:12px">Unit j sits in the same tile in both mosaics (row label + '
            "column). Red = positive, blue = negative, white = 0; each mosaic has its own scale. "
            "A gradient step changes W1 by −lr·∂L/∂W1: pixels where the gradient is blue gain "
            "weight, red ones lose it. Blank pixels of the image give exactly 0.</div>")
        norms = unit_gradient_norms(dW1)  # (H,)
        tiles = []
        for j in top_units(dW1, min(N_TOP_UNITS, dW1.shape[1])):
            j = int(j)
            pair = widgets.HBox([
                AltImage(value=array_to_png(W1[1:, j].reshape(side), symmetric=True, scale=3),
                         alt=f"filter of unit {j}, weights {_span(W1[1:, j])}"),
                AltImage(value=array_to_png(dW1[1:, j].reshape(side), symmetric=True, scale=3),
                         alt=f"∂L/∂W1[1:, {j}], values {_span(dW1[1:, j])}")])
            label = widgets.HTML(f'<div style="font-size:12px">unit {j}: ‖∂L/∂W1[1:, {j}]‖ = '
                                 f"{norms[j]:.3g}</div>")
            tiles.append(widgets.VBox([pair, label], layout=widgets.Layout(margin="4px")))
        self.units.children = tiles
