"""Learning-curve extrapolation for rung decisions: where a curve is heading, not where it is.

A trial that learns slowly (a small learning rate) looks worse at an early rung than one that
learns fast and then stalls, though it may end better. Successive halving compares trials at a
rung by their value *extrapolated to the next rung*: each curve's recent reports are fitted
with an exponential approach ``y(s) = f + c * r ** s`` (per-step improvements shrinking
geometrically, ``0 < r < 1``), by least squares over a grid of ``r``. The fit is used only where
it is sound: at least ``MIN_REPORTS`` reports and a curve still improving (``c > 0`` towards
lower losses); otherwise, and never beyond the current value, the current value counts.
"""

from __future__ import annotations

import math

import numpy as np

#: How far successive halving extrapolates a curve at a rung: to the trial's last step, or to
#: the next rung's (see ``SuccessiveHalvingPruner``).
CURVE_HORIZONS = ("final", "next_rung")
#: Reports a fit needs (three parameters): fewer, and the current value counts.
MIN_REPORTS = 3
#: The most recent reports the fit uses.
MAX_REPORTS = 8
_RATIOS = np.linspace(0.02, 0.98, 49)


def extrapolate(values: dict[int, float], step: int, horizon: int, minimize: bool) -> float:
    """The curve's value at ``horizon`` predicted from its finite reports up to ``step``
    (``values``: step -> value); never worse than its value at ``step``."""
    current = values[step]
    if horizon <= step or not math.isfinite(current):
        return current
    steps = sorted(s for s, v in values.items() if s <= step and math.isfinite(v))
    steps = steps[-MAX_REPORTS:]
    if len(steps) < MIN_REPORTS:
        return current
    sign = 1.0 if minimize else -1.0
    s = np.array(steps, dtype=float)
    y = sign * np.array([values[k] for k in steps])
    shift = s - s[-1]  # r ** shift stays bounded: the last report is at 0
    basis = _RATIOS[:, None] ** shift[None, :]  # (ratios, reports)
    # least squares of y = f + c * basis per ratio, in closed form
    b_mean, y_mean = basis.mean(axis=1), y.mean()
    b_centred = basis - b_mean[:, None]
    b_var = np.square(b_centred).sum(axis=1)
    c = (b_centred @ (y - y_mean)) / np.maximum(b_var, 1e-300)
    f = y_mean - c * b_mean
    residual = np.square(y[None, :] - f[:, None] - c[:, None] * basis).sum(axis=1)
    best = int(np.argmin(residual))
    if not c[best] > 0.0:  # flat or getting worse: no improvement to predict
        return current
    predicted = f[best] + c[best] * _RATIOS[best] ** (horizon - s[-1])
    return sign * min(float(predicted), sign * current)
