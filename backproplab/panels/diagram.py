"""The network diagram of the step-through panel, as a small piece of HTML.

Layers are boxes with their widths (784 → 100 → 10 → 10 for the classic
network), weights label the arrows between them (W1 785×100, ...), and the
quantity of the current step is highlighted: a layer box for x, z_k, H_k,
dL/dz_k, dL/dH_k, ŷ and L; the weight arrow for dL/dW_k. Arrows point the way
the current phase flows (→ forward, ← backward).
"""

from __future__ import annotations

import html

from ..core.jacobian import format_shape
from .kinds import INPUT_GRADIENT, LOSS, PARAMETER_GRADIENT, kind_is

_FORWARD, _BACKWARD = "#2e7d32", "#b33c00"  # 5.1:1 and 5.9:1 on white (WCAG AA)
_BOX = ("display:inline-block;border:2px solid {border};border-radius:6px;padding:3px 10px;"
        "text-align:center;min-width:44px;background:{bg};{extra}")
_ARROW = "display:inline-block;text-align:center;padding:0 6px;font-size:11px;color:{color}"


def focus_of(step, n_layers: int) -> tuple[str, int]:
    """What to highlight for ``step``: ("box", i) with box n_layers + 1 the loss, or ("arrow", k)."""
    if kind_is(step, LOSS):
        return "box", n_layers + 1
    if kind_is(step, PARAMETER_GRADIENT):
        return "arrow", step.layer  # the arrow carrying W_k
    if kind_is(step, INPUT_GRADIENT):
        return "box", step.layer - 1  # dL/dH_{k-1}: back through W_k[1:] to layer k-1
    return "box", step.layer


def diagram_html(sizes: tuple[int, ...], weight_shapes: list[tuple[int, int]], step,
                 *, batch_size: int) -> str:
    """The diagram for a network of layer widths ``sizes`` at ``step``."""
    n = len(sizes) - 1
    forward = step.phase == "forward"
    color = _FORWARD if forward else _BACKWARD
    arrow = "→" if forward else "←"
    kind, where = focus_of(step, n)
    boxes = [("x", str(sizes[0]), "input")]
    boxes += [(f"H{k}", str(sizes[k]), f"z{k} → H{k}") for k in range(1, n)]
    boxes += [("ŷ", str(sizes[n]), f"z{n} → ŷ"), ("L", "1", "loss (scalar)")]
    parts = []
    for i, (name, size, sub) in enumerate(boxes):
        on = kind == "box" and where == i
        style = _BOX.format(border=color if on else "#9e9e9e", bg="#fff8e1" if on else "#fafafa",
                            extra=f"box-shadow:0 0 0 3px {color}55;" if on else "")
        parts.append(
            f'<div style="{style}"><div style="font-weight:bold">{html.escape(name)}</div>'
            f'<div style="font-size:15px">{size}</div>'
            f'<div style="font-size:10px;color:#616161">{html.escape(sub)}</div></div>')
        if i == len(boxes) - 1:
            break
        if i < n:
            label, dims = f"W{i + 1}", format_shape(weight_shapes[i])
        else:
            label, dims = "cross-entropy", ""
        on = kind == "arrow" and where == i + 1
        weight = "font-weight:bold;background:#fff8e1;border-radius:4px;" if on else ""
        parts.append(
            f'<div style="{_ARROW.format(color=color)};{weight}"><div>{html.escape(label)}</div>'
            f'<div style="font-size:20px;line-height:20px">{arrow}</div>'
            f'<div>{html.escape(dims)}</div></div>')
    phase = ("forward pass →" if forward else "← backward pass")
    head = (f'<div style="font-size:12px;color:{color};margin-bottom:3px"><b>{phase}</b> · '
            f'batch of {batch_size} · each box: layer, width, what it computes</div>')
    row = '<div style="display:flex;align-items:center;flex-wrap:wrap;gap:2px">' + "".join(parts) + "</div>"
    return f'<div style="font-family:sans-serif">{head}{row}</div>'
