"""How the step-through panel draws a step: HTML snippets and PNG heatmaps.

Everything here formats what the trace (or a gradient check) already holds;
nothing computes network math. Arrays are only reshaped, repeated or sliced
for display, and colour-mapped by ``backproplab.viz.render.array_to_png``; a
full Jacobian is laid out by ``backproplab.viz.jacobian``.
"""

from __future__ import annotations

import html

import numpy as np

from ...core.jacobian import STRUCTURES, format_shape
from ...viz.jacobian import jacobian_layout
from ...viz.render import array_to_png
from ..kinds import INPUT, PARAMETER_GRADIENT, kind_is

#: The panel draws a full Jacobian only up to this many entries.
MAX_DRAWN_JACOBIAN = 250_000
#: Heatmap size targets, in pixels.
_MAX_WIDTH, _MAX_HEIGHT, _MIN_ROW_HEIGHT, _MIN_WIDTH = 480, 320, 12, 160
_NUMBERS = 10  # how many numbers of a row to print

_CALLOUT = ("border-left:5px solid {edge};background:{bg};padding:6px 10px;margin:4px 0;"
            "border-radius:3px;line-height:1.4")


def esc(text: object) -> str:
    return html.escape(str(text))


# ---------------------------------------------------------------- heatmaps
def heatmap_png(a: np.ndarray, *, cmap: str = "RdBu_r", symmetric: bool = True,
                vmin: float | None = None, vmax: float | None = None) -> bytes:
    """A 2-D array as a PNG with whole-pixel blocks.

    A single row is repeated to stay visible, and the columns of a tall, narrow
    matrix (101×10) are repeated to give it some width: display only.
    """
    rows, cols = a.shape
    scale = max(1, min(24, _MAX_WIDTH // cols, _MAX_HEIGHT // rows))
    row_repeat = -(-_MIN_ROW_HEIGHT // (rows * scale))  # ceil
    col_repeat = -(-_MIN_WIDTH // (cols * scale)) if rows > cols else 1
    shown = np.repeat(a, row_repeat, axis=0) if row_repeat > 1 else a
    shown = np.repeat(shown, col_repeat, axis=1) if col_repeat > 1 else shown
    return array_to_png(shown, cmap=cmap, symmetric=symmetric, vmin=vmin, vmax=vmax, scale=scale)


def value_view(step, *, image_side: int | None, bias_row: bool = False) -> tuple[bytes | None, str]:
    """PNG (or None for a scalar) and an HTML caption for ``step.value``.

    ``image_side`` is 28 when the inputs are 28×28 images (n_features 784):
    then x is drawn as images side by side, one per sample. ``bias_row`` is True
    when a parameter gradient's row 0 is a bias row (folded biases, row vectors).
    """
    a = step.value
    if a.ndim == 0:
        return None, f'<span style="font-size:18px"><b>{esc(step.name)} = {float(a):.6g}</b></span>'
    if kind_is(step, INPUT) and image_side:
        B, s = a.shape[0], image_side
        mosaic = a.reshape(B, s, s).transpose(1, 0, 2).reshape(s, B * s)  # (28, B·28)
        scale = max(1, min(5, 720 // (B * s)))
        png = array_to_png(mosaic, cmap="gray_r", vmin=0.0, vmax=1.0, scale=scale)
        what = "the image" if B == 1 else f"the {B} images side by side"
        caption = (f"{esc(step.name)} is {format_shape(a.shape)}: each row of {s * s} pixels, "
                   f"drawn here as {what}, {s}×{s} each (dark = ink)")
        return png, _caption(caption, "")
    positive = kind_is(step, INPUT, "activation", "output")
    png = heatmap_png(a, cmap="viridis" if positive else "RdBu_r", symmetric=not positive)
    legend = ("colour: dark = low, yellow = high" if positive
              else "colour: blue &lt; 0 (white) &lt; red, symmetric about 0")
    return png, _caption(f"{esc(step.name)} is {format_shape(a.shape)}, drawn as a heatmap "
                         f"({a.shape[0]} row{'s' if a.shape[0] != 1 else ''} × {a.shape[1]} "
                         f"columns) · {legend}", _first_numbers(step, bias_row))


def _number(v: float) -> str:
    return f"{float(v):.3g}".replace("-", "−")


def _span(a: np.ndarray) -> str:
    return f"from {_number(np.min(a))} to {_number(np.max(a))}"


def value_alt(step, *, image_side: int | None) -> str:
    """The text alternative of :func:`value_view`'s picture of ``step.value`` (2-D): what it shows now."""
    a = step.value
    if kind_is(step, INPUT) and image_side:
        n = a.shape[0]
        what = "1 image" if n == 1 else f"{n} images side by side"
        return (f"{step.name} drawn as {what} of {image_side}×{image_side} pixels, "
                f"pixel values {_span(a)} (dark = ink).")
    positive = kind_is(step, INPUT, "activation", "output")
    legend = "dark purple low, yellow high" if positive else "blue below 0, white 0, red above"
    return (f"Heatmap of {step.name}, {format_shape(a.shape)}: {a.shape[0]} "
            f"row{'s' if a.shape[0] != 1 else ''} by {a.shape[1]} columns, values {_span(a)} ({legend}).")


def jacobian_alt(J: np.ndarray, info) -> str:
    """The text alternative of :func:`jacobian_view`'s picture."""
    return (f"Heatmap of the full Jacobian ∂{info.of}/∂{info.wrt}, {format_shape(J.shape)}, "
            f"values {_span(J)} (blue below 0, white 0, red above).")


def _first_numbers(step, bias_row: bool) -> str:
    a = step.value
    row = a[0]
    shown = ", ".join(f"{v:.4g}" for v in row[:_NUMBERS])
    more = f", … ({_NUMBERS} of {len(row)})" if len(row) > _NUMBERS else ""
    which = "row 0 (the bias row)" if bias_row and kind_is(step, PARAMETER_GRADIENT) else (
        "row 0" if a.shape[0] > 1 else "values")
    return f"{which}: [{shown}{more}]"


def _caption(text: str, numbers: str) -> str:
    nums = (f'<div style="font-family:monospace;font-size:12px;line-height:1.4">{esc(numbers)}</div>'
            if numbers else "")
    return f'<div style="font-size:12px;color:#424242;line-height:1.4">{text}</div>{nums}'


# ------------------------------------------------------------------ ledger
def ledger_html(step) -> str:
    """``step.ledger()`` as HTML: labels bold, checks coloured, the result shape emphasised."""
    rows = []
    for line in step.ledger():
        indent = line.startswith("  ")
        text = esc(line.strip())
        for label in ("chain rule:", "computed as:", "note:"):
            if text.startswith(label):
                text = f"<b>{label}</b>{text[len(label):]}"
        text = text.replace("✓", '<span style="color:#2e7d32;font-weight:bold">✓</span>')
        text = text.replace("✗", '<span style="color:#c62828;font-weight:bold">✗</span>')
        if "= shape of " in text:
            head, _, tail = text.rpartition("= shape of ")
            text = f'{head}<b style="color:#1565c0">= shape of {tail}</b>'
        pad = "padding-left:18px;color:#455a64;" if indent else ""
        rows.append(f'<div style="{pad}">{text}</div>')
    if not rows:
        rows.append('<div style="color:#757575">the input: nothing to compute</div>')
    return ('<div style="font-family:monospace;font-size:12.5px;line-height:1.5">'
            '<div style="font-family:sans-serif;font-weight:bold;margin-bottom:2px">ledger</div>'
            + "".join(rows) + "</div>")


def callout_html(step) -> str:
    """The step's note, shown prominently where it matters: bias row, batch sum."""
    if not step.note:
        return ""
    if step.drops_bias_row:  # a network without biases has no bias row to drop
        title, edge, bg = "The bias row", "#f9a825", "#fffde7"
    elif kind_is(step, PARAMETER_GRADIENT):
        title, edge, bg = "Where the sum over the batch happens", "#1565c0", "#e3f2fd"
    else:
        return ""
    return (f'<div style="{_CALLOUT.format(edge=edge, bg=bg)}"><b>{title}.</b> '
            f"{esc(step.note)}.</div>")


# --------------------------------------------------------------- Jacobian
def jacobian_summary_html(info) -> str:
    """The full Jacobian's size and structure next to the efficient form's."""
    structure = STRUCTURES.get(info.structure, "")
    note = f"<div>note: {esc(info.note)}</div>" if info.note else ""
    return (
        f'<div style="line-height:1.4"><div><b>∂{esc(info.of)}/∂{esc(info.wrt)}</b>, '
        f"the full local Jacobian: {format_shape(info.shape)} = <b>{info.entries:,}</b> entries, structure "
        f"<i>{esc(info.structure)}</i>{' (' + esc(structure) + ')' if structure else ''}.</div>"
        f"<div>Training never builds it: it uses {esc(info.efficient)}, "
        f"<b>{info.efficient_entries:,}</b> entries.</div>{note}</div>")


def refusal_html(info) -> str:
    times = info.entries // max(info.efficient_entries, 1)
    return (f'<div style="{_CALLOUT.format(edge="#8e24aa", bg="#f3e5f5")}">Not drawn: the full '
            f"∂{esc(info.of)}/∂{esc(info.wrt)} would have {format_shape(info.shape)} = "
            f"{info.entries:,} entries, more than this panel draws ({MAX_DRAWN_JACOBIAN:,}). "
            f"The efficient form holds {info.efficient_entries:,} entries, about {times:,} times "
            "fewer: that is why backprop never materialises it.</div>")


def jacobian_view(J: np.ndarray, info) -> tuple[bytes, str]:
    """A materialised Jacobian as a PNG, and an HTML line saying how it is drawn.

    ``info`` is the trace's :class:`~backproplab.core.jacobian.JacobianInfo` for J.
    An "outer" Jacobian ∂z/∂W is drawn as one block per entry of z, each shaped
    like W; see :func:`backproplab.viz.jacobian.jacobian_layout`.
    """
    layout = jacobian_layout(J, of_ndim=info.of_ndim, by_entry_of=info.structure == "outer")
    how = esc(layout.describe(info.of, info.wrt))
    return layout.to_png(), f'<div style="line-height:1.4">{how} · blue &lt; 0 (white) &lt; red</div>'


# -------------------------------------------------------- gradient check
def gradcheck_html(check, trace_value: np.ndarray) -> str:
    """A table of each checked entry: the trace's value, analytic and numeric (float64)."""
    rows = []
    for (i, j), a, num, err in zip(check.entries, check.analytic, check.numeric, check.entry_errors):
        rows.append(f"<tr><td>[{i}, {j}]</td><td>{float(trace_value[i, j]):.6g}</td>"
                    f"<td>{a:.10g}</td><td>{num:.10g}</td><td>{err:.1e}</td></tr>")
    err, verdict = check.relative_error, check.verdict
    head = ("<tr><th>entry</th><th>trace</th><th>analytic (float64)</th>"
            "<th>numeric (float64)</th><th>relative error</th></tr>")
    return (f'<div style="line-height:1.4"><div><b>Gradient check of dL/d{esc(check.param)}</b> by '
            "central differences in "
            f"float64, on {len(check.entries)} entries:</div>"
            f'<table style="font-family:monospace;font-size:12px;border-collapse:collapse" '
            f'cellpadding="3">{head}{"".join(rows)}</table>'
            f"<div>relative error over these entries: <b>{err:.2e}</b>: {verdict}.</div></div>")
