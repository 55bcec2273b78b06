"""A PNG with a text alternative: ``<img alt="...">``, for the figures the panels show.

``ipywidgets.Image`` renders an ``<img>`` without ``alt`` (axe-core: critical
``image-alt``) and has no trait for one. :class:`AltImage` is a drop-in for the
panels' use of it (``value`` PNG bytes, ``format``, ``layout``, CSS classes) with an
``alt`` trait, as an anywidget with a few lines of inline JavaScript: no build step,
and it runs in JupyterLab and Voilà alike (the draw panel's canvas is one too).

The widget's CSS classes are copied onto its ``<img>``, so ``img.bpl-filters`` finds
the picture in the page as before.
"""

from __future__ import annotations

import anywidget
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization

__all__ = ["AltImage"]

_ESM = r"""
function render({ model, el }) {
  const img = document.createElement("img");
  img.style.maxWidth = "100%";
  img.style.display = "block";
  el.appendChild(img);
  let url = null;
  function draw() {
    const view = model.get("value");
    const n = view ? view.byteLength : 0;
    if (url) URL.revokeObjectURL(url);
    url = null;
    if (n) {
      const bytes = new Uint8Array(view.buffer, view.byteOffset, n);
      url = URL.createObjectURL(new Blob([bytes], { type: "image/" + model.get("format") }));
      img.src = url;
    } else {
      img.removeAttribute("src");
    }
    img.alt = model.get("alt");
  }
  function classes() {
    img.className = (model.get("_dom_classes") || []).filter((c) => c.startsWith("bpl-")).join(" ");
  }
  model.on("change:value", draw);
  model.on("change:alt", () => { img.alt = model.get("alt"); });
  model.on("change:_dom_classes", classes);
  classes();
  draw();
  return () => { if (url) URL.revokeObjectURL(url); };
}
export default { render };
"""


class AltImage(anywidget.AnyWidget):
    """A PNG (``value``, bytes) shown as ``<img alt=alt>``; ``alt`` says what the picture shows now."""

    _esm = _ESM
    value = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    format = traitlets.Unicode("png").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
