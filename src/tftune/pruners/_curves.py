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


#: The curve is assumed to have come within this share of its total drop by the horizon (an
#: optimistic bound may not assume a slower approach): training runs for as many steps as it
#: needs to settle, so a curve still far from its asymptote at its last step is not expected.
SETTLED_SHARE = 0.05


def _normal_quantile(p: float) -> float:
    """The standard normal's ``p`` quantile (bisection on erf; p in (0, 1))."""
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def optimistic_bound(
    values: dict[int, float], step: int, horizon: int, minimize: bool, confidence: float
) -> float:
    """An optimistic bound on the curve's value at ``horizon`` (the lower end of a one-sided
    ``confidence`` interval for a loss, the upper end for a score), from its finite reports
    up to ``step``; never worse than the point prediction of :func:`extrapolate`.

    The exponential approach ``f + c * r ** s`` is fitted for each rate ``r`` of a grid; the
    rates the reports do not rule out (a profile-likelihood interval: residual sum of squares
    within ``chi2_1(confidence) * sigma**2`` of the best, ``sigma**2`` the best fit's residual
    variance) each give a prediction, widened by ``z(confidence)`` of its standard error; the
    bound is the most optimistic of them. Rates so slow that the curve would still be more than
    ``SETTLED_SHARE`` of its drop away from its asymptote at ``horizon`` are not considered.
    With only ``MIN_REPORTS`` reports every rate fits exactly and no noise can be measured: the
    bound is the point prediction. Flat or worsening curves (no rate
    with ``c > 0``), too short or non-finite curves keep their current value.
    """
    point = extrapolate(values, step, horizon, minimize)
    current = values[step]
    if horizon <= step or not math.isfinite(current):
        return point
    steps = sorted(s for s, v in values.items() if s <= step and math.isfinite(v))
    steps = steps[-MAX_REPORTS:]
    n = len(steps)
    if n < MIN_REPORTS:
        return point
    sign = 1.0 if minimize else -1.0
    s = np.array(steps, dtype=float)
    y = sign * np.array([values[k] for k in steps])
    shift = s - s[-1]
    basis = _RATIOS[:, None] ** shift[None, :]
    b_mean, y_mean = basis.mean(axis=1), y.mean()
    b_centred = basis - b_mean[:, None]
    b_var = np.maximum(np.square(b_centred).sum(axis=1), 1e-300)
    c = (b_centred @ (y - y_mean)) / b_var
    f = y_mean - c * b_mean
    residual = np.square(y[None, :] - f[:, None] - c[:, None] * basis).sum(axis=1)
    ahead = float(horizon - s[-1])
    at_horizon = _RATIOS**ahead
    # settled: the drop left at the horizon is at most SETTLED_SHARE of the drop from the
    # first report on (r ** (horizon - first) <= SETTLED_SHARE)
    settled = _RATIOS ** float(horizon - s[0]) <= SETTLED_SHARE
    z = _normal_quantile(confidence)
    if n > MIN_REPORTS:
        sigma2 = float(residual.min()) / (n - MIN_REPORTS)
        plausible = residual <= residual.min() + z * z * sigma2
        spread = np.sqrt(sigma2 * (1.0 / n + np.square(at_horizon - b_mean) / b_var))
    else:  # an exact fit for every rate, no noise to measure: the point prediction
        return point
    usable = plausible & settled & (c > 0.0)
    if not usable.any():
        return point
    predicted = f + c * at_horizon - z * spread
    bound = float(predicted[usable].min())
    return sign * min(bound, sign * point)


#: Complete trials a calibrated margin needs (see :func:`calibrated_margin`): as many as TPE's
#: random start and its rung threshold (``rung_min_trials``) ask before they rank trials.
MIN_CALIBRATION = 10


def calibrated_margin(errors: list[float], confidence: float) -> float | None:
    """How much more optimistic than a point prediction a bound must be, measured on the
    study's own trials where the point prediction had no noise estimate (three reports, an
    exact fit): ``errors`` are, for complete trials, the prediction recorded at the rung minus
    the final value they reached (as losses: positive where the prediction was too pessimistic).
    The margin is their ``confidence`` quantile (interpolated; at least 0), or None while fewer
    than ``MIN_CALIBRATION`` complete trials say how far off such predictions go."""
    finite = [e for e in errors if math.isfinite(e)]
    if len(finite) < MIN_CALIBRATION:
        return None
    return max(float(np.quantile(np.array(finite), confidence)), 0.0)


def check_confidence(name: str, value: object) -> float | None:
    """A confidence level in (0, 1), or None (no bound: the point prediction)."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0.0 < float(value) < 1.0
    ):
        raise ValueError(f"`{name}` must be None or a float in (0, 1), got {value!r}.")
    return float(value)
