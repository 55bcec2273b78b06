"""Why early layers learn slowly: activation slopes and the size of δ per layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class LayerSaturation:
    """Statistics of one layer on a probe batch.

    ``slope_mean`` / ``slope_std`` describe f′(z_k) over the batch's units (None for
    the output layer); ``delta_norm`` is the mean over samples of ‖δ_k‖ = ‖dL/dz_k‖
    for the *summed* loss, so the batch size does not shrink it.
    """

    layer: int
    slope_mean: float | None
    slope_std: float | None
    saturated_fraction: float | None  # share of units whose slope is below 1 % of its maximum
    delta_norm: float


def saturation(net, X, y) -> tuple[LayerSaturation, ...]:
    """Per layer k = 1..n: the spread of f′(z_k) and the mean ‖δ_k‖ on X (B, n_features)."""
    X = net._inputs(X)
    y = net._labels(y, len(X))

    records = net._forward(X)
    _, cache = net._head.fused.forward(records[-1].z, y)
    back = net._backward(net._head.fused.backward(float(len(X)), cache), records)  # dL_sum
    act = net._activation
    out = []
    for k, rec in enumerate(records, start=1):
        delta_norm = float(np.linalg.norm(back.dz[k - 1], axis=1).mean())
        if rec.H is None:
            out.append(LayerSaturation(k, None, None, None, delta_norm))
            continue
        slope = act.derivative(rec.H, rec.z)  # (B, n_k)
        out.append(LayerSaturation(k, float(slope.mean()), float(slope.std()),
                                   float(np.mean(slope < 0.01 * act.max_slope)), delta_norm))
    return tuple(out)

