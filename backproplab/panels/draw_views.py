"""What the draw-a-digit panel shows, as text and HTML: the prediction, the ten
probabilities, the network's input image and the text alternatives of the pictures.

Everything formats arrays the core computed (the MNIST-style image, ŷ); nothing
here is network math. Colours: dark text on white (contrast ≥ 7:1), one dark blue
for bars (no red/green), and every fact is also written as words and numbers.
"""

from __future__ import annotations

import base64
import html

import numpy as np

from ..core.digits import SIDE, centre_of_mass, ink_box
from ..viz.render import array_to_png

__all__ = ["canvas_description", "input_alt", "input_html", "percent", "prediction_text", "probabilities_html"]

INPUT_PX = 5  # screen pixels per input pixel: 140 × 140
TEXT, MUTED, BAR, ACCENT = "#1a1a1a", "#4d4d4d", "#1f4e79", "#0057b8"  # 17:1, 8.5:1 on white


def percent(p: float) -> str:
    """A probability as whole percent, "93 %"; "<1 %" for what would round to 0 but is not 0."""
    return "<1 %" if 0 < p < 0.005 else f"{p * 100:.0f} %"


def prediction_text(probabilities: np.ndarray | None) -> str:
    """'prediction: 7 (93 %) · next: 1 (4 %)', or what to do when nothing is drawn."""
    if probabilities is None:
        return "prediction: none yet. Draw a digit (0 to 9) on the grid."
    order = np.argsort(-probabilities, kind="stable")  # (10,)
    first, second = int(order[0]), int(order[1])
    return (f"prediction: {first} ({percent(probabilities[first])}) · "
            f"next: {second} ({percent(probabilities[second])})")


def probabilities_html(probabilities: np.ndarray | None) -> str:
    """A table of the ten digits with a bar and a percentage each; the prediction marked in words."""
    rows = []
    top = None if probabilities is None else int(np.argmax(probabilities))
    for digit in range(10):
        p = 0.0 if probabilities is None else float(probabilities[digit])
        mark = " ◀ prediction" if digit == top else ""
        weight = "bold" if digit == top else "normal"
        bar = (f'<span style="display:inline-block;width:{p * 80:.1f}px;height:12px;'
               f'background:{BAR}"></span>') if p >= 0.005 else ""
        number = "–" if probabilities is None else html.escape(percent(p))
        rows.append(f'<tr style="font-weight:{weight}"><th scope="row" style="text-align:right;'
                    f'padding:0 6px">{digit}</th><td style="width:84px">{bar}</td>'
                    f'<td style="text-align:right;padding:0 6px">{number}</td>'
                    f"<td>{mark}</td></tr>")
    return (f'<div style="color:{TEXT};padding-bottom:4px">probability of each digit (ŷ)</div>'
            f'<table style="border-collapse:collapse;color:{TEXT};line-height:1.25">{"".join(rows)}</table>')


def _extent(image: np.ndarray) -> str:
    box = ink_box(image)
    if box is None:
        return "blank"
    top, bottom, left, right = box
    row, col = centre_of_mass(image)
    return (f"rows {top} to {bottom - 1} and columns {left} to {right - 1}, "
            f"centre of mass at row {row:.1f}, column {col:.1f}")


def input_alt(image: np.ndarray) -> str:
    """The text alternative of the network's 28×28 input image."""
    inked = int(np.count_nonzero(image))
    if inked == 0:
        return "The network's input: 28 by 28 pixels, all 0 (nothing drawn yet)."
    return (f"The network's input: 28 by 28 pixels, {inked} of 784 inked (values up to "
            f"{image.max():.2f}); the digit fills {_extent(image)}.")


def input_html(image: np.ndarray) -> str:
    """The 28×28 input as an <img> (dark = 1, as on the canvas) with its alt text and a caption."""
    png = array_to_png(image, cmap="gray_r", vmin=0.0, vmax=1.0, scale=INPUT_PX)
    side = SIDE * INPUT_PX
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<figure style="margin:0;color:{TEXT}"><img src="{src}" width="{side}" height="{side}" '
            f'alt="{html.escape(input_alt(image))}" style="border:1px solid #595959;'
            f'image-rendering:pixelated;display:block">'
            f'<figcaption style="max-width:{side + 20}px;line-height:1.3;padding-top:4px">what the '
            f"network sees: x, 28 × 28 numbers, dark = 1 (ink), white = 0: the drawing fitted into "
            f"20 × 20 and centred by its mass, as MNIST was made</figcaption></figure>")


def canvas_description(ink: np.ndarray, probabilities: np.ndarray | None) -> str:
    """The canvas's text alternative: what is drawn on the 28 × 28 grid and how it is read."""
    k = ink.shape[0] // SIDE
    cells = ink.reshape(SIDE, k, SIDE, k).max(axis=(1, 3))  # (28, 28) ink per grid cell
    inked = int(np.count_nonzero(cells))
    how = "Draw with the mouse, or focus here and use the arrow keys and Space."
    if inked == 0:
        return f"Drawing canvas, a 28 by 28 grid, blank. {how}"
    top, bottom, left, right = ink_box(cells)
    return (f"Drawing canvas, a 28 by 28 grid: ink in {inked} of 784 cells, rows {top} to "
            f"{bottom - 1}, columns {left} to {right - 1}; {prediction_text(probabilities)}. {how}")
