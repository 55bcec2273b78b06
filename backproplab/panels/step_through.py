"""Step through one recorded forward and backward pass, one quantity at a time.

:class:`StepThroughPanel` composes a :class:`~.steps.StepState` (what is on
show, what the learner did) with the views of :mod:`backproplab.panels.steps`
that observe it. The panel records the pass once per batch setting
(``net.trace``) and then only indexes the trace; the gradient check comes from
``check_parameter``.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..core import MLP
from ..errors import ConfigError
from .base import ErrorArea, Panel, assign
from .steps.convention import ConventionView
from .steps.derive import ChainView, DeriveView
from .keys import PanelKeys
from .scale import use_scale
from .steps.details import DetailsView
from .steps.nav import NavView
from .steps.quizbox import QuizView
from .steps.state import StepState

__all__ = ["StepThroughPanel", "step_through"]

#: the keys the panel answers when it (or any of its buttons) has focus
KEYS = {"ArrowLeft": "previous", "ArrowRight": "next", "Home": "first", "End": "last"}


def _state_trait(name: str) -> property:
    """``panel.<name>`` reads and assigns ``panel.state.<name>`` (a bad value: ConfigError)."""
    return property(lambda self: getattr(self.state, name),
                    lambda self, value: assign(self.state, name, value),
                    doc=f"``state.{name}`` (assignable).")


class StepThroughPanel(Panel):
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

    State: ``panel.state`` (a :class:`~.steps.StepState`); its traits are also
    readable and assignable on the panel: ``step`` (0-based), ``batch``,
    ``quiz``, ``score`` and ``attempts`` of the quiz, ``revealed`` (the
    (convention, batch, step) keys whose shape was answered or revealed),
    ``show_jacobian``, ``export_format`` ("LaTeX" or "Markdown"), ``convention``
    ("row-folded", "row-separate" or "column": the notation everything is shown in)
    and ``derivation`` (the last "check your derivation" result).

    The panel keeps copies of ``net``, x and y: training the network later does
    not change what it shows (open a new panel to see the trained network).

    From code: ``go_to(step)``; ``answer(text)`` types a quiz answer and checks it;
    ``control(css_class)`` is a control (``panel.control("bpl-step-next").click()``)
    and ``shown(css_class)`` the text an element shows (``panel.shown("bpl-ledger")``).

    scale : float
        1 is normal size; 1.5 enlarges text, pictures and controls for a projector
        (:func:`~backproplab.panels.scale.use_scale`, callable again to change it).

    Keyboard: when the panel has focus (Tab reaches it, a click on its title or on
    one of its buttons gives it), ← and → show the previous and next step, Home and
    End the first and last (``panel.shortcuts.press("End")`` does the same from code);
    every control is reachable with Tab, and the step slider takes the arrow keys
    once focused.
    """

    css_class = "bpl-step-through"
    step = _state_trait("step")
    batch = _state_trait("batch")
    quiz = _state_trait("quiz")
    score = _state_trait("score")
    attempts = _state_trait("attempts")
    revealed = _state_trait("revealed")
    show_jacobian = _state_trait("show_jacobian")
    export_format = _state_trait("export_format")
    convention = _state_trait("convention")
    derivation = _state_trait("derivation")

    def __init__(self, net: MLP, x, y, *, step: int = 0, batch: bool = False, quiz: bool = True,
                 scale: float = 1) -> None:
        errors = ErrorArea()
        self.state = StepState(net, x, y, step=step, batch=batch, quiz=quiz)
        self.nav = NavView(self.state, errors)
        self.details = DetailsView(self.state, errors)
        self.quizbox = QuizView(self.state, errors, gated=self.details.box)
        self.notation = ConventionView(self.state, errors)
        self.derive = DeriveView(self.state, errors)
        self.chain = ChainView(self.state, errors)
        self.shortcuts = PanelKeys(scope=self.css_class, shortcuts=list(KEYS),
                              description="Step through backprop: ← and → previous and next step, "
                                          "Home and End first and last",
                              labels={".bpl-step-slider [role=slider]": "step"})
        self.shortcuts.on_key(errors.guard(lambda key: getattr(self.state, KEYS[key])(), "keyboard"))
        super().__init__([*self._layout(), self.shortcuts], errors=errors)
        use_scale(self, scale)

    def _layout(self) -> list[widgets.Widget]:
        nav, quiz = self.nav, self.quizbox
        head = widgets.HBox([nav.name, quiz.shape], layout=widgets.Layout(align_items="baseline"))
        return [nav.title, nav.nav_row(), nav.options_row(), self.notation.box, nav.diagram, head,
                nav.formula, quiz.box, quiz.gate, self.chain.box, self.derive.box, self.details.box]

    # ------------------------------------------------------------ public
    @property
    def net(self) -> MLP:
        return self.state.net

    @property
    def trace(self):
        """The trace on show: of ``x[:1]``, or of all of x when ``batch`` is on."""
        return self.state.trace

    @property
    def current(self):
        """The :class:`~backproplab.core.Step` on show."""
        return self.state.current

    def go_to(self, where: int | str) -> None:
        """Show a step by 0-based index or by name ("dL/dW2")."""
        self.state.go_to(where)

    def answer(self, text: str) -> str:
        """Type ``text`` as the shape of the step on show and click Check; return the feedback shown.

        As a learner's answer: a right one scores and opens the step, a wrong one
        costs a point and gets a hint, one that is not a shape costs nothing.
        Raises :class:`~backproplab.panels.quiz.AnswerError` (a TypeError) for
        an answer that is not text, and ConfigError when there is nothing to answer.
        """
        self.state.answer(text)  # raises for non-text answers and closed steps: graded once, here
        self.quizbox.input.value = text
        return self.shown("bpl-quiz-feedback")

    def check_derivation(self, text: str):
        """Check ``text`` as in the "check your derivation" box; return the DerivationCheck.

        The feedback shows in ``panel.shown("bpl-derive-feedback")``. ConfigError at a forward step.
        """
        result = self.state.check_derivation(text)  # raises for non-text and at forward steps
        self.derive.input.value = text
        return result

    def _describe(self) -> str:
        s = self.state
        extra = f", batch of {s.trace.batch_size}" if s.batch else ""
        extra += f", {s.convention} convention" if s.convention != "row-folded" else ""
        return f"{s.net!r}, step {s.step + 1} of {len(s.trace)}: {s.current.name}{extra}"


def step_through(net: MLP | None = None, *, sample: int = 0, batch: int = 8,
                 data_dir=None, scale: float = 1) -> StepThroughPanel:
    """Open the step-through panel on MNIST test image ``sample``.

    Loads MNIST with ``backproplab.data.load_mnist(data_dir=data_dir, dtype=np.uint8)``
    and takes test images ``sample`` .. ``sample + batch - 1`` (fewer at the end
    of the test set) for the batch toggle. ``net`` defaults to ``MLP()``, the
    classic untrained 784 → 100 → 10 → 10 network; ``scale`` enlarges the panel
    (1.5 for a projector).
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
                            data.y_test[sample:stop], scale=scale)
