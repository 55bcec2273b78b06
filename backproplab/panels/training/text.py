"""How the training dashboard words things: status line, tables, captions (HTML).

Formatting only: every number comes from a progress record, a checkpoint or a
core function (``per_class_accuracy``); nothing here computes network math.
"""

from __future__ import annotations

import html

import numpy as np

from ...core import per_class_accuracy
from ...errors import DivergenceError

_MUTED = "color:#616161"
_SLOPE = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "ReLU′"}

WHY_SLOW = {
    "sigmoid": (
        "<b>Why W1 learns slowly with sigmoids.</b> σ′(z) = σ(z)(1 − σ(z)) is at most 1/4 "
        "(at z = 0) and close to 0 where a unit saturates. On the way back, every sigmoid layer "
        "multiplies δ elementwise by its σ′: δ2 = (δ3 · W3[1:]ᵀ) ⊙ σ′(z2), then "
        "δ1 = (δ2 · W2[1:]ᵀ) ⊙ σ′(z1). That factor alone shrinks δ at least 4-fold per layer, and "
        "the products with W_kᵀ make up only part of it: ‖δ‖ falls from the output layer down, "
        "and ∂L/∂W1 = [1 x]ᵀ · δ1 is built from the smallest δ of all. The first layer, furthest "
        "from the loss, learns slowest. Compare the ‖δ‖ columns below."),
    "tanh": (
        "<b>tanh instead of sigmoid.</b> tanh′(z) = 1 − tanh²(z) reaches 1 at z = 0 (four times "
        "sigmoid's 1/4), so δ shrinks much less on its way back to W1, until units saturate "
        "(tanh′ ≈ 0 for large |z|)."),
    "relu": (
        "<b>ReLU instead of sigmoid.</b> ReLU′ is 1 for active units and 0 for inactive ones: δ "
        "passes back unshrunk through active units, so W1 gets gradients as large as the top "
        "layers'. The risk is the other way: a unit that is never active (a 'dead' unit) passes "
        "nothing back."),
}


def esc(text: object) -> str:
    return html.escape(str(text))


def pct(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.2f} %"


# ------------------------------------------------------------------ status
def status_html(*, state: str, latest, epochs: int, steps_per_epoch: int, evaluation,
                samples_per_second: float, n_train: int, error: BaseException | None = None,
                lr: float | None = None, speed: float | None = None) -> str:
    """The one-line status: state, epoch, step, loss, accuracy, samples per second.

    After a divergence (``error`` a DivergenceError) a second block says what
    happened, that the last good weights were restored, and what to change.
    """
    color = {"running": "#2e7d32", "paused": "#a35200", "failed": "#c62828",
             "finished": "#1565c0", "stopped": "#6d4c41"}.get(state, "#424242")
    parts = [f'<b style="color:{color}">{esc(state)}</b>']
    if latest is None:
        parts.append(f"{n_train:,} training images · press Start to train, or Step for one batch")
    else:
        in_epoch = latest.step - (latest.epoch - 1) * latest.steps_per_epoch
        parts += [f"epoch {latest.epoch} of {epochs}",
                  f"step {in_epoch:,} of {steps_per_epoch:,} ({latest.step:,} in all)",
                  f"loss {latest.train_loss:.4f} (this batch {latest.loss:.4f})",
                  f"train accuracy {pct(latest.train_accuracy)}"]
    if evaluation is not None:
        parts.append(f"test accuracy {pct(evaluation.test_accuracy)} ({esc(evaluation.label)})")
    if latest is not None and speed:
        # the trainer's clock counts only the steps, not the waits between them
        parts.append(f"slowed to {speed:g} step{'s' if speed != 1 else ''}/s (each step at "
                     f"{samples_per_second:,.0f} samples/s)")
    elif latest is not None:
        parts.append(f"{samples_per_second:,.0f} samples/s")
    line = f'<div style="font-family:monospace;font-size:12.5px">{" · ".join(parts)}</div>'
    return line + (divergence_html(error, lr) if isinstance(error, DivergenceError) else "")


def divergence_html(error: BaseException, lr: float | None) -> str:
    """What a diverged run shows: what happened, what was restored, what to change."""
    change = (f"Lower the learning rate (it was {lr:g}; try {min(lr / 10, 0.1):g}), press Reset, "
              "then Start." if lr else "Lower the learning rate, press Reset, then Start.")
    return ('<div style="border-left:5px solid #c62828;background:#ffebee;color:#b71c1c;'
            'padding:6px 10px;margin-top:4px;line-height:1.4"><b>Training diverged</b> and was '
            f"stopped: {esc(error)}<br>The weights of the last good step were restored: the "
            f"figures show them. {esc(change)}</div>")


def frame_step_html(step: int, epoch: float, *, replay: str | None = None) -> str:
    """Beside the figures: the training step they show, counted from the start of the run."""
    if replay is not None:
        return (f'<div style="font-size:12px;color:#455a64">figures: <b>{esc(replay)}</b> (replay), '
                f"step {step:,}</div>")
    if step == 0:
        return '<div style="font-size:12px;color:#455a64">figures: step 0 (untrained)</div>'
    return (f'<div style="font-size:12px;color:#455a64">figures: <b>step {step:,}</b> '
            f"(epoch {epoch:.2f})</div>")


