"""Small widget helpers: CSS classes, showing and hiding, lookup by class, the text a widget shows.

The panels' shared behaviour (errors, ``control``, ``shown``) lives in
:mod:`backproplab.panels.base`; these are the plain functions under it.
"""

from __future__ import annotations

import html
import re
import traceback
from typing import Iterator

import ipywidgets as widgets

from ..errors import BackproplabError


class PanelTypeError(BackproplabError, TypeError):
    """A panel was given the wrong kind of object (data without images, a widget with no text)."""


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
    raise PanelTypeError(f"shown() reads HTML, Label, Text and Button widgets; this one is a "
                    f"{type(widget).__name__}: read its value, e.g. panel.control(...).value.")
