"""Keyboard shortcuts for a whole panel, and names for stock controls that have none.

:class:`PanelKeys` is a hidden anywidget placed inside a panel. In the browser it finds
the panel's element (its nearest ancestor with CSS class ``scope``), makes it a named,
focusable region (``role="region"``, ``aria-label``, ``tabindex=0``: Tab reaches it, and a
click on the panel's title focuses it) and listens there for its ``shortcuts``; a key pressed
anywhere in the panel, outside text fields and sliders, is sent to Python, where
``on_key(callback)`` receives it. ``data-lm-suppress-shortcuts`` keeps JupyterLab's own
shortcuts (cell navigation) out of the panel, as the drawing canvas does. A nested panel
with its own PanelKeys handles its own keys.

Why a widget of our own: ipywidgets has no keyboard events, and ipyevents would be a new
dependency for the same twenty lines; anywidget is already one (the drawing canvas).

``labels`` maps a CSS selector inside the panel to an ``aria-label`` given to the elements
it matches, now and when they are re-rendered: ipywidgets 8.1's slider handle has no
accessible name (axe-core: serious ``aria-input-field-name``).
"""

from __future__ import annotations

from typing import Callable

import anywidget
import ipywidgets as widgets
import traitlets

__all__ = ["PanelKeys"]

_ESM = r"""
const TEXT = "input, textarea, select, [contenteditable], [role=slider]";

function render({ model, el }) {
  let root = null, observer = null, tries = 0;
  function label() {
    if (!root) return;
    for (const [selector, text] of Object.entries(model.get("labels"))) {
      for (const node of root.querySelectorAll(selector)) {
        if (node.getAttribute("aria-label") !== text) node.setAttribute("aria-label", text);
      }
    }
  }
  function onKey(e) {
    if (!model.get("shortcuts").includes(e.key) || e.ctrlKey || e.altKey || e.metaKey) return;
    const t = e.target;
    if (t.closest("[data-bpl-keys]") !== root) return;        // a nested panel's own keys
    if (t.closest(TEXT)) return;                               // typing, or a slider's arrows
    const button = t.closest("button");
    if (e.key === " " && button && !model.get("space_buttons").some((c) => button.classList.contains(c))) return;
    e.preventDefault();
    e.stopPropagation();
    model.send({ key: e.key });
  }
  function onKeyUp(e) {                                        // Space handled: no click as well
    if (e.key === " " && e.target.closest("button") && e.target.closest("[data-bpl-keys]") === root
        && model.get("space_buttons").some((c) => e.target.closest("button").classList.contains(c))) {
      e.preventDefault();
    }
  }
  function attach() {
    root = el.closest("." + model.get("scope"));
    if (!root) { if (tries++ < 600) setTimeout(attach, 50); return; }
    root.setAttribute("data-bpl-keys", "");
    root.setAttribute("data-lm-suppress-shortcuts", "true");
    root.setAttribute("role", "region");
    root.setAttribute("aria-label", model.get("description"));
    root.tabIndex = 0;
    root.addEventListener("keydown", onKey);
    root.addEventListener("keyup", onKeyUp);
    observer = new MutationObserver(label);
    observer.observe(root, { childList: true, subtree: true });
    label();
  }
  model.on("change:labels", label);
  model.on("change:description", () => { if (root) root.setAttribute("aria-label", model.get("description")); });
  attach();
  return () => {
    if (observer) observer.disconnect();
    if (root) { root.removeEventListener("keydown", onKey); root.removeEventListener("keyup", onKeyUp); }
  };
}
export default { render };
"""

_CSS = """
[data-bpl-keys]:focus-visible { outline: 3px solid #0057b8; outline-offset: 2px; }
[data-bpl-keys] button:focus-visible, [data-bpl-keys] input:focus-visible,
[data-bpl-keys] textarea:focus-visible, [data-bpl-keys] select:focus-visible,
[data-bpl-keys] [role=slider]:focus-visible, [data-bpl-keys] [role=tab]:focus-visible {
  outline: 3px solid #0057b8 !important; outline-offset: 1px;
}
/* the quiz's outcome: a symbol as well as a word and a colour */
[data-bpl-keys] .bpl-quiz-right::before { content: "✓ "; font-weight: bold; }
[data-bpl-keys] .bpl-quiz-wrong::before { content: "✗ "; font-weight: bold; }
/* ipywidgets' coloured buttons have white text at 3.1:1 (primary) and 2.8:1 (success):
   darker shades of the same hues give 8.6:1 and 5.1:1 */
[data-bpl-keys] .jupyter-button.mod-primary:not(:disabled) { background-color: #0d47a1; }
[data-bpl-keys] .jupyter-button.mod-success:not(:disabled) { background-color: #2e7d32; }
/* Voilà's theme greys the tab labels at 4.45:1 on their #eee tabs: darker, 8.6:1 */
[data-bpl-keys] .lm-TabBar-tab, [data-bpl-keys] .lm-TabBar-tabLabel { color: #424242; }
"""


class PanelKeys(anywidget.AnyWidget):
    """Send the ``shortcuts`` pressed inside the panel of CSS class ``scope`` to ``on_key`` callbacks.

    ``description`` is the panel region's accessible name (say which keys work);
    ``space_buttons`` are CSS classes of buttons on which Space is a shortcut key
    rather than a click (e.g. the dashboard's Start and Pause).
    """

    _esm = _ESM
    _css = _CSS
    scope = traitlets.Unicode().tag(sync=True)
    shortcuts = traitlets.List(traitlets.Unicode()).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    labels = traitlets.Dict().tag(sync=True)
    space_buttons = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("layout", widgets.Layout(display="none"))
        super().__init__(**kwargs)
        self.add_class("bpl-keys")
        self._callbacks: list[Callable[[str], None]] = []
        self.on_msg(self._on_msg)

    def on_key(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(key)`` ("ArrowLeft", "End", " ", ...) for each key pressed in the panel."""
        self._callbacks.append(callback)

    def press(self, key: str) -> None:
        """As if ``key`` were pressed in the panel (for tests and notebooks)."""
        self._on_msg(self, {"key": key}, None)

    def _on_msg(self, _widget, content, _buffers) -> None:
        key = content.get("key") if isinstance(content, dict) else None
        if key in self.shortcuts:
            for callback in self._callbacks:
                callback(key)
