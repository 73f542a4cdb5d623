"""PED-ANOVA (Watanabe, Bansal and Hutter, IJCAI 2023): importance as the Pearson divergence
between where the best trials lie and where all trials (of a region) lie, one parameter at a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tftune._direction import StudyDirection
from tftune.importance._base import (
    BaseImportanceEvaluator,
    prepared_trials,
    sorted_importances,
    warn_too_few,
)
from tftune.importance._columns import ParamColumn, param_column
from tftune.study._multi_objective import loss_values, nondomination_ranks
from tftune.study._target import Target, complete_trials, param_names
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study

#: Points of the grid numerical densities are compared on.
N_GRID = 50
#: The fewest top trials a divergence is computed from.
MIN_TOP_TRIALS = 2


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """How differently the top ``target_quantile`` of trials is spread than the trials of the
    top ``region_quantile`` (all of them by default), per parameter: no model to fit, so it
    takes milliseconds for thousands of trials.

    Each parameter's two Parzen densities on its declared range (Gaussian kernels with Scott's
    bandwidth on a grid of 50 points for numbers, log10 for log-scale ones; smoothed frequencies
    for categories) are compared by the Pearson divergence ``sum(p_top**2 / p_region) - 1``.
    With ``evaluate_on_local=False`` the region's density is replaced by a uniform one: the
    importance in the search space rather than during the study. ``baseline_quantile`` is the
    older name of ``target_quantile``. Importances are scaled by ``(n_top / n_region)**2``.

    Conditional parameters: the top and region sets are chosen among all trials; a parameter
    is judged on the trials of both sets that have it, its divergence weighted by
    ``alpha**2 / beta`` (the shares of the top and of the region trials that have it), so a
    branch the best trials rarely take counts little. Lower target values are better, unless
    the study is maximized and no ``target`` is given. A study with several objectives and no
    ``target`` ranks trials by non-dominated sorting (the Pareto front first, each front's trials
    tied), so the importances say what it takes to reach the front, as in Optuna 5.
    """

    def __init__(
        self,
        *,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        evaluate_on_local: bool = True,
        baseline_quantile: float | None = None,
    ) -> None:
        if baseline_quantile is not None:
            target_quantile = baseline_quantile
        for name, value in (
            ("target_quantile", target_quantile),
            ("region_quantile", region_quantile),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (0 < value <= 1)
            ):
                raise ValueError(f"`{name}` must be a number in (0, 1], got {value!r}.")
        if target_quantile >= region_quantile:
            raise ValueError(
                "`target_quantile` must be smaller than `region_quantile`, got "
                f"target_quantile={target_quantile!r} and region_quantile={region_quantile!r}."
            )
        self.target_quantile = float(target_quantile)
        self.region_quantile = float(region_quantile)
        self.evaluate_on_local = bool(evaluate_on_local)

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        trials, names, loss = trial_losses(study, params, target)
        if len(trials) < MIN_TOP_TRIALS:
            warn_too_few(study, len(trials), MIN_TOP_TRIALS, "PED-ANOVA")
            return dict.fromkeys(names, 0.0)
        top = quantile_mask(loss, self.target_quantile)
        region = quantile_mask(loss, self.region_quantile)
        scale = (top.sum() / region.sum()) ** 2
        importances = {}
        for name in names:
            column = param_column(trials, name)
            top_has, region_has = top & column.present, region & column.present
            alpha, beta = top_has.sum() / top.sum(), region_has.sum() / region.sum()
            if not top_has.any():
                importances[name] = 0.0
                continue
            divergence = self._divergence(
                column, column.values[top_has], column.values[region_has]
            )
            importances[name] = float(scale * alpha**2 / beta * divergence)
        return sorted_importances(importances)

    def _divergence(self, column: ParamColumn, top: np.ndarray, region: np.ndarray) -> float:
        """Pearson divergence of the top values' density from the region values' (or from
        the uniform density, unless ``evaluate_on_local``)."""
        if column.categorical:
            n_choices = column.n_choices
            if n_choices < 2:
                return 0.0
            p_top = smoothed(np.bincount(top.astype(int), minlength=n_choices))
            p_region = (
                smoothed(np.bincount(region.astype(int), minlength=n_choices))
                if self.evaluate_on_local
                else np.full(n_choices, 1.0 / n_choices)
            )
        else:
            if not column.high > column.low:
                return 0.0
            grid = value_grid(column.low, column.high, column.grid_step)
            p_top = parzen_pmf(top, grid)
            p_region = (
                parzen_pmf(region, grid)
                if self.evaluate_on_local
                else np.full(len(grid), 1.0 / len(grid))
            )
        return max(0.0, float(np.sum(p_top * p_top / p_region)) - 1.0)


def trial_losses(
    study: Study, params: Sequence[str] | None, target: Target | None
) -> tuple[list[FrozenTrial], list[str], np.ndarray]:
    """The usable complete trials, the parameter names, and each trial's loss (lower is better):
    the target, the objective (negated when maximized), or the non-domination rank of the
    objectives of a study with several."""
    if target is not None or len(study.directions) == 1:
        trials, names, values = prepared_trials(study, params, target, "PED-ANOVA")
        maximize = target is None and study.directions[0] == StudyDirection.MAXIMIZE
        return trials, names, -values if maximize else values
    trials = complete_trials(study)
    names = param_names(trials, params)
    loss = loss_values([t.values or [] for t in trials], study.directions)  # COMPLETE: set
    finite = np.all(np.isfinite(loss), axis=1)
    if not finite.any():
        raise ValueError(
            "PED-ANOVA needs complete trials with finite objective values; study "
            f"{study.study_name!r} has none."
        )
    kept = [t for t, keep in zip(trials, finite, strict=True) if keep]
    return kept, names, nondomination_ranks(loss[finite]).astype(float)


def quantile_mask(loss: np.ndarray, quantile: float) -> np.ndarray:
    """The trials whose loss is among the lowest ``quantile`` (at least two; ties included)."""
    n_kept = min(len(loss), max(MIN_TOP_TRIALS, math.ceil(quantile * len(loss))))
    cutoff = np.partition(loss, n_kept - 1)[n_kept - 1]
    kept: np.ndarray = loss <= cutoff
    return kept


def value_grid(low: float, high: float, step: float | None) -> np.ndarray:
    """The grid values are compared on: every step if there are at most ``N_GRID``, else even."""
    if step is not None and (high - low) / step + 1 <= N_GRID:
        return low + step * np.arange(round((high - low) / step) + 1)
    return np.linspace(low, high, N_GRID)


def smoothed(counts: np.ndarray) -> np.ndarray:
    """Category frequencies with one pseudo-count shared by all categories."""
    return np.asarray((counts + 1.0 / len(counts)) / (counts.sum() + 1.0))


def parzen_pmf(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A Gaussian-kernel density of ``values`` on ``grid`` (values binned to the nearest point),
    bandwidth by Scott's rule in grid steps (at least half a step), as probabilities.
    """
    m = len(grid)
    spacing = (grid[-1] - grid[0]) / (m - 1)
    bins = np.clip(np.rint((values - grid[0]) / spacing), 0, m - 1).astype(int)
    counts = np.bincount(bins, minlength=m).astype(float)
    n = len(values)
    std = float(np.std(bins))
    q75, q25 = np.percentile(bins, [75, 25])
    spread = min(std, (q75 - q25) / 1.34) if q75 > q25 else std
    sigma = max(1.059 * spread * n ** (-0.2), 0.5)
    offsets = np.arange(m)
    kernel = np.exp(-0.5 * ((offsets[None, :] - offsets[:, None]) / sigma) ** 2)
    kernel /= kernel.sum(axis=1, keepdims=True)  # each kernel truncated to the grid
    pmf = counts @ kernel
    return np.asarray(pmf / pmf.sum())
