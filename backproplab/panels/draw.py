"""Draw a digit and watch a trained network read it; then step through its pass.

:class:`DrawnDigit` is the state (no widgets): the ink, the MNIST-style 28×28 image
the core makes of it, the network's ten probabilities, and the label the loss uses.
:class:`DrawDigitPanel` shows it: the canvas, the network's input beside it, the
prediction and the probabilities, live while drawing, and a button that opens the
step-through panel on the drawing.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import traitlets

from ..core import MLP
from ..core.digits import SIDE, mnist_style
from ..errors import ConfigError
from . import draw_views as views
from ._common import with_class
from .base import ErrorArea, Panel, routes_errors
from .canvas import DrawingCanvas
from .scale import use_scale
from .step_through import StepThroughPanel

__all__ = ["DrawDigitPanel", "DrawnDigit", "draw_digit"]

GUESS = -1  # the label choice "the network's guess"


class DrawnDigit(traitlets.HasTraits):
    """A drawing as the network reads it. Assign ``ink`` (a new array) to change it.

    ``image`` (28, 28) is ``mnist_style(ink)``; ``probabilities`` (10,) the network's ŷ
    for it, None while the drawing is blank; ``meant`` is the digit the learner says
    they drew (-1: take the network's guess), which the step-through uses as the label.
    """

    ink = traitlets.Instance(np.ndarray)
    image = traitlets.Instance(np.ndarray, read_only=True)
    probabilities = traitlets.Instance(np.ndarray, allow_none=True, read_only=True)
    meant = traitlets.Int(GUESS)

    def __init__(self, net: MLP, ink: np.ndarray) -> None:
        super().__init__()
        self.net = net
        self.observe(self._read, names="ink")
        self.ink = ink

    def _read(self, change) -> None:
        image = mnist_style(change["new"])  # (28, 28)
        probs = None if not image.any() else self.net.predict_proba(image.reshape(1, -1))[0]  # (10,)
        self.set_trait("probabilities", probs)
        self.set_trait("image", image)  # last: observers of image see the new probabilities

    @traitlets.validate("meant")
    def _valid_meant(self, proposal):
        if not GUESS <= proposal["value"] <= 9:
            raise traitlets.TraitError(f"meant must be a digit 0..9, or -1 for the network's guess; "
                                       f"got {proposal['value']}.")
        return proposal["value"]

    @property
    def prediction(self) -> int | None:
        """The digit the network reads, None for a blank drawing."""
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def label(self) -> int | None:
        """The label the loss uses: ``meant``, else the network's guess."""
        return self.meant if self.meant != GUESS else self.prediction


class DrawDigitPanel(Panel):
    """Draw a digit on a 28 × 28 grid; see the input the network gets and its ten probabilities.

    ``net`` is any MLP with 784 inputs and 10 classes. ``scale`` enlarges the panel
    (1.5 for a projector). State: :attr:`digit` (a :class:`DrawnDigit`).

    From code: ``panel.draw(image)`` puts an image on the canvas (as if drawn),
    ``panel.control("bpl-draw-clear").click()``, ``panel.shown("bpl-draw-prediction")``,
    ``panel.step_panel`` is the step-through panel once "step through this digit" was clicked.
    CSS classes: bpl-draw (the panel), bpl-draw-error, bpl-draw-canvas, bpl-draw-tool, bpl-draw-clear, bpl-draw-input,
    bpl-draw-prediction, bpl-draw-probabilities, bpl-draw-label, bpl-draw-step.
    """

    css_class = "bpl-draw"

    def __init__(self, net: MLP, *, scale: float = 1.0, about_net: str = "") -> None:
        if net.n_features != SIDE * SIDE or net.n_classes != 10:
            raise ConfigError(f"drawing needs a network with 784 inputs (28×28) and 10 classes; "
                              f"got {net!r}. Use bl.MLP() or leave net out for a trained one.")
        self._net, self._about = net.copy(), about_net
        self.errors = ErrorArea("bpl-draw-error")
        self._canvas = with_class(DrawingCanvas(), "bpl-draw-canvas")
        self.digit = DrawnDigit(self._net, self._canvas.image)
        self.step_panel: StepThroughPanel | None = None
        self._build()
        super().__init__(self._layout(), errors=self.errors)
        use_scale(self, scale)
        self._canvas.observe(self._on_ink, names="ink")
        self.digit.observe(self._on_reading, names=["image", "meant"])
        self._on_reading()

    # ------------------------------------------------------------ public
    @property
    def net(self) -> MLP:
        return self._net

    def draw(self, image) -> None:
        """Put ``image`` on the canvas, as if drawn: (112, 112) or (28, 28) floats in [0, 1]."""
        arr = np.asarray(image, dtype=np.float64)
        k = self._canvas.size // SIDE
        self._canvas.image = np.kron(arr, np.ones((k, k))) if arr.shape == (SIDE, SIDE) else arr

    def _describe(self) -> str:  # short: ipywidgets cuts a widget's text/plain at 110 characters
        probs = self.digit.probabilities
        said = "nothing drawn" if probs is None else views.prediction_text(probs).split(" · ")[0]
        return f"{self._net!r}, {said}"

    # ---------------------------------------------------------- building
    def _build(self) -> None:
        W, L, B_ = widgets, widgets.Layout, with_class
        about = (f'<div style="color:{views.MUTED};font-size:13px">{views.html.escape(self._about)}</div>'
                 if self._about else "")
        self._title = B_(W.HTML(f'<div style="color:{views.TEXT};font-size:16px"><b>Draw a digit</b> '
                                f"and watch the network read it</div>{about}"), "bpl-draw-title")
        self._tool = B_(W.ToggleButtons(options=[("✎ pen", "pen"), ("⌫ eraser", "eraser")],
                                        tooltips=["draw ink", "rub ink out"],
                                        style={"button_width": "auto"}), "bpl-draw-tool")
        widgets.link((self._tool, "value"), (self._canvas, "tool"))
        self._clear = B_(W.Button(description="Clear", icon="trash", tooltip="blank the canvas",
                                  layout=L(width="auto")), "bpl-draw-clear")
        self._clear.on_click(self._on_clear)
        self._input = B_(W.HTML(), "bpl-draw-input")
        self._prediction = B_(W.HTML(), "bpl-draw-prediction")
        self._probabilities = B_(W.HTML(), "bpl-draw-probabilities")
        self._label = B_(W.Dropdown(options=[("the network's guess", GUESS)] + [(str(d), d) for d in range(10)],
                                    value=GUESS, description="I meant", layout=L(width="300px")),
                         "bpl-draw-label")
        widgets.link((self._label, "value"), (self.digit, "meant"))
        self._step = B_(W.Button(description="Step through this digit", icon="list-ol",
                                 tooltip="open the step-through panel on this drawing",
                                 layout=L(width="auto")), "bpl-draw-step")
        self._step.on_click(self._on_step)
        self._step_note = B_(W.HTML(), "bpl-draw-step-note")
        self._step_slot = W.VBox()

    def _layout(self) -> list[widgets.Widget]:
        W, L = widgets, widgets.Layout
        pad = L(padding="0 16px 8px 0")
        drawing = W.VBox([self._canvas, W.HBox([self._tool, self._clear], layout=L(align_items="center"))],
                         layout=pad)
        row = W.HBox([drawing, W.VBox([self._input], layout=pad), W.VBox([self._probabilities], layout=pad)],
                     layout=L(flex_flow="row wrap", align_items="flex-start"))
        step_row = W.HBox([self._label, self._step], layout=L(align_items="center", flex_flow="row wrap"))
        # the prediction above the pictures: in view at a projector's scale, whatever wraps below
        return [self._title, self._prediction, row, step_row, self._step_note, self._step_slot]

    # ---------------------------------------------------------- callbacks
    @routes_errors
    def _on_ink(self, change=None):
        self.digit.ink = self._canvas.image

    @routes_errors
    def _on_clear(self, _=None):
        self._canvas.clear()

    @routes_errors
    def _on_reading(self, change=None):
        digit = self.digit
        probs = digit.probabilities
        self._prediction.value = (f'<div style="color:{views.TEXT};font-size:20px;font-weight:bold" '
                                  f'role="status">{views.html.escape(views.prediction_text(probs))}</div>')
        self._probabilities.value = views.probabilities_html(probs)
        self._input.value = views.input_html(digit.image)
        self._canvas.description = views.canvas_description(self._canvas.image, probs)
        self._step.disabled = probs is None
        self._step.tooltip = ("draw a digit first" if probs is None
                              else f"open the step-through panel on this drawing, label {digit.label}")

    @routes_errors
    def _on_step(self, _=None):
        digit = self.digit
        if digit.probabilities is None:
            raise ConfigError("the canvas is blank: draw a digit first, then step through it.")
        x = digit.image.reshape(1, SIDE * SIDE).astype(self._net.dtype)  # (1, 784)
        self.step_panel = StepThroughPanel(self._net, x, [digit.label], quiz=False)
        whose = "your choice" if digit.meant != GUESS else "the network's guess"
        self._step_note.value = (f'<div style="color:{views.TEXT};line-height:1.4">Stepping through your '
                                 f"drawing as it was when you clicked: read as {digit.prediction}, and "
                                 f"the loss L uses label {digit.label} ({whose}). Draw again and click "
                                 f"the button to step through the new drawing.</div>")
        self._step_slot.children = (self.step_panel,)


def draw_digit(net: MLP | None = None, *, scale: float = 1.0, data_dir=None) -> DrawDigitPanel:
    """The draw-a-digit panel on ``net``, or on a network trained for it when ``net`` is None.

    Without ``net``, the first call in a session trains the classic MLP on MNIST's
    60,000 training images for 3 epochs (a few seconds; MNIST from
    ``load_mnist(data_dir=data_dir)``) and later calls reuse it. ``scale`` enlarges
    the panel (1.5 for a projector).
    """
    if net is None:
        from ..core.pretrained import QUICK_EPOCHS, session_net

        about = (f"network: MLP 784 → 100 → 10 → 10 trained for {QUICK_EPOCHS} epochs on MNIST's "
                 f"60,000 training images")
        return DrawDigitPanel(session_net(data_dir=data_dir), scale=scale, about_net=about)
    if not isinstance(net, MLP):
        raise ConfigError(f"net must be a backproplab MLP or None (train one for me); got "
                          f"{type(net).__name__}.")
    return DrawDigitPanel(net, scale=scale, about_net=f"network: {net!r}")
