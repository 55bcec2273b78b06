"""Small helpers the panels share: visible errors, CSS classes, widget lookup.

:class:`Controls` gives every panel its public way in: ``panel.control(css_class)``
(the widget, as a browser test would address it) and ``panel.shown(css_class)``
(the text it shows, without the markup).

JupyterLab hides exceptions raised inside widget callbacks (they go to the log
console, which learners never open). :func:`routes_errors` wraps a panel method
so that any exception is shown in the panel's error area instead.
"""

from __future__ import annotations

import functools
import html
import re
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


_BLOCK_END = re.compile(r"<br\s*/?>|</(?:div|p|li|tr|summary|h[1-6]|table|ul|ol|pre)\s*>", re.I)
_CELL_END = re.compile(r"</t[dh]\s*>", re.I)
_TAG = re.compile(r"<[^>]+>")


def html_text(markup: str) -> str:
    r"""The text an HTML snippet shows: tags stripped, entities decoded, one line per block.

    >>> html_text('<div><b>score</b> 1 / 2</div><div>a &lt; b</div>')
    'score 1 / 2\na < b'
    """
    text = _CELL_END.sub(" ", _BLOCK_END.sub("\n", markup))
    lines = (" ".join(html.unescape(_TAG.sub("", line)).split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def widget_text(widget: widgets.Widget) -> str:
    """The text a widget shows: HTML (tags stripped), a label's or a text box's value, a button's caption."""
    if isinstance(widget, (widgets.HTML, widgets.HTMLMath)):
        return html_text(widget.value)
    if isinstance(widget, (widgets.Label, widgets.Text, widgets.Textarea)):
        return widget.value
    if isinstance(widget, (widgets.Button, widgets.ToggleButton)):
        return widget.description
    raise TypeError(f"shown() reads HTML, Label, Text and Button widgets; this one is a "
                    f"{type(widget).__name__}: read its value, e.g. panel.control(...).value.")


class Controls:
    """The public way into a panel's widgets, by their stable CSS classes (``bpl-...``)."""

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
