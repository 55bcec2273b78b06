"""What the step-through panel is showing and what the learner did: observable, no widgets.

:class:`StepState` holds the recorded passes (one sample, the whole batch) and
the traits every view observes: ``step``, ``batch``, ``quiz``, ``revealed``,
``score``, ``attempts``, ``grade`` (the last quiz answer's outcome),
``show_jacobian``, ``export_format``, ``convention`` (the trace is shown through
``trace.view(convention)``; ``length`` is its number of steps) and the derivation
checker's ``derivation_text`` and ``derivation`` (the last text checked and its result). Views change the state by assigning
traits or calling its methods, never each other's widgets.
"""

from __future__ import annotations

import numpy as np
import traitlets

from ...core import MLP
from ...errors import ConfigError
from ...core import format_shape
from ...core.derivation import CONVENTIONS, DerivationCheck
from ..quiz import AnswerError, Grade, grade, hint_for

__all__ = ["StepState"]


class StepState(traitlets.HasTraits):
    """The step-through panel's state for ``net`` on samples ``x`` (B, n_features), labels ``y`` (B,).

    The state keeps copies of ``net``, x and y: training the network later does
    not change what it shows.
    """

    step = traitlets.Int(0)
    batch = traitlets.Bool(False)
    quiz = traitlets.Bool(True)
    score = traitlets.Int(0)
    attempts = traitlets.Int(0)
    revealed = traitlets.Set()  # the (convention, batch, step) keys whose shape was answered or revealed
    grade = traitlets.Instance(Grade, allow_none=True)  # the outcome of the last answer here
    show_jacobian = traitlets.Bool(False)
    export_format = traitlets.Enum(("LaTeX", "Markdown"), default_value="LaTeX")
    convention = traitlets.Enum(CONVENTIONS, default_value="row-folded")
    length = traitlets.Int(1)  # steps of the trace on show (row-separate and column add dL/db_k)
    derivation_text = traitlets.Unicode("")  # the learner's last derivation checked at this step
    derivation = traitlets.Instance(DerivationCheck, allow_none=True)  # its result

    def __init__(self, net: MLP, x, y, *, step: int = 0, batch: bool = False, quiz: bool = True) -> None:
        full = net.trace(x, y)  # validates x and y, with the core's messages
        # Snapshots: training net afterwards must not put the gradient check out of step.
        net, x, y = net.copy(), np.array(x), np.array(y).reshape(-1)
        one = full if full.batch_size == 1 else net.trace(x[:1], y[:1])
        self.net, self.x, self.y = net, x, y
        self.traces = {False: one, True: full}  # recorded (row-folded)
        self._views: dict[tuple[str, bool], object] = {}
        super().__init__()
        self.batch, self.quiz = bool(batch), bool(quiz)
        self.length = len(self.trace)
        self.go_to(step)
        self.observe(self._moved, names=["step", "batch"])
        self.observe(self._reconvened, names=["convention"])

    # ------------------------------------------------------------ facts
    @property
    def trace(self):
        """The trace on show: of ``x[:1]``, or of all of x when ``batch`` is on, in ``convention``."""
        return self.viewed(self.convention, self.batch)

    def viewed(self, convention: str, batch: bool):
        """The recorded pass (one sample or the batch) in ``convention``, built once."""
        if convention == "row-folded":
            return self.traces[batch]
        if (convention, batch) not in self._views:
            self._views[convention, batch] = self.traces[batch].view(convention)
        return self._views[convention, batch]

    @property
    def current(self):
        """The :class:`~backproplab.core.Step` on show."""
        return self.trace[self.step]

    @property
    def n_steps(self) -> int:
        return len(self.trace)

    @property
    def batch_size(self) -> int:
        """Samples in the whole batch (1: there is no batch to switch to)."""
        return self.traces[True].batch_size

    @property
    def key(self) -> tuple[str, bool, int]:
        return (self.convention, self.batch, self.step)

    @property
    def answered(self) -> bool:
        """This step's shape was answered right or revealed (in this batch setting)."""
        return self.key in self.revealed

    @property
    def open(self) -> bool:
        """The step's shape, value and tools are on show (quiz off, or answered)."""
        return not self.quiz or self.answered

    # ------------------------------------------------------------ moving
    def go_to(self, where: int | str) -> None:
        """Show a step by 0-based index or by name ("dL/dW2"); ConfigError for anything else."""
        names = self.trace.names
        if isinstance(where, str):
            if where not in names:
                raise ConfigError(f"there is no step {where!r}; the steps are {', '.join(names)}. "
                                  "Pass one of these names or a 0-based index.")
            where = names.index(where)
        if isinstance(where, bool) or not isinstance(where, (int, np.integer)) or not 0 <= where < len(names):
            raise ConfigError(f"the step must be 0..{len(names) - 1} (0 is x, {len(names) - 1} is "
                              f"{names[-1]}) or a step's name such as 'dL/dW2'; got {where!r}.")
        self.step = int(where)

    def first(self) -> None:
        self.step = 0

    def last(self) -> None:
        self.step = self.n_steps - 1

    def next(self) -> None:
        self.step = min(self.n_steps - 1, self.step + 1)

    def previous(self) -> None:
        self.step = max(0, self.step - 1)

    def _moved(self, change=None) -> None:
        self.show_jacobian = False
        self.grade = None
        self.derivation = None

    def _reconvened(self, change) -> None:
        """The same quantity in the new convention (dL/db_k becomes dL/dW_k in row-folded)."""
        name = self.viewed(change["old"], self.batch)[self.step].name
        names = self.trace.names
        if name not in names:
            name = name.replace("dL/db", "dL/dW")
        where = names.index(name) if name in names else min(self.step, len(names) - 1)
        if len(names) > self.length:  # grow the range before moving into it, shrink it after
            self.length = len(names)
        self.step = where
        self.length = len(names)
        self._moved()

    # ------------------------------------------------------------ the derivation checker
    def check_derivation(self, text: str):
        """Check ``text`` as a derivation of the step on show (in ``convention``); keep text and result.

        Returns the :class:`~backproplab.core.derivation.DerivationCheck`. ConfigError at a
        forward step (there is nothing to derive there) or for text that is not a str.
        """
        if not isinstance(text, str):
            raise ConfigError(f"type the derivation as text, e.g. \"dL/dW2 = [1 H1]^T δ2\"; got "
                              f"{text!r} ({type(text).__name__}).")
        step = self.current
        if step.phase != "backward":
            raise ConfigError(f"{step.name} is a forward step: derivations are checked at the "
                              "backward steps (dL/dz3 onwards); go to one of those first.")
        result = self.traces[self.batch].check_derivation(text, step.name, convention=self.convention)
        with self.hold_trait_notifications():
            self.derivation_text = text
            self.derivation = result
        return result

    # ------------------------------------------------------------ the quiz
    def answer(self, text: str) -> Grade:
        """Grade ``text`` as the shape of the step on show; score and open the step if right.

        A wrong answer costs an attempt; one that is not a shape costs nothing.
        Raises AnswerError for an answer that is not text (None, a number).
        """
        if not isinstance(text, str):
            raise AnswerError(f"type the shape as text, e.g. answer(\"101x10\") or answer(\"scalar\"); "
                              f"got {text!r} ({type(text).__name__}). Nothing was graded and no "
                              "attempt was counted.")
        if not self.quiz:
            raise ConfigError("the quiz is off, so there is nothing to answer; switch it on "
                              "first: panel.quiz = True.")
        if self.answered:
            raise ConfigError(f"{self.current.name} is already answered or revealed here; go to "
                              "another step (panel.go_to(...)) or switch the batch toggle.")
        result = grade(text, self.current, self.trace)
        with self.hold_trait_notifications():
            if result.counts:
                self.attempts += 1
            if result.status == "right":
                self.score += 1
                self.revealed = self.revealed | {self.key}
            self.grade = result
        return result

    def reveal(self) -> None:
        """Show the step's shape without answering (no point lost)."""
        step = self.current
        with self.hold_trait_notifications():
            self.revealed = self.revealed | {self.key}
            self.grade = Grade("revealed", f"{step.name} is {format_shape(step.shape)}: "
                                           f"{hint_for(step, self.trace)}", tuple(step.shape))

    # ------------------------------------------------------------ checks
    @traitlets.validate("step")
    def _valid_step(self, proposal):
        n, value = self.n_steps, proposal["value"]
        if not 0 <= value < n:
            raise traitlets.TraitError(f"step must be 0..{n - 1} (0 is x, {n - 1} is "
                                       f"{self.trace[n - 1].name}); got {value}.")
        return value

    @traitlets.validate("batch")
    def _valid_batch(self, proposal):
        if proposal["value"] and self.batch_size == 1:
            raise traitlets.TraitError("x has one row, so there is no batch to show; pass several "
                                       "samples, e.g. x[:8] and y[:8].")
        return proposal["value"]