def progress_text(latest, epochs: int) -> str:
    return f"epoch {latest.epoch}/{epochs}" if latest is not None else f"epoch 0/{epochs}"


def filters_title(record) -> str:
    """The live filters' title: the step whose weights they are (``record``; None = untrained)."""
    if record is None:
        return "W1 filters, untrained"
    return f"W1 filters, epoch {record.epoch_fraction:.2f} (step {record.step:,})"


def number(v: float) -> str:
    """``v`` to 3 significant digits with a true minus sign: −0.412."""
    return f"{float(v):.3g}".replace("-", "−")


def filters_alt(W1: np.ndarray, title: str) -> str:
    """The filter mosaic's text alternative: what it shows, how many tiles of what size, the range."""
    n_pixels, n_units = W1.shape[0] - 1, W1.shape[1]
    side = int(round(n_pixels ** 0.5))
    tile = f"{side}×{side}" if side * side == n_pixels else f"1×{n_pixels}"
    weights = W1[1:]  # (n_pixels, H): the bias row is not drawn
    return (f"{title}: {n_units} tiles of {tile}, one per hidden unit, weights from "
            f"{number(weights.min())} to {number(weights.max())} (blue below 0, white 0, red above).")


# ------------------------------------------------------------ per class
def per_class_html(cm: np.ndarray) -> str:
    """Per-class test accuracy (recall) as a small table with bars."""
    acc = per_class_accuracy(cm)  # (C,)
    totals = np.asarray(cm).sum(axis=1)
    rows = []
    for c, (a, n) in enumerate(zip(acc, totals)):
        width = 0 if not np.isfinite(a) else int(round(100 * a))
        bar = (f'<div style="background:#90caf9;height:10px;width:{width}px;'
               'display:inline-block;vertical-align:middle"></div>')
        rows.append(f"<tr><td><b>{c}</b></td><td>{bar}</td><td style='text-align:right'>{pct(a)}</td>"
                    f"<td style='{_MUTED};padding-left:6px'>of {int(n):,}</td></tr>")
    return ('<div style="font-size:12px;line-height:1.25"><b>per-class test accuracy</b> (the '
            'diagonal over each row of the matrix)<table style="font-family:monospace;'
            f'border-collapse:collapse;line-height:1.25" cellpadding="1">{"".join(rows)}</table></div>')


# ------------------------------------------------------------- snapshots
def replay_html(checkpoint, *, live: bool) -> str:
    if checkpoint is None:
        return ""
    head = "live" if live else f"replaying <b>{esc(checkpoint.label)}</b>"
    train = ("" if checkpoint.train_loss is None else
             f" · train loss {checkpoint.train_loss:.4f}, "
             f"train accuracy {pct(checkpoint.train_accuracy)}")
    tail = "" if live else " · move the slider to <i>live</i> to follow training"
    return (f'<div style="font-size:12px">{head}: test loss {checkpoint.test_loss:.4f}, test accuracy '
            f"{pct(checkpoint.test_accuracy)}{train}{tail}</div>")


# ------------------------------------------------------------ saturation
def saturation_html(checkpoints, activation: str) -> str:
    """Per checkpoint and layer: the mean ± spread of f′(z_k), the saturated share, ‖δ_k‖."""
    f = _SLOPE.get(activation, "f′")
    rows = [c for c in checkpoints if c.saturation]
    if not rows:
        return f'<div style="{_MUTED}">no diagnostics yet: they are taken at each epoch\'s end.</div>'
    layers = rows[0].saturation
    hidden = [s.layer for s in layers if s.slope_mean is not None]
    head = ["<th>checkpoint</th>"]
    head += [f"<th>{f}(z{k}) mean ± std</th><th>saturated</th>" for k in hidden]
    head += [f"<th>‖δ{s.layer}‖</th>" for s in reversed(layers)]
    body = []
    for c in rows:
        cells = [f"<td>{esc(c.label)}</td>"]
        by_layer = {s.layer: s for s in c.saturation}
        for k in hidden:
            s = by_layer[k]
            cells.append(f"<td>{s.slope_mean:.4f} ± {s.slope_std:.4f}</td>"
                         f"<td>{100 * s.saturated_fraction:.1f} %</td>")
        cells += [f"<td>{s.delta_norm:.4g}</td>" for s in reversed(c.saturation)]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return ('<table style="font-family:monospace;font-size:12px;border-collapse:collapse" '
            f'cellpadding="3" border="1"><tr>{"".join(head)}</tr>{"".join(body)}</table>'
            f'<div style="font-size:12px;{_MUTED}">On a fixed probe of test images. {f}(z_k): the '
            "activation's slope at each hidden unit (saturated: below 1 % of its largest value); "
            "‖δ_k‖ = ‖∂L/∂z_k‖ per image, averaged over the probe, from the output layer (left) "
            "down to the first layer (right).</div>")


def why_slow_html(activation: str) -> str:
    text = WHY_SLOW.get(activation, "")
    return f'<div style="line-height:1.45;max-width:60em;margin:4px 0">{text}</div>' if text else ""


# ---------------------------------------------------------------- saving
def saved_html(paths) -> str:
    items = "".join(f"<li><code>{esc(p)}</code></li>" for p in paths)
    return f'<div style="font-size:12px">wrote {len(paths)} files:<ul>{items}</ul></div>'
