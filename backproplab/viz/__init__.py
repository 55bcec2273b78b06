"""Figures and PNG rendering for backproplab (no ipywidgets, no pyplot).

Matplotlib figures, built once and updated in place (``update(...)`` changes
artists' data, never the axes), rendered to PNG bytes (reports, Save):

* :class:`FiltersFigure` - the columns of W1 as one mosaic of 28x28 filters;
* :class:`ConfusionFigure` - the annotated confusion matrix;
* :class:`CurvesFigure` - loss and accuracy curves;
* :func:`array_to_png` - a small array as a heatmap PNG, without a Figure.

The live dashboard's fast figures, with NumPy alone (:mod:`.live`, :mod:`.colormap`,
:mod:`.png`): :class:`FilterMosaicImage` (an indexed PNG), :func:`confusion_html`
(an HTML table) and :class:`CurvesSVG` (SVG that grows point by point).
"""

from backproplab.viz.confusion import ConfusionFigure
from backproplab.viz.curves import CurvesFigure
from backproplab.viz.filters import FiltersFigure, filter_mosaic, grid_shape
from backproplab.viz.jacobian import JacobianLayout, jacobian_layout
from backproplab.viz.live import CurvesSVG, FilterMosaicImage, confusion_html
from backproplab.viz.render import PNG_SIGNATURE, array_to_png, figure_to_png, save_png

__all__ = [
    "PNG_SIGNATURE",
    "ConfusionFigure",
    "CurvesFigure",
    "CurvesSVG",
    "FilterMosaicImage",
    "FiltersFigure",
    "JacobianLayout",
    "array_to_png",
    "confusion_html",
    "figure_to_png",
    "filter_mosaic",
    "grid_shape",
    "jacobian_layout",
    "save_png",
]
