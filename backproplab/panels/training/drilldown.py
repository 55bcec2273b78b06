"""Drill into the confusion matrix: a cell's test images, then one image's backward pass.

Choose a cell (true t, predicted p) in the 10×10 grid to see up to 16 of its
test images; open one to step through its pass (:class:`StepThroughPanel`) and
to see where it pushes each first-layer filter: ∂L/∂W1[1:, j] beside W1[1:, j]
for every hidden unit j. Everything shown indexes a trace or a checkpoint's
weights; the look-ups are :mod:`backproplab.core.inspection`'s.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import traitlets

from ...core.inspection import cell_indices
from ...errors import ConfigError
from ...viz import array_to_png
from .._common import show, with_class
from ..alt_image import AltImage
from ..base import ErrorArea, routes_errors
from ..step_through import StepThroughPanel
from .checkpoints import network_with
from .example import ExampleView
from .render import image_shape

__all__ = ["DrillDown"]

N_THUMBS = 16  # thumbnails shown per cell
_CELL = widgets.Layout(width="46px", height="26px", padding="0", margin="1px")
# The grid's caption has its room from the start (two lines of 12 px text): drawing the grid
# must not push the buttons down under a learner's pointer.
_CAPTION_HEIGHT = "40px"
_NO_GRID = ('<div style="font-size:12px;color:#616161">test confusion matrix: rows = true class, '
            "columns = predicted. Not drawn yet: it is drawn while this tab is on show.</div>")


class DrillDown(widgets.VBox):
    """The drill-down part of the training dashboard (CSS class ``bpl-drilldown``).

    Parameters
    ----------
    x_test, y_test : the test images (n, n_features) and labels (n,)
    dash : the dashboard's :class:`~.state.DashboardState`: the drill-down follows its
        ``checkpoint`` (the confusion matrix on show) and forgets all on a new ``session``
    errors : the dashboard's error area

    State: ``cell`` ((t, p) or None) and ``example`` (a test index or None).
    ``visible`` (set by the dashboard) says whether its tab is on show: the grid is
    drawn only then (100 buttons are 100 widget messages).
    """

    cell = traitlets.Tuple(allow_none=True, default_value=None)
    example = traitlets.Int(allow_none=True, default_value=None)

    def __init__(self, x_test, y_test, *, dash, errors: ErrorArea, n_classes: int = 10) -> None:
        self._x, self._y = x_test, np.asarray(y_test)
        self._dash, self.errors = dash, errors
        self._lock = dash.lock
        self._n = n_classes
        self.visible = False
        self._checkpoint = None  # the one the grid shows
        self._cell_checkpoint = None  # the one the thumbnails and the example come from
        self._indices = np.zeros(0, np.int64)
        self._build()
        super().__init__(children=self._layout())
        self.add_class("bpl-drilldown")
        dash.observe(lambda change: self.set_checkpoint(change["new"], draw=self.visible),
                     names="checkpoint")
        dash.observe(lambda change: self.clear(), names="session")

    def _predictions(self, checkpoint):
        return self._dash.session.predictions(checkpoint)

    def _network_at(self, checkpoint):
        session = self._dash.session
        return network_with(session.net, checkpoint.weights)  # a copy, never the live network

    def on_show(self) -> None:
        """Its tab came on show: draw the grid."""
        self.visible = True
        self.draw_grid()

    # ------------------------------------------------------------ public
    @property
    def step_through(self) -> StepThroughPanel | None:
        """The step-through panel of the open example, or None."""
        return self._example.panel

    @property
    def indices(self) -> np.ndarray:
        """The test indices of the thumbnails on show."""
        return self._indices

    def clear(self) -> None:
        """Forget the cell and the example (a new network was built)."""
        with self._lock:
            self._checkpoint = self._cell_checkpoint = None
            self._indices = np.zeros(0, np.int64)
            self.cell, self.example = None, None
            self._blank_grid()
            for box, _, _ in self._thumbs:
                show(box, False)
            self._thumbs_caption.value = ""
            self._example.close()

    def set_checkpoint(self, checkpoint, *, draw: bool = True) -> None:
        """Follow a checkpoint: choices use it; the grid shows its counts when ``draw``.

        (The dashboard draws the grid only while its tab is on show: 100 buttons
        are 100 widget messages. The thumbnails keep their checkpoint until a
        cell is chosen again.)
        """
        with self._lock:
            self._checkpoint = checkpoint
            if draw:
                self.draw_grid()

    def _blank_grid(self) -> None:
        """Buttons blank and disabled until a confusion matrix is drawn into them."""
        for row in self._cells:
            for button in row:
                with button.hold_sync():
                    button.description, button.disabled, button.tooltip = "", True, ""
        self._grid_caption.value = _NO_GRID

    def draw_grid(self) -> None:
        """Show the followed checkpoint's counts in the grid."""
        checkpoint = self._checkpoint
        if checkpoint is None:
            return
        with self._lock:
            cm = checkpoint.confusion
            for t in range(self._n):
                for p in range(self._n):
                    button, count = self._cells[t][p], int(cm[t, p])
                    with button.hold_sync():
                        button.description = str(count)
                        button.disabled = count == 0
                        button.tooltip = (f"true {t}, predicted {p}: {count} test image"
                                          f"{'s' if count != 1 else ''}")
            self._grid_caption.value = (
                f'<div style="font-size:12px">test confusion matrix at <b>{checkpoint.label}</b>: '
                "rows = true class, columns = predicted. Choose a cell to see its images.</div>")

    def choose_cell(self, true: int, predicted: int) -> None:
        """Show up to 16 test images of cell (true, predicted) of the checkpoint on show."""
        for name, v in (("true", true), ("predicted", predicted)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < self._n:
                raise ConfigError(f"{name} must be a class 0..{self._n - 1}; got {v!r}.")
        if self._checkpoint is None:
            raise ConfigError("there is no confusion matrix yet: train or step first.")
        with self._lock:
            checkpoint = self._checkpoint
            preds = self._predictions(checkpoint)  # (n,)
            self._indices = cell_indices(self._y, preds, int(true), int(predicted), limit=N_THUMBS)
            total = int(checkpoint.confusion[true, predicted])
            self._cell_checkpoint = checkpoint
            self.cell = (int(true), int(predicted))
            side = image_shape(self._x.shape[1])
            for k, (box, image, button) in enumerate(self._thumbs):
                if k < len(self._indices):
                    i = int(self._indices[k])
                    image.value = array_to_png(self._x[i].reshape(side), cmap="gray_r", vmin=0,
                                               vmax=255 if self._x.dtype == np.uint8 else 1.0,
                                               scale=2)
                    image.alt = (f"test image #{i}, true {true}, predicted {predicted}: "
                                 f"{side[0]}×{side[1]} pixels")
                    button.description = f"#{i}"
                    button.tooltip = f"step through test image #{i}"
                show(box, k < len(self._indices))
            kind = "correctly classified" if true == predicted else "misclassified"
            shown = f"the first {len(self._indices)}" if total > len(self._indices) else "all"
            self._thumbs_caption.value = (
                f'<div style="font-size:12px"><b>true {true}, predicted {predicted}</b> at '
                f"{checkpoint.label}: {total} {kind} test image{'s' if total != 1 else ''}"
                f"{f', {shown} shown' if total else ''}. Open one to step through its pass.</div>")

    def open_example(self, index: int) -> StepThroughPanel:
        """Open test image ``index`` in the step-through panel, with the chosen cell's weights."""
        n = len(self._y)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
            raise ConfigError(f"index must be a test image 0..{n - 1}; got {index!r}.")
        checkpoint = self._cell_checkpoint or self._checkpoint
        if checkpoint is None:
            raise ConfigError("there is no checkpoint yet: train or step first.")
        with self._lock:
            index = int(index)
            x, y = self._x[index:index + 1], self._y[index:index + 1]  # (1, n_features), (1,)
            panel = self._example.open(self._network_at(checkpoint), x, y, index=index,
                                       predicted=int(self._predictions(checkpoint)[index]),
                                       label=checkpoint.label)
            self.example = index
            return panel

    # --------------------------------------------------------- building
    def _build(self) -> None:
        W, L = widgets, widgets.Layout
        self._grid_caption = with_class(W.HTML(_NO_GRID, layout=L(min_height=_CAPTION_HEIGHT)),
                                        "bpl-drill-grid-caption")
        self._cells = []
        items = [W.HTML("")] + [W.HTML(f"<b>{p}</b>", layout=L(justify_content="center"))
                                for p in range(self._n)]
        for t in range(self._n):
            row = []
            for p in range(self._n):
                button = with_class(W.Button(description="", disabled=True, layout=_CELL),
                                    "bpl-drill-cell", f"bpl-drill-cell-{t}-{p}")
                if t == p:
                    button.style.button_color = "#c8e6c9"
                button.on_click(self._cell_handler(t, p))
                row.append(button)
            self._cells.append(row)
            items += [W.HTML(f"<b>{t}</b>")] + row
        self._grid = with_class(W.GridBox(items, layout=L(
            grid_template_columns=f"24px repeat({self._n}, 48px)", width="max-content")),
            "bpl-drill-grid")
        self._thumbs_caption = with_class(W.HTML(), "bpl-drill-caption")
        self._thumbs = []
        for k in range(N_THUMBS):
            image = AltImage(layout=L(width="56px", height="56px"))
            button = with_class(W.Button(description="", layout=L(width="64px", padding="0")),
                                "bpl-drill-thumb", f"bpl-drill-thumb-{k}")
            button.on_click(self._thumb_handler(k))
            box = W.VBox([image, button], layout=L(align_items="center", margin="2px"))
            show(box, False)
            self._thumbs.append((box, image, button))
        self._example = ExampleView()

    def _layout(self) -> list[widgets.Widget]:
        W, L = widgets, widgets.Layout
        thumbs = W.HBox([box for box, _, _ in self._thumbs], layout=L(flex_flow="row wrap"))
        return [self._grid_caption, self._grid, self._thumbs_caption, thumbs, self._example.box]

    # ---------------------------------------------------------- callbacks
    def _cell_handler(self, t: int, p: int):
        @routes_errors
        def on_click(self, _=None):
            self.choose_cell(t, p)
        return lambda button: on_click(self, button)

    def _thumb_handler(self, k: int):
        @routes_errors
        def on_click(self, _=None):
            self.open_example(int(self._indices[k]))
        return lambda button: on_click(self, button)
