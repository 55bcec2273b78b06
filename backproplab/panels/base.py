"""What every panel shares: visible errors, ``control`` / ``shown``, its CSS class, ``__repr__``.

JupyterLab hides exceptions raised inside widget callbacks (they go to a log
console learners never open). A panel's callbacks are wrapped with
:func:`routes_errors`, which shows any exception in the panel's
:class:`ErrorArea` instead. Views (the parts of a panel) take the panel's
``ErrorArea`` and wrap their own callbacks with it, so there is one error
area per panel and one place that decides how errors look.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

import ipywidgets as widgets
import traitlets

from ..errors import ConfigError
from ._common import PanelTypeError, error_html, find_by_class, show, walk, widget_text, with_class

__all__ = ["ErrorArea", "Panel", "PanelTypeError", "SettingError", "assign", "routes_errors"]

F = TypeVar("F", bound=Callable)


class SettingError(ConfigError, traitlets.TraitError):
    """A panel setting refused a value: a package error (ConfigError) and still a TraitError."""


def assign(obj: traitlets.HasTraits, name: str, value) -> None:
    """``setattr(obj, name, value)``; a refused value raises SettingError naming the setting."""
    try:
        setattr(obj, name, value)
    except traitlets.TraitError as exc:
        text = str(exc)
        raise SettingError(text if text.startswith(name) else f"{name}: {text}") from None


class ErrorArea:
    """The panel's error box (CSS class ``bpl-error``), hidden while there is no error.

    ``guard(fn)`` wraps a callback: the box is cleared when an outermost
    callback starts (so an error stays until the learner's next action, and an
    error raised by a nested observer is not wiped by the callbacks after it)
    and any exception is shown in it.
    """

    def __init__(self, *classes: str) -> None:
        self.widget = with_class(widgets.HTML(), "bpl-error", *classes)
        show(self.widget, False)
        self._depth = 0

    def show(self, exc: BaseException, where: str = "") -> None:
        """Show ``exc`` (its type, message and a folded traceback)."""
        self.widget.value = error_html(exc, where)
        show(self.widget, True)

    def clear(self) -> None:
        self.widget.value = ""
        show(self.widget, False)

    def guard(self, fn: Callable, where: str | None = None) -> Callable:
        """``fn`` wrapped so that its exceptions are shown here and never raised."""
        name = where or getattr(fn, "__name__", "callback").lstrip("_")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            outermost = self._depth == 0
            if outermost:
                self.clear()
            self._depth += 1
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the learner, not swallowed
                self.show(exc, name)
                return None
            finally:
                self._depth -= 1

        return wrapper


def routes_errors(method: F) -> F:
    """Decorate a panel or view method: its exceptions go to ``self.errors`` (an ErrorArea)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self.errors.guard(lambda: method(self, *args, **kwargs),
                                 method.__name__.lstrip("_"))()

    return wrapper  # type: ignore[return-value]


class Panel(widgets.VBox):
    """Base of every panel: an error area, lookup by CSS class, a short deterministic repr.

    A subclass sets ``css_class`` (e.g. "bpl-step-through"), builds its views
    with ``self.errors``, passes its children to ``super().__init__`` and
    implements ``_describe()`` (the text inside ``Name(...)`` of its repr:
    nbval compares it, so it never holds a memory address).
    """

    css_class = "bpl-panel"

    def __init__(self, children, *, errors: ErrorArea) -> None:
        self.errors = errors
        super().__init__(children=[errors.widget, *children])
        self.add_class(self.css_class)

    def control(self, css_class: str) -> widgets.DOMWidget:
        """The one widget of this panel with CSS class ``css_class``, e.g. "bpl-step-next".

        Click a button with ``.click()``, set a toggle's or a box's ``.value``: the
        panel reacts as to a learner's click. LookupError if there is not exactly one.
        """
        return find_by_class(self, css_class)

    def shown(self, css_class: str) -> str:
        """The text the widget with CSS class ``css_class`` shows: markup stripped, entities decoded.

        HTML gives one line per block (a ``<div>``, a table row); a button gives its caption.
        """
        return widget_text(self.control(css_class))

    def close(self) -> None:
        """Close the panel and every widget inside it."""
        inner = list(walk(self))[1:]
        super().close()
        for widget in inner:
            widget.close()

    def _describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"
