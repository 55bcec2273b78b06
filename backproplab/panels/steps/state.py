"""What the step-through panel is showing and what the learner did: observable, no widgets.

:class:`StepState` holds the recorded passes (one sample, the whole batch) and
the traits every view observes: ``step``, ``batch``, ``quiz``, ``revealed``,
``score``, ``attempts``, ``grade`` (the last quiz answer's outcome),
``show_jacobian`` and ``export_format``. Views change the state by assigning
traits or calling its methods, never each other's widgets.
"""

from __future__ import annotations

import numpy as np
import traitlets

from ...core import MLP
from ...errors import ConfigError
from ...core import format_shape
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
    revealed = traitlets.Set()  # the (batch, step) pairs whose shape was answered or revealed
    grade = traitlets.Instance(Grade, allow_none=True)  # the outcome of the last answer here
    show_jacobian = traitlets.Bool(False)
    export_format = traitlets.Enum(("LaTeX", "Markdown"), default_value="LaTeX")

    def __init__(self, net: MLP, x, y, *, step: int = 0, batch: bool = False, quiz: bool = True) -> None:
        full = net.trace(x, y)  # validates x and y, with the core's messages
        # Snapshots: training net afterwards must not put the gradient check out of step.
        net, x, y = net.copy(), np.array(x), np.array(y).reshape(-1)
        one = full if full.batch_size == 1 else net.trace(x[:1], y[:1])
        self.net, self.x, self.y = net, x, y
        self.traces = {False: one, True: full}
        super().__init__()
        self.batch, self.quiz = bool(batch), bool(quiz)
        self.go_to(step)
        self.observe(self._moved, names=["step", "batch"])

    # ------------------------------------------------------------ facts
    @property
    def trace(self):
        """The trace on show: of ``x[:1]``, or of all of x when ``batch`` is on."""
        return self.traces[self.batch]

    @property
    def current(self):
        """The :class:`~backproplab.core.Step` on show."""
        return self.trace[self.step]

    @property
    def n_steps(self) -> int:
        return len(self.traces[False])

    @property
    def batch_size(self) -> int:
        """Samples in the whole batch (1: there is no batch to switch to)."""
        return self.traces[True].batch_size

    @property
    def key(self) -> tuple[bool, int]:
        return (self.batch, self.step)

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
                                       f"{self.traces[False][n - 1].name}); got {value}.")
        return value

    @traitlets.validate("batch")
    def _valid_batch(self, proposal):
        if proposal["value"] and self.batch_size == 1:
            raise traitlets.TraitError("x has one row, so there is no batch to show; pass several "
                                       "samples, e.g. x[:8] and y[:8].")
        return proposal["value"]
