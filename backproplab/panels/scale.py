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

__all__ = ["MAX_SCALE", "MIN_SCALE", "scale_class", "use_scale"]

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
