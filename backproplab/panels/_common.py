"""Small helpers the panels share: visible errors, CSS classes, widget lookup.

JupyterLab hides exceptions raised inside widget callbacks (they go to the log
console, which learners never open). :func:`routes_errors` wraps a panel method
so that any exception is shown in the panel's error area instead.
"""

from __future__ import annotations

import functools
import html
import traceback
from typing import Callable, Iterator, TypeVar

import ipywidgets as widgets

F = TypeVar("F", bound=Callable)


def with_class(widget: widgets.DOMWidget, *classes: str) -> widgets.DOMWidget:
    """Add stable CSS classes (for browser tests and styling); return the widget."""
    for cls in classes:
        widget.add_class(cls)
    return widget


def error_html(exc: BaseException, where: str = "") -> str:
    """The HTML shown in a panel's error area for ``exc``, traceback folded away."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    place = f" (while handling {html.escape(where)})" if where else ""
    return (
        '<div style="border:1px solid #c62828;background:#ffebee;color:#b71c1c;'
        'padding:6px 10px;border-radius:4px">'
        f"<b>{html.escape(type(exc).__name__)}</b>{place}: {html.escape(str(exc))}"
        f"<details><summary>traceback</summary><pre style='font-size:11px'>{html.escape(tb)}"
        "</pre></details></div>"
    )


def routes_errors(method: F) -> F:
    """Wrap a panel callback so its exceptions appear in the panel, not in a log.

    The panel must provide ``_show_error(exc, where)`` and ``_clear_error()``.
    The error area is cleared when an outermost callback starts, so an error
    stays visible until the learner's next action, and an error from a nested
    callback (an observer run by a button's handler) is never wiped by the
    callbacks that follow it in the same action.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        depth = getattr(self, "_callback_depth", 0)
        if depth == 0:
            self._clear_error()
        self._callback_depth = depth + 1
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - shown to the learner, not swallowed
            self._show_error(exc, method.__name__.lstrip("_"))
            return None
        finally:
            self._callback_depth = depth

    return wrapper  # type: ignore[return-value]


def walk(widget: widgets.Widget) -> Iterator[widgets.Widget]:
    """Every widget in the tree under ``widget`` (itself first), depth first."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def find_by_class(root: widgets.Widget, cls: str) -> widgets.DOMWidget:
    """The one widget under ``root`` carrying the CSS class ``cls``.

    Raises ``LookupError`` if there is none or more than one: tests and
    notebooks address controls the way a browser test would.
    """
    found = [w for w in walk(root) if cls in getattr(w, "_dom_classes", ())]
    if len(found) != 1:
        raise LookupError(f"expected one widget with class {cls!r} under {type(root).__name__}; "
                          f"found {len(found)}.")
    return found[0]


def show(widget: widgets.DOMWidget, visible: bool) -> None:
    """Show or hide a widget without removing it from the tree."""
    widget.layout.display = None if visible else "none"
