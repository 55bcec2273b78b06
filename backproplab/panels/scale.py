"""Enlarge a panel for a projector: ``use_scale(panel, 1.5)``, one line in a panel's ``__init__``.

The panel gets the CSS class ``bpl-scaled`` and one for its factor (``bpl-scale-150``),
and a hidden ``<style>`` child that sets CSS ``zoom`` on that class. Zoom enlarges
everything in the panel alike: text, images, buttons, sliders and the drawing canvas,
so the layout keeps its proportions (flex rows wrap where the page is too narrow) and
pointer positions stay right (Chromium, Firefox ≥ 126 and Safari implement the
standard ``zoom``). Font-size variables alone would leave images and canvases small.
"""

from __future__ import annotations

import math

import ipywidgets as widgets

from ..errors import ConfigError

__all__ = ["MAX_SCALE", "MIN_SCALE", "ProjectorToggle", "scale_class", "use_scale"]

MIN_SCALE, MAX_SCALE = 0.5, 3.0


def scale_class(scale: float) -> str:
    """The CSS class of a scale factor: 1.5 → "bpl-scale-150"."""
    return f"bpl-scale-{round(scale * 100)}"


def use_scale(panel: widgets.Box, scale: float) -> None:
    """Show ``panel`` (any ipywidgets box) ``scale`` times larger; 1 is normal size.

    Call it again to change the scale (a projector toggle): the previous scale's class
    and style go. Raises ConfigError for a scale outside 0.5..3 or not a number.
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) \
            or not MIN_SCALE <= scale <= MAX_SCALE:
        raise ConfigError(f"scale must be a number from {MIN_SCALE} to {MAX_SCALE} (1 is normal size, "
                          f"1.5 suits a projector); got {scale!r}.")
    for cls in [c for c in panel._dom_classes if c == "bpl-scaled" or c.startswith("bpl-scale-")]:
        panel.remove_class(cls)
    kept = tuple(w for w in panel.children if "bpl-scale-style" not in getattr(w, "_dom_classes", ()))
    if scale == 1:
        panel.children = kept
        return
    cls = scale_class(scale)
    style = widgets.HTML(f"<style>.{cls} {{ zoom: {round(scale * 100)}%; }}</style>",
                         layout=widgets.Layout(display="none"))
    style.add_class("bpl-scale-style")
    panel.add_class("bpl-scaled")
    panel.add_class(cls)
    panel.children = (*kept, style)


class ProjectorToggle(widgets.ToggleButtons):
    """Two buttons, "normal size" and "projector (1.5×)", that rescale every panel added to it.

    ``toggle.add(panel, ...)`` puts panels under it (they take the scale on show now);
    ``toggle.value`` is the scale (1 or ``projector``), assignable from code too.
    CSS class ``bpl-projector``.
    """

    def __init__(self, *panels: widgets.Box, projector: float = 1.5) -> None:
        if isinstance(projector, bool) or not isinstance(projector, (int, float)) \
                or not MIN_SCALE <= projector <= MAX_SCALE or projector == 1:
            raise ConfigError(f"projector must be a scale from {MIN_SCALE:g} to {MAX_SCALE:g} other than 1 "
                              f"(1.5 suits a projector); got {projector!r}.")
        super().__init__(options=[("normal size", 1.0), (f"projector ({projector:g}×)", float(projector))],
                         value=1.0, description="panel size", style={"button_width": "auto"},
                         tooltips=["the panels at their normal size",
                                   f"text, pictures and controls {projector:g} times larger"])
        self.add_class("bpl-projector")
        self._panels: list[widgets.Box] = []
        self.observe(lambda change: self._apply(), names="value")
        self.add(*panels)

    def add(self, *panels: widgets.Box) -> None:
        """Rescale ``panels`` with the toggle from now on (and to its current value now)."""
        self._panels.extend(panels)
        self._apply()

    def __repr__(self) -> str:
        n = len(self._panels)
        return f"ProjectorToggle({self.label}, {n} panel{'' if n == 1 else 's'})"

    def _apply(self) -> None:
        for panel in self._panels:
            use_scale(panel, self.value)
